/**
 * Recording rules and alerting rules, as Prometheus rule-file objects.
 */
import type { Duration, MixinConfig } from './config.js';
import { runbookUrl } from './config.js';

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

export type Severity = 'critical' | 'warning' | 'info';

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: Duration;
  readonly keep_firing_for?: Duration;
  readonly labels: { readonly severity: Severity } & Readonly<Record<string, string>>;
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    readonly runbook_url: string;
  };
}

export interface RuleGroup<R> {
  readonly name: string;
  readonly interval?: Duration;
  readonly rules: readonly R[];
}

export interface RuleFile<R> {
  readonly groups: readonly RuleGroup<R>[];
}

/** Names of the recording rules, so dashboards, alerts and tests refer to them by constant. */
export const RECORDING_RULES = {
  sessions: 'instance:rdsleak_sessions:sum',
  sessionIdGap: 'instance:rdsleak_session_id_gap:sub',
  zombieLogonSessions: 'instance:rdsleak_zombie_logon_sessions:sum',
  leakedTokenHandles: 'instance:rdsleak_leaked_token_handles:sum',
  jobZombieLogonSessions: 'job:rdsleak_zombie_logon_sessions:sum',
  jobZombieSessionIds: 'job:rdsleak_zombie_session_ids:sum',
  jobLeakedTokenHandles: 'job:rdsleak_leaked_token_handles:sum',
  jobProcessLeakedTokenHandles: 'job_process:rdsleak_leaked_token_handles:sum',
} as const;

export const RECORDING_RULE_NAMES: readonly string[] = Object.values(RECORDING_RULES);

/** Normalises a multi-line PromQL template: strips the common indentation and surrounding blank lines. */
export function promql(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = raw.replace(/^\n+/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/**
 * Recording rules. Instance-level rules aggregate `without` the metric's own label, so target labels
 * such as `farm` and `site` survive; job-level rules are small enough to federate (docs/scaling.md).
 */
export function recordingRules(config: MixinConfig): RuleFile<RecordingRule> {
  const sel = config.selector;
  const r = RECORDING_RULES;
  return {
    groups: [
      {
        name: 'rds-leak-exporter.rules',
        rules: [
          { record: r.sessions, expr: `sum without (state) (rdsleak_sessions{${sel}})` },
          { record: r.sessionIdGap, expr: `rdsleak_session_id_highest{${sel}} - ${r.sessions}` },
          { record: r.zombieLogonSessions, expr: `sum without (logon_type) (rdsleak_zombie_logon_sessions{${sel}})` },
          { record: r.leakedTokenHandles, expr: `sum without (process) (rdsleak_leaked_token_handles{${sel}})` },
          { record: r.jobZombieLogonSessions, expr: `sum by (job) (${r.zombieLogonSessions})` },
          { record: r.jobZombieSessionIds, expr: `sum by (job) (rdsleak_zombie_session_ids{${sel}})` },
          { record: r.jobLeakedTokenHandles, expr: `sum by (job) (${r.leakedTokenHandles})` },
          { record: r.jobProcessLeakedTokenHandles, expr: `sum by (job, process) (rdsleak_leaked_token_handles{${sel}})` },
        ],
      },
    ],
  };
}

/** Names of every alert, in the order of alerts/rds-leak-alerts.yml and docs/runbooks.md. */
export const ALERT_NAMES = [
  'RdsSessionIdsNotReused',
  'RdsZombieLogonSessionsHigh',
  'RdsZombieLogonSessionsGrowing',
  'RdsLeakedTokenHandlesGrowing',
  'RdsExporterDown',
  'RdsExporterSiteDown',
  'RdsExporterAbsent',
  'RdsCollectorFailing',
  'RdsCollectorTimingOut',
  'RdsExporterCollectionStale',
] as const;

export type AlertName = (typeof ALERT_NAMES)[number];

function annotations(config: MixinConfig, alert: AlertName, summary: string, description: string): AlertingRule['annotations'] {
  return { summary, description, runbook_url: runbookUrl(config, alert) };
}

/**
 * The session-ID gap as the alert sees it: the current highest ID minus the most sessions present at any
 * time in the window. A healthy host hands a new logon the lowest free ID, so churn alone never opens
 * that gap while IDs are handed out; the gap of a host whose highest ID merely stays high after an
 * evening of logoffs is left out by `sessionIdsClimbedExpr`.
 *
 * The current highest ID is `max_over_time(...[gaugeSmoothing])`, so one stale sample (a failed scrape,
 * or a failed wts collector) does not reset the alert's `for`. `sel` is the selector (the dashboards
 * pass theirs, with variables).
 */
export function sessionIdGapExpr(config: MixinConfig, sel: string = config.selector): string {
  const { sessionIdGrowth: w, gaugeSmoothing: s } = config.windows;
  return `max_over_time(rdsleak_session_id_highest{${sel}}[${s}]) - max_over_time(${RECORDING_RULES.sessions}{${sel}}[${w}])`;
}

/**
 * The highest ID climbed inside the window: it is above the lowest ID of the window *before* the
 * smoothing interval (`offset`), so a highest ID that just fell (a reboot) never counts as a climb.
 */
export function sessionIdsClimbedExpr(config: MixinConfig, sel: string = config.selector): string {
  const { sessionIdGrowth: w, gaugeSmoothing: s } = config.windows;
  return `max_over_time(rdsleak_session_id_highest{${sel}}[${s}]) > min_over_time(rdsleak_session_id_highest{${sel}}[${w}] offset ${s})`;
}

/**
 * The symptom: the highest session ID climbed inside the window and the gap is at least `gap`. Its value
 * is the session-ID gap (highest ID minus sessions present).
 */
export function sessionIdsClimbingExpr(config: MixinConfig, gap: number, sel: string = config.selector): string {
  return promql`
    (
        max_over_time(${RECORDING_RULES.sessionIdGap}{${sel}}[${config.windows.gaugeSmoothing}])
      and
        ${sessionIdGapExpr(config, sel)} >= ${gap}
      and
        ${sessionIdsClimbedExpr(config, sel)}
    )
  `;
}

/** The cause: zombies pin at least `pinned` session IDs. Its value is the number of pinned IDs. */
export function sessionIdsPinnedExpr(config: MixinConfig, pinned: number, sel: string = config.selector): string {
  return `max_over_time(rdsleak_zombie_session_ids{${sel}}[${config.windows.gaugeSmoothing}]) >= ${pinned}`;
}

/**
 * Keeps a firing RdsSessionIdsNotReused firing while its cause or its symptom persists, even without new
 * logons: zombies still pin at least one session ID, or the highest ID is still at least `gap` above the
 * most sessions present in the window. Without it the symptom branch resolves overnight (the highest ID
 * stops climbing when nobody logs on) and fires again the next morning. It reads the alert's own
 * `ALERTS` series of the same severity, written by the previous evaluation.
 */
export function sessionIdsStillNotReusedExpr(config: MixinConfig, severity: 'warning' | 'critical'): string {
  const { gap } = config.thresholds.sessionIdsNotReused[severity];
  return promql`
    (
        (
            max_over_time(rdsleak_zombie_session_ids{${config.selector}}[${config.windows.gaugeSmoothing}]) > 0
          or
            ${sessionIdGapExpr(config)} >= ${gap}
        )
      and ignoring (alertname, alertstate, severity)
        ALERTS{alertname="RdsSessionIdsNotReused",alertstate="firing",severity="${severity}"}
    )
  `;
}

function sessionIdsNotReused(config: MixinConfig, severity: 'warning' | 'critical'): AlertingRule {
  const t = config.thresholds.sessionIdsNotReused[severity];
  const w = config.windows.sessionIdGrowth;
  return {
    alert: 'RdsSessionIdsNotReused',
    expr: `${sessionIdsClimbingExpr(config, t.gap)}\nor\n  ${sessionIdsPinnedExpr(config, t.pinned)}\nor\n${sessionIdsStillNotReusedExpr(config, severity)}`,
    for: t.for,
    keep_firing_for: config.keepFiringFor,
    labels: { severity },
    annotations: annotations(
      config,
      'RdsSessionIdsNotReused',
      'RDS session IDs are not being reused.',
      `{{ $value }} RDS session IDs on {{ $labels.instance }} cannot be reused: zombie logon sessions pin at least ${t.pinned} of them, ` +
        `or new logons got IDs at least ${t.gap} above the most sessions present in the last ${w}. New sessions get ever higher IDs until the host is rebooted. ` +
        `Once firing, it stays firing while any ID is pinned or the gap remains, also overnight without logons.`,
    ),
  };
}

function zombieLogonSessionsHigh(config: MixinConfig, severity: 'warning' | 'critical'): AlertingRule {
  const t = config.thresholds.zombieLogonSessions[severity];
  const s = config.windows.gaugeSmoothing;
  return {
    alert: 'RdsZombieLogonSessionsHigh',
    expr: `max_over_time(${RECORDING_RULES.zombieLogonSessions}[${s}]) >= ${t.threshold}`,
    for: t.for,
    keep_firing_for: config.keepFiringFor,
    labels: { severity },
    annotations: annotations(
      config,
      'RdsZombieLogonSessionsHigh',
      'Many zombie logon sessions are kept alive by leaked token handles.',
      `{{ $labels.instance }} has {{ $value }} zombie logon sessions (threshold ${t.threshold}): logged-off users whose logon sessions are kept alive by leaked token handles.`,
    ),
  };
}

function zombieLogonSessionsGrowing(config: MixinConfig): AlertingRule {
  const t = config.thresholds.zombieGrowth;
  const { growthPrediction: p, growthHorizonSeconds: h, growthHorizonText: ht, gaugeSmoothing: s } = config.windows;
  const r = RECORDING_RULES.zombieLogonSessions;
  return {
    alert: 'RdsZombieLogonSessionsGrowing',
    expr: promql`
      predict_linear(${r}[${p}], ${h}) > ${t.projectedLimit}
      and
      max_over_time(${r}[${s}]) >= ${t.floor}
    `,
    for: t.for,
    keep_firing_for: config.keepFiringFor,
    labels: { severity: 'warning' },
    annotations: annotations(
      config,
      'RdsZombieLogonSessionsGrowing',
      'Zombie logon sessions are growing.',
      `Zombie logon sessions on {{ $labels.instance }} are growing and are projected to reach {{ $value | printf "%.0f" }} within ${ht} (limit ${t.projectedLimit}).`,
    ),
  };
}

function leakedTokenHandlesGrowing(config: MixinConfig): AlertingRule {
  const sel = config.selector;
  const t = config.thresholds.leakedTokenHandlesGrowth;
  const { growthPrediction: p, growthHorizonSeconds: h, growthHorizonText: ht, gaugeSmoothing: s } = config.windows;
  return {
    alert: 'RdsLeakedTokenHandlesGrowing',
    expr: promql`
      predict_linear(rdsleak_leaked_token_handles{${sel}}[${p}], ${h}) > ${t.projectedLimit}
      and
      max_over_time(rdsleak_leaked_token_handles{${sel}}[${s}]) >= ${t.floor}
    `,
    for: t.for,
    keep_firing_for: config.keepFiringFor,
    labels: { severity: 'warning' },
    annotations: annotations(
      config,
      'RdsLeakedTokenHandlesGrowing',
      'A process is leaking token handles.',
      `Process {{ $labels.process }} on {{ $labels.instance }} holds a growing number of token handles of zombie logon sessions, projected to reach {{ $value | printf "%.0f" }} within ${ht} (limit ${t.projectedLimit}).`,
    ),
  };
}

/** `up` of the hosts that should be up: those down on purpose (config.expectedDown) are left out. */
export function upExpectedExpr(config: MixinConfig): string {
  const clauses = config.expectedDown.map((e) => `unless on (${e.on.join(', ')}) (${e.expr})`);
  return clauses.length === 0 ? `(up{${config.selector}})` : `(up{${config.selector}} ${clauses.join(' ')})`;
}

function exporterDown(config: MixinConfig): AlertingRule {
  return {
    alert: 'RdsExporterDown',
    expr: `${upExpectedExpr(config)} == 0`,
    for: config.exporterDownFor,
    labels: { severity: 'warning' },
    annotations: annotations(
      config,
      'RdsExporterDown',
      'The RDS leak exporter cannot be scraped.',
      `Prometheus has failed to scrape rds-leak-exporter on {{ $labels.instance }} (job {{ $labels.job }}) for ${config.exporterDownFor}; zombie logon sessions on that host are not monitored.`,
    ),
  };
}

/** Every host of a site that should be up is down: the site (its network, its hypervisors) is out, not one agent. */
function exporterSiteDown(config: MixinConfig): AlertingRule {
  const { farm, site } = config.labels;
  return {
    alert: 'RdsExporterSiteDown',
    expr: promql`
      max by (job, ${farm}, ${site}) ${upExpectedExpr(config)} == 0
      and
      count by (job, ${farm}, ${site}) ${upExpectedExpr(config)} >= ${config.exporterSiteDownMinHosts}
    `,
    for: config.exporterSiteDownFor,
    labels: { severity: 'critical' },
    annotations: annotations(
      config,
      'RdsExporterSiteDown',
      'No RDS host of a site can be scraped.',
      `Prometheus has failed to scrape every host of ${farm} {{ $labels.${farm} }}, ${site} {{ $labels.${site} }} (job {{ $labels.job }}) that should be up ` +
        `(at least ${config.exporterSiteDownMinHosts}) for ${config.exporterSiteDownFor}: the site, or the network to it, is down.`,
    ),
  };
}

function exporterAbsent(config: MixinConfig): AlertingRule {
  return {
    alert: 'RdsExporterAbsent',
    expr: `absent(up{${config.selector}})`,
    for: config.exporterAbsentFor,
    labels: { severity: 'warning' },
    annotations: annotations(
      config,
      'RdsExporterAbsent',
      'No RDS leak exporter target is known to Prometheus.',
      `Prometheus has had no target for {{ $labels.job }} for ${config.exporterAbsentFor}; no RDS host is monitored for zombie logon sessions.`,
    ),
  };
}

function collectorFailing(config: MixinConfig): AlertingRule {
  const t = config.thresholds.collectorSuccessRatio;
  const w = config.windows.collectorHealth;
  return {
    alert: 'RdsCollectorFailing',
    expr: `avg_over_time(rdsleak_collector_success{${config.selector}}[${w}]) < ${t.threshold}`,
    for: t.for,
    labels: { severity: 'warning' },
    annotations: annotations(
      config,
      'RdsCollectorFailing',
      'An exporter collector keeps failing.',
      `Collector {{ $labels.collector }} on {{ $labels.instance }} succeeded in only {{ $value | humanizePercentage }} of collections over the last ${w}; the leak metrics of that host are incomplete.`,
    ),
  };
}

/**
 * The agent answers (so RdsExporterDown stays silent) but its last successful collection keeps getting
 * older: every collection fails or runs past its budget, and /metrics serves the last good result.
 */
function collectionStale(config: MixinConfig): AlertingRule {
  const t = config.collectionStale;
  return {
    alert: 'RdsExporterCollectionStale',
    expr: `min_over_time(rdsleak_last_collection_age_seconds{${config.selector}}[${config.windows.gaugeSmoothing}]) > ${t.threshold}`,
    for: t.for,
    labels: { severity: 'warning' },
    annotations: annotations(
      config,
      'RdsExporterCollectionStale',
      'An exporter serves leak metrics from an old collection.',
      `The last successful collection on {{ $labels.instance }} is {{ $value | humanizeDuration }} old; its rdsleak_* series show the host as it was then.`,
    ),
  };
}

function collectorTimingOut(config: MixinConfig): AlertingRule {
  const t = config.thresholds.collectorTimeoutRatio;
  const w = config.windows.collectorHealth;
  return {
    alert: 'RdsCollectorTimingOut',
    expr: `avg_over_time(rdsleak_collector_timeout{${config.selector}}[${w}]) > ${t.threshold}`,
    for: t.for,
    labels: { severity: 'warning' },
    annotations: annotations(
      config,
      'RdsCollectorTimingOut',
      'An exporter collector keeps running past the scrape timeout.',
      `Collector {{ $labels.collector }} on {{ $labels.instance }} ran past the scrape budget in {{ $value | humanizePercentage }} of collections over the last ${w}.`,
    ),
  };
}

export function alertingRules(config: MixinConfig): RuleFile<AlertingRule> {
  return {
    groups: [
      {
        name: 'rds-leak-exporter.leaks',
        rules: [
          sessionIdsNotReused(config, 'warning'),
          sessionIdsNotReused(config, 'critical'),
          zombieLogonSessionsHigh(config, 'warning'),
          zombieLogonSessionsHigh(config, 'critical'),
          zombieLogonSessionsGrowing(config),
          leakedTokenHandlesGrowing(config),
        ],
      },
      {
        name: 'rds-leak-exporter.exporter',
        rules: [exporterDown(config), exporterSiteDown(config), exporterAbsent(config), collectorFailing(config), collectorTimingOut(config), collectionStale(config)],
      },
    ],
  };
}
