/**
 * Every metric the exporter exports under its own namespace: the single list that the registry, the
 * documentation test and the dashboard/alert lint all read.
 */
export const METRIC_NAMESPACE = 'rdsleak';

export interface MetricDefinition {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly labels: readonly string[];
}

function metric(name: string, type: MetricDefinition['type'], labels: readonly string[], help: string): MetricDefinition {
  return { name: `${METRIC_NAMESPACE}_${name}`, type, help, labels };
}

export const METRICS = {
  sessionIdHighest: metric('session_id_highest', 'gauge', [], 'Highest RDS session ID in use (not session 0, not listeners).'),
  sessions: metric('sessions', 'gauge', ['state'], 'RDS sessions (not session 0, not listeners) by WTS connection state.'),
  logonSessions: metric('logon_sessions', 'gauge', ['logon_type'], 'LSA logon sessions by logon type.'),
  zombieLogonSessions: metric('zombie_logon_sessions', 'gauge', ['logon_type'], 'Zombie logon sessions (logged off, no process, kept alive past the grace period) by logon type.'),
  zombieCandidates: metric('zombie_logon_session_candidates', 'gauge', [], 'Logon sessions that look like zombies but are still inside the grace period.'),
  zombieSessionIds: metric('zombie_session_ids', 'gauge', [], 'Distinct RDS session IDs pinned by zombie logon sessions.'),
  zombieOldestSeconds: metric('zombie_logon_session_oldest_seconds', 'gauge', [], 'Seconds since the oldest zombie logon session was first seen without its RDS session and processes.'),
  zombieInfo: metric('zombie_logon_session_info', 'gauge', ['logon_id', 'session_id', 'logon_type', 'account_kind'], 'One series per zombie logon session (value 1), capped by --metrics.zombie-info-limit.'),
  zombieInfoDropped: metric('zombie_logon_session_info_dropped', 'gauge', [], 'Zombie logon sessions left out of rdsleak_zombie_logon_session_info by the cap.'),
  tokenHandles: metric('token_handles', 'gauge', ['process'], 'Handles to access-token objects by holder image name.'),
  leakedTokenHandles: metric('leaked_token_handles', 'gauge', ['process'], 'Token handles whose logon session is a zombie, by holder image name.'),
  tokenHandlesUnresolved: metric('token_handles_unresolved', 'gauge', ['process', 'reason'], 'Token handles whose logon session could not be determined, by holder and reason.'),
  tokenHandlesUnknownLogon: metric(
    'token_handles_unknown_logon_session',
    'gauge',
    ['process'],
    'Token handles whose logon session LSA does not describe (not enumerated, or its data could not be read), by holder image name. Possible zombies that cannot be classified.',
  ),
  unknownLogonSessions: metric('unknown_logon_sessions', 'gauge', [], 'Distinct logon sessions held through token handles that LSA does not describe.'),
  collectorSuccess: metric('collector_success', 'gauge', ['collector'], '1 when the collector succeeded in the last collection, 0 otherwise.'),
  collectorTimeout: metric('collector_timeout', 'gauge', ['collector'], '1 when the collector ran past the deadline in the last collection (the scrape budget in scrape mode).'),
  collectorDuration: metric('collector_duration_seconds', 'gauge', ['collector'], 'Duration of the collector in the last collection.'),
  collectionIssues: metric('collection_issues', 'gauge', ['collector', 'kind'], 'Benign events counted in the last collection (races, vanished sessions, denied opens).'),
  collectionsTotal: metric('collections_total', 'counter', [], 'Collections run since start, failed ones included (cached and shared scrapes do not count).'),
  lastCollectionTimestamp: metric('last_collection_timestamp_seconds', 'gauge', [], 'Unix time when the last successful collection finished.'),
  lastCollectionAge: metric(
    'last_collection_age_seconds',
    'gauge',
    [],
    'Seconds, at scrape time, since the last successful collection finished (since the agent started when none has).',
  ),
  scrapeDuration: metric('scrape_duration_seconds', 'gauge', [], 'Duration of the last collection and analysis.'),
  buildInfo: metric('build_info', 'gauge', ['version', 'source', 'nodejs'], 'Constant 1 with the build version and the snapshot source.'),
  exporterHandles: metric('exporter_handles', 'gauge', [], 'Handles (Windows) or file descriptors (elsewhere) the exporter itself holds open.'),
} as const satisfies Record<string, MetricDefinition>;

/** Extra labels on the zombie info series when --metrics.include-user-names is given. */
export const USER_NAME_LABELS = ['user', 'domain'] as const;

export const METRIC_NAMES: readonly string[] = Object.values(METRICS).map((m) => m.name);
