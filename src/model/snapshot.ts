import { z } from 'zod';
import { LOGON_ID_PATTERN } from './logon-id.js';
import { LOGON_TYPE_NAMES, type LogonType } from './logon-types.js';
import { SESSION_STATES } from './session-states.js';

/**
 * The snapshot: one typed, versioned, JSON-serialisable description of a host at one instant. Every
 * source (Windows native, simulated farm, recorded files) produces it; the analysis reads only this.
 * A list is `null` when its collector failed (unknown), `[]` when it succeeded and found nothing.
 */
export const SNAPSHOT_SCHEMA_VERSION = 1;

const logonId = z.string().regex(LOGON_ID_PATTERN, 'must look like 00000000:0017c025');
const isoTime = z.iso.datetime({ offset: true });
const nonNegativeInt = z.number().int().nonnegative();

/**
 * Why a token handle's logon session is unknown: the holder refused access, is a protected process, the
 * handle or holder was gone, the query failed, or the agent did not open the holder on purpose (lsass and
 * other protected processes, see docs/security.md).
 */
export const UNRESOLVED_REASONS = ['access_denied', 'protected_process', 'gone', 'query_failed', 'skipped'] as const;
export type UnresolvedReason = (typeof UNRESOLVED_REASONS)[number];

export const wtsSessionSchema = z.strictObject({
  sessionId: nonNegativeInt,
  name: z.string(),
  state: z.enum(SESSION_STATES),
  user: z.string().nullable(),
  domain: z.string().nullable(),
});

export const logonSessionSchema = z.strictObject({
  logonId,
  sessionId: nonNegativeInt,
  logonType: z.enum(LOGON_TYPE_NAMES as [LogonType, ...LogonType[]]),
  user: z.string(),
  domain: z.string(),
  authPackage: z.string(),
  logonTime: isoTime.nullable(),
  sid: z.string().nullable(),
});

export const processSchema = z.strictObject({
  pid: nonNegativeInt,
  image: z.string().min(1),
  sessionId: nonNegativeInt.nullable(),
  /** Logon id of the primary token; null when the token could not be opened. */
  logonId: logonId.nullable(),
  /**
   * Short names of the Windows services this process hosts (`Schedule`, `ProfSvc`), as the service
   * control manager lists them. Absent when it hosts none, when the source cannot tell, and in snapshots
   * written before services were collected.
   */
  services: z.array(z.string().min(1)).min(1).optional(),
});

export const tokenHandleSchema = z
  .strictObject({
    pid: nonNegativeInt,
    handle: nonNegativeInt,
    /** TokenStatistics.TokenId: unique per token object, the same through every handle to it. */
    tokenId: logonId.nullable(),
    /** Kernel object address when the system shows it (hex), else null. */
    objectAddress: z.string().regex(/^0x[0-9a-f]+$/, 'must be lower-case hex like 0xffff8a0c12345670').nullable(),
    logonId: logonId.nullable(),
    unresolved: z.enum(UNRESOLVED_REASONS).nullable(),
  })
  .refine((h) => (h.logonId === null) !== (h.unresolved === null), {
    message: 'exactly one of logonId and unresolved must be set',
    path: ['unresolved'],
  });

export const collectorStatusSchema = z.strictObject({
  name: z.string().min(1),
  success: z.boolean(),
  timedOut: z.boolean(),
  durationSeconds: z.number().nonnegative(),
  error: z.string().nullable(),
});

/** Benign events counted during a collection: races, vanished sessions, denied opens. */
export const collectionIssueSchema = z.strictObject({
  collector: z.string().min(1),
  kind: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case'),
  count: nonNegativeInt,
});

/** Adds an issue for every repeated key (logon id, pid, session id): a repeated one would be counted twice. */
function unique<T>(items: readonly T[] | null, key: (item: T) => string | number, field: string, ctx: z.RefinementCtx, path: string): void {
  if (!items) return;
  const seen = new Set<string | number>();
  items.forEach((item, index) => {
    const k = key(item);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', message: `${field} ${k} appears twice`, path: [path, index, field] });
    seen.add(k);
  });
}

export const snapshotSchema = z.strictObject({
  schemaVersion: z.literal(SNAPSHOT_SCHEMA_VERSION),
  host: z.string().min(1),
  source: z.string().min(1),
  collectedAt: isoTime,
  wtsSessions: z.array(wtsSessionSchema).nullable(),
  /**
   * False when WTS could only be enumerated without user names (WTSEnumerateSessionsW, the fallback):
   * an empty `user` then means "unknown", not "nobody". Absent in older snapshots: true.
   */
  wtsUserNamesKnown: z.boolean().optional(),
  logonSessions: z.array(logonSessionSchema).nullable(),
  processes: z.array(processSchema).nullable(),
  tokenHandles: z.array(tokenHandleSchema).nullable(),
  collectors: z.array(collectorStatusSchema),
  issues: z.array(collectionIssueSchema),
}).superRefine((s, ctx) => {
  unique(s.wtsSessions, (x) => x.sessionId, 'sessionId', ctx, 'wtsSessions');
  unique(s.logonSessions, (x) => x.logonId, 'logonId', ctx, 'logonSessions');
  unique(s.processes, (x) => x.pid, 'pid', ctx, 'processes');
});

export type WtsSession = z.infer<typeof wtsSessionSchema>;
export type LogonSession = z.infer<typeof logonSessionSchema>;
export type ProcessInfo = z.infer<typeof processSchema>;
export type TokenHandle = z.infer<typeof tokenHandleSchema>;
export type CollectorStatus = z.infer<typeof collectorStatusSchema>;
export type CollectionIssue = z.infer<typeof collectionIssueSchema>;
export type Snapshot = z.infer<typeof snapshotSchema>;

/** The collectors every source reports, so dashboards look the same whatever the source. */
export const COLLECTOR_NAMES = ['wts', 'lsa', 'processes', 'handles', 'tokens', 'services'] as const;
export type CollectorName = (typeof COLLECTOR_NAMES)[number];
