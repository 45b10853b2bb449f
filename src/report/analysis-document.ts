import { z } from 'zod';
import type { HostAnalysis } from '../analysis/analyze.js';
import type { AccountKind } from '../analysis/account-kind.js';
import type { ProcessTokenCounts, ZombieHolder } from '../analysis/token-accounting.js';
import type { OrphanReason } from '../analysis/zombie-candidates.js';
import { LOGON_TYPE_NAMES, type LogonType } from '../model/logon-types.js';
import { collectorStatusSchema, UNRESOLVED_REASONS, type UnresolvedReason } from '../model/snapshot.js';
import { SESSION_STATES, type SessionState } from '../model/session-states.js';
import { jsonReport } from './report.js';

/**
 * The answer of `/api/v1/analysis` (docs/api.md): the report JSON of the agent's latest collection, the
 * agent's own facts and the session ID history. `report` reads it back to print the running agent's
 * answer in any format.
 */

/** What the agent says about itself. */
export interface AgentFacts {
  readonly version: string;
  readonly source: string;
  readonly simulated: boolean;
  readonly telemetryPath: string;
  /** --metrics.include-user-names: without it the document holds no user, domain or SID. */
  readonly userNamesIncluded: boolean;
  /** Epoch ms when the agent started. */
  readonly startedAt: number;
}

/** The agent's latest collection as the collection service saw it. */
export interface CollectionOutcome {
  readonly analysis: HostAnalysis | null;
  /** Epoch ms of the agent's clock. */
  readonly startedAt: number;
  readonly durationSeconds: number;
  readonly error: string | null;
  readonly timedOut: boolean;
}

export interface HistoryPoint {
  /** Epoch ms of the host's clock. */
  readonly at: number;
  readonly highestSessionId: number;
  readonly present: number;
}

/** The fields of a zombie's logon session that name a person: left out unless the agent opts in. */
const PERSONAL_FIELDS = ['user', 'domain', 'sid'] as const;

function withoutPersonalFields(zombie: Record<string, unknown>): Record<string, unknown> {
  return { ...zombie, ...Object.fromEntries(PERSONAL_FIELDS.map((field) => [field, null])) };
}

/** Builds the API document; without the opt-in, user, domain and SID are null in every zombie. */
export function analysisDocument(collection: CollectionOutcome | null, facts: AgentFacts, history: readonly HistoryPoint[]): Record<string, unknown> {
  const analysis = collection?.analysis ?? null;
  let report: Record<string, unknown> = {};
  if (analysis) {
    report = jsonReport(analysis);
    const zombies = report.zombies as Record<string, unknown>[] | null;
    if (zombies && !facts.userNamesIncluded) report.zombies = zombies.map(withoutPersonalFields);
    report.logonSessionsByType = analysis.logonSessionsByType ? Object.fromEntries(analysis.logonSessionsByType) : null;
  }
  return {
    ...report,
    agent: {
      host: analysis?.host ?? null,
      version: facts.version,
      source: facts.source,
      simulated: facts.simulated,
      telemetryPath: facts.telemetryPath,
      userNamesIncluded: facts.userNamesIncluded,
      startedAt: new Date(facts.startedAt).toISOString(),
      lastCollection: collection
        ? { startedAt: new Date(collection.startedAt).toISOString(), durationSeconds: collection.durationSeconds, error: collection.error, timedOut: collection.timedOut }
        : null,
    },
    history: history.map((p) => ({ at: new Date(p.at).toISOString(), highestSessionId: p.highestSessionId, present: p.present })),
  };
}

const count = z.number().int().nonnegative();
const holderSchema = z.looseObject({ pid: count, image: z.string(), handles: count });
const zombieSchema = z.object({
  logonId: z.string(),
  sessionId: count,
  logonType: z.enum(LOGON_TYPE_NAMES as [LogonType, ...LogonType[]]),
  user: z.string().nullable(),
  domain: z.string().nullable(),
  sid: z.string().nullable(),
  authPackage: z.string(),
  logonTime: z.string().nullable(),
  // Printed only: a kind or reason a newer agent adds reads as it is.
  accountKind: z.string(),
  reason: z.string(),
  ageSeconds: z.number().nonnegative(),
  /** Absent from agents older than the state file: then the age is taken as exact. */
  ageIsLowerBound: z.boolean().optional(),
  holders: z.array(holderSchema),
});
const tokensSchema = z.object({
  total: count,
  leaked: count,
  resolvedThroughSharedObject: count,
  unknownLogonSessions: count.nullable(),
  byProcess: z.record(
    z.string(),
    z.object({ total: count, leaked: count, unknownLogonSession: count, unresolved: z.partialRecord(z.enum(UNRESOLVED_REASONS), count) }),
  ),
});
const agentSchema = z.object({
  host: z.string().nullable(),
  version: z.string(),
  source: z.string(),
  telemetryPath: z.string(),
  userNamesIncluded: z.boolean(),
  lastCollection: z.object({ startedAt: z.string(), durationSeconds: z.number(), error: z.string().nullable(), timedOut: z.boolean() }).nullable(),
});
const reportSchema = z.object({
  host: z.string(),
  source: z.string(),
  collectedAt: z.iso.datetime({ offset: true }),
  sessions: z.object({ highestSessionId: count, present: count, byState: z.partialRecord(z.enum(SESSION_STATES), count) }).nullable(),
  logonSessionsByType: z.partialRecord(z.enum(LOGON_TYPE_NAMES as [LogonType, ...LogonType[]]), count).nullable().optional(),
  zombies: z.array(zombieSchema).nullable(),
  pendingCandidates: count,
  pinnedSessionIds: z.array(count).nullable(),
  tokens: tokensSchema.nullable(),
  collectors: z.array(collectorStatusSchema),
});
/** Without `collectedAt` the agent has no analysis (its latest collection failed): only its facts. */
const documentSchema = z.object({ agent: agentSchema, collectedAt: z.unknown().optional() });

export type AgentSummary = z.infer<typeof agentSchema>;

/** An agent's answer read back: its facts, and its analysis when its latest collection gave one. */
export interface ParsedAnalysisDocument {
  readonly agent: AgentSummary;
  readonly analysis: HostAnalysis | null;
}

/** Reads an `/api/v1/analysis` answer; throws a zod error naming the first wrong field. */
export function parseAnalysisDocument(json: unknown): ParsedAnalysisDocument {
  const doc = documentSchema.parse(json);
  if (doc.collectedAt === undefined) return { agent: doc.agent, analysis: null };
  return { agent: doc.agent, analysis: hostAnalysisFrom(reportSchema.parse(json)) };
}

/** Back to the shape the renderers take; what the document does not carry stays empty. */
function hostAnalysisFrom(r: z.infer<typeof reportSchema>): HostAnalysis {
  const collectedAt = Date.parse(r.collectedAt);
  const zombies =
    r.zombies?.map((z) => {
      const holders: ZombieHolder[] = z.holders;
      return {
        logon: { logonId: z.logonId, sessionId: z.sessionId, logonType: z.logonType, user: z.user ?? '', domain: z.domain ?? '', authPackage: z.authPackage, logonTime: z.logonTime, sid: z.sid },
        accountKind: z.accountKind as AccountKind,
        reason: z.reason as OrphanReason,
        firstSeen: collectedAt - z.ageSeconds * 1000,
        ageSeconds: z.ageSeconds,
        ageIsLowerBound: z.ageIsLowerBound ?? false,
        holders,
        handleCount: holders.reduce((sum, h) => sum + h.handles, 0),
      };
    }) ?? null;
  let tokens: HostAnalysis['tokens'] = null;
  if (r.tokens) {
    const byImage = new Map<string, ProcessTokenCounts>();
    for (const [label, c] of Object.entries(r.tokens.byProcess)) {
      const unresolved = new Map<UnresolvedReason, number>();
      for (const reason of UNRESOLVED_REASONS) if (c.unresolved[reason] !== undefined) unresolved.set(reason, c.unresolved[reason]);
      byImage.set(label, { total: c.total, leaked: c.leaked, undescribed: c.unknownLogonSession, unresolved });
    }
    tokens = {
      byImage,
      holdersByLogon: new Map((zombies ?? []).map((z) => [z.logon.logonId, z.holders])),
      total: r.tokens.total,
      leaked: r.tokens.leaked,
      undescribedLogonIds: r.tokens.unknownLogonSessions,
      resolvedThroughSharedObject: r.tokens.resolvedThroughSharedObject,
    };
  }
  const byState = Object.fromEntries(SESSION_STATES.map((s) => [s, r.sessions?.byState[s] ?? 0])) as Record<SessionState, number>;
  return {
    host: r.host,
    source: r.source,
    collectedAt,
    sessions: r.sessions ? { highestSessionId: r.sessions.highestSessionId, present: r.sessions.present, byState } : null,
    logonSessionsByType: r.logonSessionsByType ? new Map(Object.entries(r.logonSessionsByType) as [LogonType, number][]) : null,
    zombies,
    pendingCandidates: r.pendingCandidates,
    pinnedSessionIds: r.pinnedSessionIds,
    tokens,
    zombieLogonTypes: new Set(),
    collectors: r.collectors,
    issues: [],
  };
}
