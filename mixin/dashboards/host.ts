/** "RDS host leak detail": one host in detail (single-select instance variable), down to the zombie logon sessions and their holders. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { MixinConfig } from '../config.js';
import { type PanelSpec, buildDashboard, dashboardLink, dashboardUid, tierSteps } from './grafana.js';

/**
 * Matchers every query of the host dashboard carries: `instance` is single-select without All, so it
 * is matched exactly (Grafana does not regex-escape a single-valued variable, so `=~` would let the dots
 * of `rdsh-ber-017.corp` match other hosts).
 */
export const HOST_SEL = 'job=~"$job",instance="$instance"';
const SEL = HOST_SEL;

export const HOST_DASHBOARD = { name: 'host-detail', file: 'rds-host-leak-detail.json', title: 'RDS host leak detail' } as const;

export function hostDetail(config: MixinConfig): Dashboard {
  // Colour thresholds are the alerts' thresholds, so a red stat means the critical alert's condition.
  const t = config.thresholds;
  const specs: PanelSpec[] = [
    {
      type: 'stat',
      title: 'Highest session ID',
      description: 'The highest RDS session ID in use (session 0 and listeners excluded).',
      unit: 'none',
      w: 4,
      h: 4,
      queries: [{ expr: `max by (instance) (rdsleak_session_id_highest{${SEL}})`, legend: '{{instance}}', instant: true }],
    },
    {
      type: 'stat',
      title: 'Sessions present',
      description: 'User sessions present in every WTS state (session 0 and listeners excluded).',
      unit: 'none',
      w: 4,
      h: 4,
      queries: [{ expr: `sum by (instance) (rdsleak_sessions{${SEL}})`, legend: '{{instance}}', instant: true }],
    },
    {
      type: 'stat',
      title: 'Pinned session IDs',
      description: 'Distinct RDS session IDs referenced by zombie logon sessions: IDs Windows cannot reuse until a reboot.',
      unit: 'none',
      w: 4,
      h: 4,
      steps: tierSteps(t.sessionIdsNotReused.warning.pinned, t.sessionIdsNotReused.critical.pinned),
      queries: [{ expr: `max by (instance) (rdsleak_zombie_session_ids{${SEL}})`, legend: '{{instance}}', instant: true }],
    },
    {
      type: 'stat',
      title: 'Zombie logon sessions',
      description: 'Logon sessions of logged-off users kept alive by leaked token handles beyond the grace period.',
      unit: 'none',
      w: 4,
      h: 4,
      steps: tierSteps(t.zombieLogonSessions.warning.threshold, t.zombieLogonSessions.critical.threshold),
      queries: [{ expr: `sum by (instance) (rdsleak_zombie_logon_sessions{${SEL}})`, legend: '{{instance}}', instant: true }],
    },
    {
      type: 'stat',
      title: 'Leaked token handles',
      description: 'Handles to access tokens of zombie logon sessions, all processes together.',
      unit: 'none',
      w: 4,
      h: 4,
      steps: tierSteps(t.leakedTokenHandlesGrowth.floor, t.leakedTokenHandlesGrowth.projectedLimit),
      queries: [{ expr: `sum by (instance) (rdsleak_leaked_token_handles{${SEL}})`, legend: '{{instance}}', instant: true }],
    },
    {
      type: 'stat',
      title: 'Oldest zombie',
      description: 'Time since the oldest zombie logon session was first seen without its RDS session and processes.',
      unit: 's',
      w: 4,
      h: 4,
      steps: [{ value: 3600, color: 'orange' }, { value: 86400, color: 'red' }],
      queries: [{ expr: `max by (instance) (rdsleak_zombie_logon_session_oldest_seconds{${SEL}})`, legend: '{{instance}}', instant: true }],
    },
    {
      type: 'timeseries',
      title: 'Session IDs',
      description:
        'The highest RDS session ID in use, the sessions present and the session IDs pinned by zombies. On a healthy host the highest ID follows the sessions present; when IDs are pinned it climbs away from them.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      queries: [
        { expr: `max by (instance) (rdsleak_session_id_highest{${SEL}})`, legend: '{{instance}} highest ID' },
        { expr: `sum by (instance) (rdsleak_sessions{${SEL}})`, legend: '{{instance}} sessions present' },
        { expr: `max by (instance) (rdsleak_zombie_session_ids{${SEL}})`, legend: '{{instance}} pinned IDs' },
      ],
    },
    {
      type: 'timeseries',
      title: 'Sessions by state',
      description: 'User sessions by WTS connection state (active, disconnected, ...), stacked.',
      unit: 'none',
      min: 0,
      stack: true,
      w: 12,
      h: 9,
      queries: [{ expr: `sum by (instance, state) (rdsleak_sessions{${SEL}})`, legend: '{{instance}} {{state}}' }],
    },
    {
      type: 'timeseries',
      title: 'Zombie logon sessions by logon type',
      description: 'Zombie logon sessions by logon type (interactive, remote_interactive, cached_...), stacked.',
      unit: 'none',
      min: 0,
      stack: true,
      w: 8,
      h: 8,
      queries: [{ expr: `sum by (instance, logon_type) (rdsleak_zombie_logon_sessions{${SEL}})`, legend: '{{instance}} {{logon_type}}' }],
    },
    {
      type: 'timeseries',
      title: 'Zombie candidates',
      description: 'Logon sessions that look like zombies but are still inside the grace period. Most are released by Windows within minutes of a logoff.',
      unit: 'none',
      min: 0,
      w: 8,
      h: 8,
      queries: [{ expr: `max by (instance) (rdsleak_zombie_logon_session_candidates{${SEL}})`, legend: '{{instance}}' }],
    },
    {
      type: 'timeseries',
      title: 'Oldest zombie age',
      description: 'Time since the oldest zombie logon session was first seen without its RDS session and processes. It only falls when that zombie is released.',
      unit: 's',
      min: 0,
      w: 8,
      h: 8,
      queries: [{ expr: `max by (instance) (rdsleak_zombie_logon_session_oldest_seconds{${SEL}})`, legend: '{{instance}}' }],
    },
    {
      type: 'timeseries',
      title: 'Leaked token handles per process',
      description:
        'Handles to tokens of zombie logon sessions, per holding process name (image name without .exe). A climbing line is the service that leaks: restart it or report it to its vendor.',
      unit: 'none',
      min: 0,
      w: 24,
      h: 9,
      queries: [{ expr: `sum by (instance, process) (rdsleak_leaked_token_handles{${SEL}})`, legend: '{{instance}} {{process}}' }],
    },
    {
      type: 'table',
      title: 'Zombie logon session list',
      description:
        'One row per zombie logon session: its logon ID (LUID, as printed by logonsessions.exe; use it with handle.exe -a), the RDS session ID it pins, its logon type and account kind (user, or the DWM/UMFD virtual account of the session).',
      unit: 'none',
      w: 14,
      h: 10,
      queries: [{ expr: `rdsleak_zombie_logon_session_info{${SEL}}`, instant: true, table: true }],
      transformations: [
        {
          id: 'organize',
          options: {
            excludeByName: { Time: true, Value: true, __name__: true, job: true },
            indexByName: { instance: 0, session_id: 1, logon_id: 2, logon_type: 3, account_kind: 4 },
            renameByName: { instance: 'Host', session_id: 'Session ID', logon_id: 'Logon ID', logon_type: 'Logon type', account_kind: 'Account' },
          },
        },
      ],
    },
    {
      type: 'bargauge',
      title: 'Token handles per process',
      description: 'All handles to access-token objects per holding process name, leaked or not. Compare with the leaked handles to see which holders misbehave.',
      unit: 'none',
      min: 0,
      w: 10,
      h: 10,
      queries: [{ expr: `sort_desc(sum by (instance, process) (rdsleak_token_handles{${SEL}}))`, legend: '{{process}}', instant: true }],
    },
    {
      type: 'timeseries',
      title: 'Logon sessions by logon type',
      description: 'All LSA logon sessions by logon type, zombie or not.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 8,
      queries: [{ expr: `sum by (instance, logon_type) (rdsleak_logon_sessions{${SEL}})`, legend: '{{instance}} {{logon_type}}' }],
    },
    {
      type: 'timeseries',
      title: 'Unresolved token handles by reason',
      description:
        'Token handles whose logon session could not be determined, by holder and reason (access_denied, protected_process, gone, query_failed, skipped). Protected holders such as lsass hide references: the leak counts are a lower bound.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 8,
      queries: [{ expr: `sum by (instance, process, reason) (rdsleak_token_handles_unresolved{${SEL}})`, legend: '{{instance}} {{process}} {{reason}}' }],
    },
    {
      type: 'timeseries',
      title: 'Token handles of logon sessions LSA does not describe',
      description:
        'Token handles whose logon session LSA cannot describe (not enumerated, or its data could not be read), by holder, and the number of such logon sessions. They cannot be classified as zombie or not; a count that stays above 0 deserves logonsessions.exe and handle.exe -a <luid>.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 8,
      queries: [
        { expr: `sum by (instance, process) (rdsleak_token_handles_unknown_logon_session{${SEL}})`, legend: '{{instance}} {{process}}' },
        { expr: `sum by (instance) (rdsleak_unknown_logon_sessions{${SEL}})`, legend: '{{instance}} logon sessions' },
      ],
    },
    {
      type: 'timeseries',
      title: 'Collector success',
      description: 'Per collector (wts, lsa, processes, handles, tokens, services): 1 when its last run succeeded, 0 when it failed or timed out.',
      unit: 'bool',
      min: 0,
      w: 8,
      h: 8,
      queries: [{ expr: `min by (instance, collector) (rdsleak_collector_success{${SEL}})`, legend: '{{instance}} {{collector}}' }],
    },
    {
      type: 'timeseries',
      title: 'Collector duration',
      description: 'Per collector: duration of its last run.',
      unit: 's',
      min: 0,
      w: 8,
      h: 8,
      queries: [{ expr: `max by (instance, collector) (rdsleak_collector_duration_seconds{${SEL}})`, legend: '{{instance}} {{collector}}' }],
    },
    {
      type: 'timeseries',
      title: 'Collector timeouts',
      description: 'Per collector: 1 when its last run went past the scrape budget and its result was dropped.',
      unit: 'bool',
      min: 0,
      w: 8,
      h: 8,
      queries: [{ expr: `max by (instance, collector) (rdsleak_collector_timeout{${SEL}})`, legend: '{{instance}} {{collector}}' }],
    },
    {
      type: 'timeseries',
      title: 'Collections per second',
      description: 'Collections the exporter ran per second (cached and shared scrapes do not count).',
      unit: 'ops',
      min: 0,
      w: 12,
      h: 8,
      queries: [{ expr: `sum by (instance) (rate(rdsleak_collections_total{${SEL}}[$__rate_interval]))`, legend: '{{instance}}' }],
    },
    {
      type: 'timeseries',
      title: 'Exporter handles',
      description: 'Handles (Windows) or file descriptors the exporter itself holds open. It must stay flat.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 8,
      queries: [{ expr: `max by (instance) (rdsleak_exporter_handles{${SEL}})`, legend: '{{instance}}' }],
    },
  ];
  const m = config.variableMetric;
  return buildDashboard(config, {
    uid: dashboardUid(config, HOST_DASHBOARD.name),
    title: HOST_DASHBOARD.title,
    description: 'One RDS / Citrix host in detail: session IDs, zombie logon sessions, leaked token handles per process and collector health (rds-leak-exporter).',
    links: [dashboardLink('RDS farm overview', dashboardUid(config, 'farm-overview'), 'All hosts of the farm')],
    panels: specs,
    variables: [
      { name: 'job', label: 'Job', query: `label_values(${m}, job)`, allValue: '.+' },
      { name: 'instance', label: 'Host', query: `label_values(${m}{job=~"$job"}, instance)` },
    ],
  });
}
