import { Gauge, Registry } from 'prom-client';
import type { HostAnalysis } from '../analysis/analyze.js';
import { processLabel } from '../analysis/process-label.js';
import { COLLECTOR_NAMES } from '../model/snapshot.js';
import { METRICS, USER_NAME_LABELS, type MetricDefinition } from './catalog.js';
import type { AnalysisMetricsOptions } from './flags.js';

export type { AnalysisMetricsOptions };

function gauge(registry: Registry, def: MetricDefinition, extraLabels: readonly string[] = []): Gauge<string> {
  return new Gauge({ name: def.name, help: def.help, labelNames: [...def.labels, ...extraLabels], registers: [registry] });
}

/**
 * Analysis -> metrics, into a registry made for this one scrape: no state survives between scrapes, so
 * a process that exited or a zombie that vanished can never linger as a stale series. Series whose
 * input is unknown (its collector failed) are left out rather than reported as 0.
 */
export function buildAnalysisRegistry(analysis: HostAnalysis | null, options: AnalysisMetricsOptions, collectionTimedOut = false): Registry {
  return buildCollectionRegistry(analysis, collectionTimedOut, analysis, options);
}

/**
 * Like {@link buildAnalysisRegistry}, but the collector gauges and issues come from the latest attempt
 * and the other series from `data`: background collection keeps serving the last good analysis when a
 * collection fails as a whole, while the collector gauges say that the latest one failed.
 */
export function buildCollectionRegistry(latest: HostAnalysis | null, latestTimedOut: boolean, data: HostAnalysis | null, options: AnalysisMetricsOptions): Registry {
  const registry = new Registry();
  const success = gauge(registry, METRICS.collectorSuccess);
  const timeout = gauge(registry, METRICS.collectorTimeout);
  const duration = gauge(registry, METRICS.collectorDuration);
  const issues = gauge(registry, METRICS.collectionIssues);

  const statuses = new Map((latest?.collectors ?? []).map((c) => [c.name, c]));
  for (const name of new Set<string>([...COLLECTOR_NAMES, ...statuses.keys()])) {
    const status = statuses.get(name);
    success.set({ collector: name }, status?.success ? 1 : 0);
    timeout.set({ collector: name }, status?.timedOut || (!status && latestTimedOut) ? 1 : 0);
    duration.set({ collector: name }, status?.durationSeconds ?? 0);
  }
  for (const issue of latest?.issues ?? []) issues.inc({ collector: issue.collector, kind: issue.kind }, issue.count);
  if (data) addAnalysisSeries(registry, data, options);
  return registry;
}

function addAnalysisSeries(registry: Registry, analysis: HostAnalysis, options: AnalysisMetricsOptions): void {
  if (analysis.sessions) {
    gauge(registry, METRICS.sessionIdHighest).set(analysis.sessions.highestSessionId);
    const sessions = gauge(registry, METRICS.sessions);
    for (const [state, count] of Object.entries(analysis.sessions.byState)) sessions.set({ state }, count);
  }

  if (analysis.logonSessionsByType) {
    const logons = gauge(registry, METRICS.logonSessions);
    for (const [logonType, count] of analysis.logonSessionsByType) logons.set({ logon_type: logonType }, count);
  }

  if (analysis.zombies && analysis.pinnedSessionIds) {
    const byType = gauge(registry, METRICS.zombieLogonSessions);
    for (const logonType of analysis.zombieLogonTypes) byType.set({ logon_type: logonType }, 0);
    for (const z of analysis.zombies) byType.inc({ logon_type: z.logon.logonType });
    gauge(registry, METRICS.zombieCandidates).set(analysis.pendingCandidates);
    gauge(registry, METRICS.zombieSessionIds).set(analysis.pinnedSessionIds.length);
    gauge(registry, METRICS.zombieOldestSeconds).set(analysis.zombies.reduce((max, z) => Math.max(max, z.ageSeconds), 0));

    const info = gauge(registry, METRICS.zombieInfo, options.includeUserNames ? USER_NAME_LABELS : []);
    const shown = analysis.zombies.slice(0, Math.max(0, options.zombieInfoLimit));
    for (const z of shown) {
      const labels: Record<string, string> = {
        logon_id: z.logon.logonId,
        session_id: String(z.logon.sessionId),
        logon_type: z.logon.logonType,
        account_kind: z.accountKind,
      };
      if (options.includeUserNames) Object.assign(labels, { user: z.logon.user, domain: z.logon.domain });
      info.set(labels, 1);
    }
    gauge(registry, METRICS.zombieInfoDropped).set(analysis.zombies.length - shown.length);
  }

  if (analysis.tokens) {
    const total = gauge(registry, METRICS.tokenHandles);
    const leaked = analysis.zombies ? gauge(registry, METRICS.leakedTokenHandles) : null;
    const unresolved = gauge(registry, METRICS.tokenHandlesUnresolved);
    const unknownLogon = analysis.tokens.undescribedLogonIds !== null ? gauge(registry, METRICS.tokenHandlesUnknownLogon) : null;
    if (analysis.tokens.undescribedLogonIds !== null) gauge(registry, METRICS.unknownLogonSessions).set(analysis.tokens.undescribedLogonIds);
    // Two images can share a label only by case; summing keeps series unique (duplicates fail scrapes).
    for (const [image, counts] of analysis.tokens.byImage) {
      const process = processLabel(image);
      total.inc({ process }, counts.total);
      leaked?.inc({ process }, counts.leaked);
      for (const [reason, count] of counts.unresolved) unresolved.inc({ process, reason }, count);
      unknownLogon?.inc({ process }, counts.undescribed);
    }
  }
}
