import type { LogonSession, ProcessInfo, WtsSession } from '../model/snapshot.js';
import type { LogonType } from '../model/logon-types.js';
import { accountKindOf, type AccountKind } from './account-kind.js';
import { FIRST_LISTENER_SESSION_ID, SERVICES_SESSION_ID } from '../model/session-states.js';

/** Why a logon session no longer owns its RDS session. */
export type OrphanReason = 'session_gone' | 'session_reused' | 'session_empty' | 'replaced';

export interface ZombieCandidate {
  readonly logon: LogonSession;
  readonly accountKind: AccountKind;
  readonly reason: OrphanReason;
}

function sameAccount(a: { user: string | null; domain: string | null }, b: { user: string; domain: string }): boolean {
  return (a.user ?? '').toLowerCase() === b.user.toLowerCase() && (a.domain ?? '').toLowerCase() === b.domain.toLowerCase();
}

/**
 * Logon sessions that look like zombies right now (docs/background.md, Definitions): of an interactive-class logon type,
 * no process runs in them, and their RDS session no longer belongs to them. The grace period is applied
 * by the tracker, across collections.
 */
export function findZombieCandidates(
  logons: readonly LogonSession[],
  wtsSessions: readonly WtsSession[],
  processes: readonly ProcessInfo[],
  zombieLogonTypes: ReadonlySet<LogonType>,
): ZombieCandidate[] {
  const logonsWithProcesses = new Set<string>();
  for (const p of processes) if (p.logonId !== null) logonsWithProcesses.add(p.logonId);
  const wtsById = new Map<number, WtsSession>();
  for (const s of wtsSessions) wtsById.set(s.sessionId, s);

  // A virtual account (DWM-N, UMFD-N) is replaced when another logon of the same kind in the same
  // session has processes: the session was recreated and the old one lingers.
  const liveVirtual = new Set<string>();
  for (const logon of logons) {
    const kind = accountKindOf(logon);
    if (kind !== 'user' && logonsWithProcesses.has(logon.logonId)) liveVirtual.add(`${kind}:${logon.sessionId}`);
  }

  const candidates: ZombieCandidate[] = [];
  for (const logon of logons) {
    if (!zombieLogonTypes.has(logon.logonType)) continue;
    // Session 0 (services, and interactive logons made by services with LogonUser) and listeners never
    // pin a user session id; their leaks still show as token handles.
    if (logon.sessionId === SERVICES_SESSION_ID || logon.sessionId >= FIRST_LISTENER_SESSION_ID) continue;
    if (logonsWithProcesses.has(logon.logonId)) continue;
    const accountKind = accountKindOf(logon);
    const wts = wtsById.get(logon.sessionId);
    let reason: OrphanReason | null;
    if (!wts) reason = 'session_gone';
    else if (accountKind !== 'user') reason = liveVirtual.has(`${accountKind}:${logon.sessionId}`) ? 'replaced' : null;
    else if (!wts.user) reason = 'session_empty';
    else reason = sameAccount(wts, logon) ? null : 'session_reused';
    if (reason !== null) candidates.push({ logon, accountKind, reason });
  }
  return candidates;
}
