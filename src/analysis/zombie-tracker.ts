/**
 * Remembers since when each logon session has looked like a zombie, so that a logon or logoff in
 * progress is never counted: a candidate becomes a zombie only after the grace period. Time is the
 * snapshot's own clock, so recorded and simulated snapshots replay the same way.
 */
export type CandidateHistory = ReadonlyMap<string, number>;

export const EMPTY_HISTORY: CandidateHistory = new Map();

/** The history after a collection: candidates keep their first-seen time, everything else is forgotten. */
export function advanceHistory(previous: CandidateHistory, candidateLogonIds: Iterable<string>, now: number): Map<string, number> {
  const next = new Map<string, number>();
  for (const id of candidateLogonIds) {
    const firstSeen = previous.get(id);
    next.set(id, firstSeen !== undefined && firstSeen <= now ? firstSeen : now);
  }
  return next;
}
