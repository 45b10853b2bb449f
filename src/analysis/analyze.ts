import type { CollectionIssue, CollectorStatus, LogonSession, Snapshot } from '../model/snapshot.js';
import { LOGON_TYPE_NAMES, type LogonType } from '../model/logon-types.js';
import { DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions } from './flags.js';
import type { AccountKind } from './account-kind.js';
import { summariseSessions, type SessionSummary } from './session-summary.js';
import { findZombieCandidates, type OrphanReason } from './zombie-candidates.js';
import { advanceHistory, type CandidateHistory } from './zombie-tracker.js';
import { accountTokenHandles, type TokenAccounting, type ZombieHolder } from './token-accounting.js';

export { DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions };

export interface Zombie {
  readonly logon: LogonSession;
  readonly accountKind: AccountKind;
  readonly reason: OrphanReason;
  /** Epoch ms when this logon session was first seen orphaned. */
  readonly firstSeen: number;
  readonly ageSeconds: number;
  /** True when the logon session was already orphaned when the agent started watching: it is older than that. */
  readonly ageIsLowerBound: boolean;
  readonly holders: readonly ZombieHolder[];
  readonly handleCount: number;
}

export interface HostAnalysis {
  readonly host: string;
  readonly source: string;
  readonly collectedAt: number;
  /** Null when the WTS collector failed. */
  readonly sessions: SessionSummary | null;
  /** Null when the LSA collector failed. */
  readonly logonSessionsByType: ReadonlyMap<LogonType, number> | null;
  /**
   * Null when zombies cannot be told apart safely: WTS sessions, logon sessions or processes are
   * missing, and guessing would report every logon session as a zombie.
   */
  readonly zombies: readonly Zombie[] | null;
  /** Orphaned logon sessions still inside the grace period. */
  readonly pendingCandidates: number;
  readonly pinnedSessionIds: readonly number[] | null;
  /** Null when the handle collector failed. */
  readonly tokens: TokenAccounting | null;
  readonly zombieLogonTypes: ReadonlySet<LogonType>;
  readonly collectors: readonly CollectorStatus[];
  readonly issues: readonly CollectionIssue[];
}

export interface AnalysisResult {
  readonly analysis: HostAnalysis;
  /** Carry into the next call for the same host. */
  readonly history: CandidateHistory;
}

/** Snapshot -> analysis. Pure: no I/O, no clock; time comes from the snapshot. */
export function analyzeSnapshot(snapshot: Snapshot, history: CandidateHistory, options: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS): AnalysisResult {
  const now = Date.parse(snapshot.collectedAt);
  const sessions = snapshot.wtsSessions ? summariseSessions(snapshot.wtsSessions) : null;

  let logonSessionsByType: Map<LogonType, number> | null = null;
  if (snapshot.logonSessions) {
    logonSessionsByType = new Map(LOGON_TYPE_NAMES.map((t) => [t, 0]));
    for (const l of snapshot.logonSessions) logonSessionsByType.set(l.logonType, (logonSessionsByType.get(l.logonType) ?? 0) + 1);
  }

  let nextHistory: CandidateHistory = history;
  let confirmed: { candidate: ReturnType<typeof findZombieCandidates>[number]; firstSeen: number }[] | null = null;
  let pendingCandidates = 0;
  if (snapshot.wtsSessions && snapshot.logonSessions && snapshot.processes) {
    const wts = { sessions: snapshot.wtsSessions, userNamesKnown: snapshot.wtsUserNamesKnown ?? true };
    const candidates = findZombieCandidates(snapshot.logonSessions, wts, snapshot.processes, options.zombieLogonTypes);
    const advanced = advanceHistory(history, candidates.map((c) => c.logon.logonId), now);
    nextHistory = advanced;
    confirmed = [];
    for (const candidate of candidates) {
      const firstSeen = advanced.get(candidate.logon.logonId) ?? now;
      if (now - firstSeen >= options.gracePeriodMs) confirmed.push({ candidate, firstSeen });
      else pendingCandidates += 1;
    }
  }

  const zombieIds = confirmed ? new Set(confirmed.map((z) => z.candidate.logon.logonId)) : null;
  let tokens: HostAnalysis['tokens'] = null;
  if (snapshot.tokenHandles) {
    const described = snapshot.logonSessions ? new Set(snapshot.logonSessions.map((l) => l.logonId)) : null;
    tokens = accountTokenHandles(snapshot.tokenHandles, snapshot.processes, zombieIds, described);
  }

  const zombies: Zombie[] | null = confirmed
    ? confirmed
        .map(({ candidate, firstSeen }) => {
          const holders = tokens?.holdersByLogon.get(candidate.logon.logonId) ?? [];
          return {
            logon: candidate.logon,
            accountKind: candidate.accountKind,
            reason: candidate.reason,
            firstSeen,
            ageSeconds: (now - firstSeen) / 1000,
            ageIsLowerBound: false,
            holders,
            handleCount: holders.reduce((sum, h) => sum + h.handles, 0),
          };
        })
        .sort((a, b) => a.firstSeen - b.firstSeen || a.logon.logonId.localeCompare(b.logon.logonId))
    : null;

  // A session id is pinned only while no session uses it: when a live session has the id, Windows reused it.
  const presentSessionIds = new Set((snapshot.wtsSessions ?? []).map((s) => s.sessionId));
  const pinnedSessionIds = zombies ? [...new Set(zombies.map((z) => z.logon.sessionId))].filter((id) => !presentSessionIds.has(id)).sort((a, b) => a - b) : null;

  return {
    analysis: {
      host: snapshot.host,
      source: snapshot.source,
      collectedAt: now,
      sessions,
      logonSessionsByType,
      zombies,
      pendingCandidates,
      pinnedSessionIds,
      tokens,
      zombieLogonTypes: options.zombieLogonTypes,
      collectors: snapshot.collectors,
      issues: snapshot.issues,
    },
    history: nextHistory,
  };
}
