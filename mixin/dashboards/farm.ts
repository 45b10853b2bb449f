/** "RDS farm overview": every host of the selected jobs at a glance. */
import type { MixinConfig } from '../config.js';
import { type Dashboard, type Link, type PanelSpec, SEL, dashboard, dashboardLink, dashboardUid, layout, tierSteps } from './model.js';

export const FARM_DASHBOARD = { name: 'farm-overview', file: 'rds-farm-overview.json', title: 'RDS farm overview' } as const;

export function hostDetailLink(config: MixinConfig): Link {
  return {
    title: 'Host leak detail for ${__field.labels.instance}',
    url: `/d/${dashboardUid(config, 'host-detail')}?var-instance=\${__field.labels.instance}&\${datasource:queryparam}&\${job:queryparam}&\${__url_time_range}`,
  };
}

export function farmOverview(config: MixinConfig): Dashboard {
  const toHost = [hostDetailLink(config)];
  // Colour thresholds are the alerts' thresholds, so a red value means the critical alert's condition.
  const t = config.thresholds;
  const sessionIds = t.sessionIdsNotReused;
  const leaked = tierSteps(t.leakedTokenHandlesGrowth.floor, t.leakedTokenHandlesGrowth.projectedLimit);
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
      title: 'Hosts with zombies',
      description: 'Hosts with at least one zombie logon session: a logged-off user whose logon session is kept alive by a leaked token handle.',
      unit: 'none',
      w: 4,
      h: 4,
      steps: [{ value: 1, color: 'orange' }],
      queries: [{ expr: `count(sum without (logon_type) (rdsleak_zombie_logon_sessions{${SEL}}) > 0) or vector(0)`, instant: true }],
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
      type: 'stat',
      title: 'Largest session-ID gap',
      description:
        'The largest difference, over the selected hosts, between the highest RDS session ID in use and the number of sessions present. A host that reuses session IDs keeps this small.',
      unit: 'none',
      w: 4,
      h: 4,
      steps: [{ value: sessionIds.warning.gap, color: 'orange' }, { value: sessionIds.critical.gap, color: 'red' }],
      queries: [{ expr: `max(rdsleak_session_id_highest{${SEL}} - sum without (state) (rdsleak_sessions{${SEL}}))`, instant: true }],
    },
    {
      type: 'timeseries',
      title: 'Highest session ID vs sessions present',
      description:
        'Per host: the highest RDS session ID in use and the number of user sessions present (session 0 and listeners excluded). When zombie logon sessions pin session IDs, the highest ID climbs while the sessions present stay flat.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      queries: [
        { expr: `max by (instance) (rdsleak_session_id_highest{${SEL}})`, legend: '{{instance}} highest ID' },
        { expr: `sum by (instance) (rdsleak_sessions{${SEL}})`, legend: '{{instance}} sessions' },
      ],
    },
    {
      type: 'timeseries',
      title: 'Session-ID gap per host',
      description: 'Per host: highest RDS session ID in use minus the number of sessions present. It grows on a host whose session IDs are pinned by zombies.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      queries: [
        {
          expr: `max by (instance) (rdsleak_session_id_highest{${SEL}} - sum without (state) (rdsleak_sessions{${SEL}}))`,
          legend: '{{instance}}',
        },
      ],
    },
    {
      type: 'timeseries',
      title: 'Zombie logon sessions per host',
      description: 'Per host: logon sessions of logged-off users kept alive by leaked token handles beyond the grace period.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      queries: [{ expr: `sum by (instance) (rdsleak_zombie_logon_sessions{${SEL}})`, legend: '{{instance}}' }],
    },
    {
      type: 'timeseries',
      title: 'Pinned session IDs per host',
      description: 'Per host: distinct RDS session IDs referenced by zombie logon sessions, which Windows cannot hand out again until a reboot.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      queries: [{ expr: `max by (instance) (rdsleak_zombie_session_ids{${SEL}})`, legend: '{{instance}}' }],
    },
    {
      type: 'bargauge',
      title: 'Hosts ranked by leaked token handles',
      description: 'The 20 hosts with the most leaked token handles (handles to tokens of zombie logon sessions), all processes together.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      links: toHost,
      steps: leaked,
      queries: [{ expr: `sort_desc(topk(20, sum by (instance) (rdsleak_leaked_token_handles{${SEL}})))`, legend: '{{instance}}', instant: true }],
    },
    {
      type: 'bargauge',
      title: 'Top leaking processes across the farm',
      description:
        'The 10 process names holding the most leaked token handles over all selected hosts: the services to restart, or to report to their vendor.',
      unit: 'none',
      min: 0,
      w: 12,
      h: 9,
      steps: leaked,
      queries: [{ expr: `sort_desc(topk(10, sum by (process) (rdsleak_leaked_token_handles{${SEL}})))`, legend: '{{process}}', instant: true }],
    },
    {
      type: 'timeseries',
      title: 'Leaked token handles by process across the farm',
      description: 'The 10 process names holding the most leaked token handles over all selected hosts, over time.',
      unit: 'none',
      min: 0,
      w: 24,
      h: 8,
      queries: [{ expr: `topk(10, sum by (process) (rdsleak_leaked_token_handles{${SEL}}))`, legend: '{{process}}' }],
    },
    {
      type: 'table',
      title: 'Exporter health',
      description:
        'Per host: scrape success (up), the worst collector success (1 = every collector succeeded), whether a collector timed out, the duration of the last collection and the exporter version.',
      unit: 'none',
      w: 24,
      h: 8,
      links: toHost,
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
      overrides: [{ matcher: { id: 'byName', options: 'Collection duration' }, properties: [{ id: 'unit', value: 's' }] }],
    },
    {
      type: 'timeseries',
      title: 'Collections per second',
      description: 'Per host: collections the exporter ran per second (cached and shared scrapes do not count). Zero means the exporter is not collecting.',
      unit: 'ops',
      min: 0,
      w: 8,
      h: 8,
      queries: [{ expr: `sum by (instance) (rate(rdsleak_collections_total{${SEL}}[$__rate_interval]))`, legend: '{{instance}}' }],
    },
    {
      type: 'timeseries',
      title: 'Collection duration',
      description: 'Per host: duration of the last collection and analysis. It should stay well below the scrape timeout.',
      unit: 's',
      min: 0,
      w: 8,
      h: 8,
      queries: [{ expr: `max by (instance) (rdsleak_scrape_duration_seconds{${SEL}})`, legend: '{{instance}}' }],
    },
    {
      type: 'timeseries',
      title: 'Exporter handles',
      description: 'Per host: handles (Windows) or file descriptors the exporter itself holds open. It must stay flat; growth means the exporter leaks.',
      unit: 'none',
      min: 0,
      w: 8,
      h: 8,
      queries: [{ expr: `max by (instance) (rdsleak_exporter_handles{${SEL}})`, legend: '{{instance}}' }],
    },
  ];
  return dashboard(config, {
    uid: dashboardUid(config, FARM_DASHBOARD.name),
    title: FARM_DASHBOARD.title,
    description: 'Zombie logon sessions, pinned RDS session IDs and leaked token handles across an RDS / Citrix farm (rds-leak-exporter).',
    links: [dashboardLink('RDS host leak detail', dashboardUid(config, 'host-detail'), 'One host in detail')],
    panels: layout(specs),
  });
}
