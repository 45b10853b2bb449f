/**
 * "RDS farm overview": a farm of hundreds of hosts at a glance. Variables job, farm, site and instance
 * (farm and site optional: All matches `.*`, so hosts without those labels are shown too); stats that
 * use the alerts' own expressions; a table of the worst hosts; every per-host time series limited to the
 * `dashboard.topk` hosts that rank highest over the dashboard's time range.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { MixinConfig } from '../config.js';
import { RECORDING_RULES, sessionIdGapExpr, sessionIdsClimbedExpr, sessionIdsClimbingExpr, sessionIdsPinnedExpr } from '../rules.js';
import { type Link, type PanelSpec, type VariableSpec, buildDashboard, dashboardLink, dashboardUid, tierSteps } from './grafana.js';

export const FARM_DASHBOARD = { name: 'farm-overview', file: 'rds-farm-overview.json', title: 'RDS farm overview' } as const;

/** Matchers of every farm-overview query: the job, farm, site and instance variables. */
export function farmSelector(config: MixinConfig): string {
  const { farm, site } = config.labels;
  return `job=~"$job",${farm}=~"$farm",${site}=~"$site",instance=~"$instance"`;
}

/** The farm overview's variables; farm and site use `.*` for All so that they are optional. */
export function farmVariables(config: MixinConfig): VariableSpec[] {
  const m = config.variableMetric;
  const { farm, site } = config.labels;
  return [
    { name: 'job', label: 'Job', query: `label_values(${m}, job)`, allValue: '.+' },
    { name: 'farm', label: 'Farm', query: `label_values(${m}{job=~"$job"}, ${farm})`, allValue: '.*' },
    { name: 'site', label: 'Site', query: `label_values(${m}{job=~"$job",${farm}=~"$farm"}, ${site})`, allValue: '.*' },
    { name: 'instance', label: 'Host', query: `label_values(${m}{job=~"$job",${farm}=~"$farm",${site}=~"$site"}, instance)`, allValue: '.+' },
  ];
}

function hostLinkUrl(config: MixinConfig, instance: string): string {
  return `/d/${dashboardUid(config, 'host-detail')}?var-instance=${instance}&\${datasource:queryparam}&\${job:queryparam}&\${__url_time_range}`;
}

/** Link from a time series (the series' instance label) to the host dashboard. */
export function seriesHostLink(config: MixinConfig): Link {
  return { title: 'Host leak detail for ${__field.labels.instance}', url: hostLinkUrl(config, '${__field.labels.instance}') };
}

/** Link from a table row (its instance column: merged table frames have columns, not labels) to the host dashboard. */
export function rowHostLink(config: MixinConfig): Link {
  return { title: 'Host leak detail for ${__data.fields.instance}', url: hostLinkUrl(config, '${__data.fields.instance}') };
}

/**
 * The `k` hosts ranking highest (or lowest) by `rank` over the dashboard's whole time range: evaluated
 * once at the range's end (`@ end()`), so a range query draws at most k hosts, not k per step.
 */
export function topHosts(k: number, rankSeries: string, order: 'topk' | 'bottomk' = 'topk'): string {
  const over = order === 'topk' ? 'max_over_time' : 'min_over_time';
  return `${order}(${k}, max by (instance) (${over}(${rankSeries}[$__range] @ end())))`;
}

/** A per-host series limited to the hosts selected by `topHosts`. */
export function limitHosts(series: string, hosts: string): string {
  return `${series}\nand on (instance)\n${hosts}`;
}

export function farmOverview(config: MixinConfig): Dashboard {
  const SEL = farmSelector(config);
  const { farm, site } = config.labels;
  const k = config.dashboard.topk;
  const r = RECORDING_RULES;
  const toHost = [seriesHostLink(config)];
  // Colour thresholds are the alerts' thresholds, so a red value means the critical alert's condition.
  const t = config.thresholds;
  const sessionIds = t.sessionIdsNotReused;
  const leaked = tierSteps(t.leakedTokenHandlesGrowth.floor, t.leakedTokenHandlesGrowth.projectedLimit);
  const byHost = `instance, ${farm}, ${site}`;
  const gap = sessionIdGapExpr(config, SEL);
  const worst = `topk(${config.dashboard.worstHosts}, max by (instance) (rdsleak_zombie_session_ids{${SEL}}))`;
  const row = (expr: string) => ({ expr: `${expr}\nand on (instance)\n${worst}`, instant: true, table: true });
  const specs: PanelSpec[] = [
    {
      type: 'stat',
      title: 'Hosts up',
      description: 'Hosts whose rds-leak-exporter Prometheus scraped successfully the last time (sum of `up`).',
      unit: 'none',
      w: 4,
      h: 4,
      queries: [{ expr: `sum(up{${SEL}})`, instant: true }],
    },
    {
      type: 'stat',
      title: 'Hosts not reusing session IDs',
      description: `Hosts that meet the condition of the RdsSessionIdsNotReused warning (before its ${sessionIds.warning.for} wait): zombies pin at least ${sessionIds.warning.pinned} session IDs, or the highest ID climbed at least ${sessionIds.warning.gap} above the most sessions present in the last ${config.windows.sessionIdGrowth}.`,
      unit: 'none',
      w: 4,
      h: 4,
      steps: [{ value: 1, color: 'orange' }],
      queries: [
        {
          expr: `count(${sessionIdsClimbingExpr(config, sessionIds.warning.gap, SEL)} or ${sessionIdsPinnedExpr(config, sessionIds.warning.pinned, SEL)}) or vector(0)`,
          instant: true,
        },
      ],
    },
    {
      type: 'stat',
      title: 'Largest session-ID gap',
      description: `The largest session-ID gap as RdsSessionIdsNotReused computes it, over the hosts whose highest ID climbed in the last ${config.windows.sessionIdGrowth}: the highest RDS session ID minus the most sessions present in that window (not the sessions present now, which fall after every logoff wave).`,
      unit: 'none',
      w: 4,
      h: 4,
      steps: [{ value: sessionIds.warning.gap, color: 'orange' }, { value: sessionIds.critical.gap, color: 'red' }],
      queries: [{ expr: `max(${gap} and ${sessionIdsClimbedExpr(config, SEL)}) or vector(0)`, instant: true }],
    },
    {
      type: 'stat',
      title: 'Zombie logon sessions',
      description: 'Zombie logon sessions on all selected hosts.',
      unit: 'none',
      w: 4,
      h: 4,
      steps: tierSteps(t.zombieLogonSessions.warning.threshold, t.zombieLogonSessions.critical.threshold),
      queries: [{ expr: `sum(rdsleak_zombie_logon_sessions{${SEL}})`, instant: true }],
    },
    {
      type: 'stat',
      title: 'Pinned session IDs',
      description: 'RDS session IDs that zombie logon sessions keep Windows from reusing, summed over the selected hosts.',
      unit: 'none',
      w: 4,
      h: 4,
      steps: tierSteps(sessionIds.warning.pinned, sessionIds.critical.pinned),
      queries: [{ expr: `sum(rdsleak_zombie_session_ids{${SEL}})`, instant: true }],
    },
    {
      type: 'stat',
      title: 'Leaked token handles',
      description: 'Handles to access tokens of zombie logon sessions, summed over the selected hosts and processes.',
      unit: 'none',
      w: 4,
      h: 4,
      steps: leaked,
      queries: [{ expr: `sum(rdsleak_leaked_token_handles{${SEL}})`, instant: true }],
    },
    {
      type: 'table',
      title: 'Worst hosts',
      description: `The ${config.dashboard.worstHosts} hosts with the most pinned session IDs, worst first: pinned IDs, the session-ID gap against the most sessions present in the last ${config.windows.sessionIdGrowth} (as the alert computes it), zombie logon sessions, leaked token handles, the age of the oldest zombie and whether the exporter was scraped (Up). Click a host for its detail.`,
      unit: 'none',
      w: 24,
      h: 10,
      links: [rowHostLink(config)],
      sortBy: [{ column: 'Pinned IDs', desc: true }],
      queries: [
        row(`max by (${byHost}) (rdsleak_zombie_session_ids{${SEL}})`),
        row(`max by (${byHost}) (${gap})`),
        row(`sum by (${byHost}) (rdsleak_zombie_logon_sessions{${SEL}})`),
        row(`sum by (${byHost}) (rdsleak_leaked_token_handles{${SEL}})`),
        row(`max by (${byHost}) (rdsleak_zombie_logon_session_oldest_seconds{${SEL}})`),
        row(`max by (${byHost}) (up{${SEL}})`),
      ],
      transformations: [
        { id: 'merge', options: {} },
        {
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            indexByName: { instance: 0, [farm]: 1, [site]: 2, 'Value #A': 3, 'Value #B': 4, 'Value #C': 5, 'Value #D': 6, 'Value #E': 7, 'Value #F': 8 },
            renameByName: {
              instance: 'Host',
              [farm]: 'Farm',
              [site]: 'Site',
              'Value #A': 'Pinned IDs',
              'Value #B': `ID gap (${config.windows.sessionIdGrowth} max)`,
              'Value #C': 'Zombies',
              'Value #D': 'Leaked handles',
              'Value #E': 'Oldest zombie',
              'Value #F': 'Up',
            },
          },
        },
      ],
      overrides: [{ name: 'Oldest zombie', properties: [{ id: 'unit', value: 's' }] }],
    },
    {
      type: 'timeseries',
      title: `Session-ID gap, top ${k} hosts`,
      description: `Highest RDS session ID minus the most sessions present in the last ${config.windows.sessionIdGrowth} (as the alert computes it), for the ${k} hosts whose highest ID stood furthest above their sessions present during the time range. It grows on a host whose session IDs are pinned by zombies.`,
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      queries: [{ expr: limitHosts(`max by (instance) (${gap})`, topHosts(k, `${r.sessionIdGap}{${SEL}}`)), legend: '{{instance}}' }],
    },
    {
      type: 'timeseries',
      title: `Pinned session IDs, top ${k} hosts`,
      description: `The ${k} hosts with the most pinned session IDs over the time range: distinct RDS session IDs referenced by zombie logon sessions, which Windows cannot hand out again until a reboot.`,
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      queries: [{ expr: limitHosts(`max by (instance) (rdsleak_zombie_session_ids{${SEL}})`, topHosts(k, `rdsleak_zombie_session_ids{${SEL}}`)), legend: '{{instance}}' }],
    },
    {
      type: 'timeseries',
      title: `Zombie logon sessions, top ${k} hosts`,
      description: `The ${k} hosts with the most zombie logon sessions over the time range: logon sessions of logged-off users kept alive by leaked token handles beyond the grace period.`,
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      queries: [
        { expr: limitHosts(`sum by (instance) (rdsleak_zombie_logon_sessions{${SEL}})`, topHosts(k, `${r.zombieLogonSessions}{${SEL}}`)), legend: '{{instance}}' },
      ],
    },
    {
      type: 'timeseries',
      title: `Highest session ID vs sessions present, top ${k} hosts`,
      description: `For the ${k} hosts whose highest ID stood furthest above their sessions present during the time range: the highest RDS session ID in use and the sessions present. When zombie logon sessions pin session IDs, the highest ID climbs while the sessions present stay flat.`,
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      queries: [
        { expr: limitHosts(`max by (instance) (rdsleak_session_id_highest{${SEL}})`, topHosts(k, `${r.sessionIdGap}{${SEL}}`)), legend: '{{instance}} highest ID' },
        { expr: limitHosts(`sum by (instance) (${r.sessions}{${SEL}})`, topHosts(k, `${r.sessionIdGap}{${SEL}}`)), legend: '{{instance}} sessions' },
      ],
    },
    {
      type: 'bargauge',
      title: 'Hosts ranked by leaked token handles',
      description: `The ${k} hosts with the most leaked token handles (handles to tokens of zombie logon sessions), all processes together.`,
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      steps: leaked,
      queries: [{ expr: `sort_desc(topk(${k}, sum by (instance) (rdsleak_leaked_token_handles{${SEL}})))`, legend: '{{instance}}', instant: true }],
    },
    {
      type: 'bargauge',
      title: 'Top leaking processes across the farm',
      description: `The ${k} process names holding the most leaked token handles over all selected hosts: the services to restart, or to report to their vendor.`,
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      steps: leaked,
      queries: [{ expr: `sort_desc(topk(${k}, sum by (process) (rdsleak_leaked_token_handles{${SEL}})))`, legend: '{{process}}', instant: true }],
    },
    {
      type: 'timeseries',
      title: 'Leaked token handles by process across the farm',
      description: `The ${k} process names holding the most leaked token handles over all selected hosts, over time.`,
      unit: 'none',
      min: 0,
      w: 24,
      h: 8,
      queries: [{ expr: `topk(${k}, sum by (process) (rdsleak_leaked_token_handles{${SEL}}))`, legend: '{{process}}' }],
    },
    {
      type: 'table',
      title: 'Exporter health',
      description:
        'Per host, hosts that were not scraped first: scrape success (up), the worst collector success (1 = every collector succeeded), whether a collector timed out, the duration of the last collection and the exporter version. Click a host for its detail.',
      unit: 'none',
      w: 24,
      h: 8,
      links: [rowHostLink(config)],
      sortBy: [{ column: 'Up', desc: false }],
      queries: [
        { expr: `max by (instance) (up{${SEL}})`, instant: true, table: true },
        { expr: `min by (instance) (rdsleak_collector_success{${SEL}})`, instant: true, table: true },
        { expr: `max by (instance) (rdsleak_collector_timeout{${SEL}})`, instant: true, table: true },
        { expr: `max by (instance) (rdsleak_scrape_duration_seconds{${SEL}})`, instant: true, table: true },
        { expr: `max by (instance, version, source) (rdsleak_build_info{${SEL}})`, instant: true, table: true },
      ],
      transformations: [
        { id: 'merge', options: {} },
        {
          id: 'organize',
          options: {
            excludeByName: { Time: true, 'Value #E': true },
            renameByName: {
              instance: 'Host',
              'Value #A': 'Up',
              'Value #B': 'Collectors OK',
              'Value #C': 'Timed out',
              'Value #D': 'Collection duration',
              version: 'Version',
              source: 'Source',
            },
          },
        },
      ],
      overrides: [{ name: 'Collection duration', properties: [{ id: 'unit', value: 's' }] }],
    },
    {
      type: 'timeseries',
      title: `Collections per second, bottom ${k} hosts`,
      description: `The ${k} hosts with the fewest collections per second over the time range (cached and shared scrapes do not count). Zero means the exporter is not collecting.`,
      unit: 'ops',
      min: 0,
      w: 8,
      h: 8,
      links: toHost,
      queries: [
        {
          expr: limitHosts(
            `sum by (instance) (rate(rdsleak_collections_total{${SEL}}[$__rate_interval]))`,
            `bottomk(${k}, sum by (instance) (increase(rdsleak_collections_total{${SEL}}[$__range] @ end())))`,
          ),
          legend: '{{instance}}',
        },
      ],
    },
    {
      type: 'timeseries',
      title: `Collection duration, top ${k} hosts`,
      description: `The ${k} hosts with the slowest collection over the time range: duration of the last collection and analysis. It should stay well below the scrape timeout.`,
      unit: 's',
      min: 0,
      w: 8,
      h: 8,
      links: toHost,
      queries: [{ expr: limitHosts(`max by (instance) (rdsleak_scrape_duration_seconds{${SEL}})`, topHosts(k, `rdsleak_scrape_duration_seconds{${SEL}}`)), legend: '{{instance}}' }],
    },
    {
      type: 'timeseries',
      title: `Exporter handles, top ${k} hosts`,
      description: `The ${k} hosts whose exporter holds the most handles (Windows) or file descriptors over the time range. It must stay flat; growth means the exporter leaks.`,
      unit: 'none',
      min: 0,
      w: 8,
      h: 8,
      links: toHost,
      queries: [{ expr: limitHosts(`max by (instance) (rdsleak_exporter_handles{${SEL}})`, topHosts(k, `rdsleak_exporter_handles{${SEL}}`)), legend: '{{instance}}' }],
    },
  ];
  return buildDashboard(config, {
    uid: dashboardUid(config, FARM_DASHBOARD.name),
    title: FARM_DASHBOARD.title,
    description: 'Zombie logon sessions, pinned RDS session IDs and leaked token handles across RDS / Citrix farms of hundreds of hosts (rds-leak-exporter).',
    links: [dashboardLink('RDS host leak detail', dashboardUid(config, 'host-detail'), 'One host in detail')],
    panels: specs,
    variables: farmVariables(config),
  });
}
