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
 * The SIDs of the users whose processes run in each RDS session, learned from the logon sessions of
 * those processes' primary tokens. The most reliable "who is logged on here": WTS and LSA may spell the
 * same account differently (UPN and SAM names, Entra-joined hosts, Citrix FAS), a SID is a SID.
 */
function liveUserSidsBySession(logonsById: ReadonlyMap<string, LogonSession>, processes: readonly ProcessInfo[]): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const p of processes) {
    if (p.sessionId === null || p.logonId === null) continue;
    const logon = logonsById.get(p.logonId);
    if (!logon?.sid || accountKindOf(logon) !== 'user') continue;
    let sids = out.get(p.sessionId);
    if (!sids) out.set(p.sessionId, (sids = new Set()));
    sids.add(logon.sid.toUpperCase());
  }
  return out;
}

export interface WtsView {
  readonly sessions: readonly WtsSession[];
  /** False when WTS gave no user names (the fallback enumeration): an empty user then means unknown, not nobody. */
  readonly userNamesKnown: boolean;
}

/**
 * Logon sessions that look like zombies right now (docs/background.md, Definitions): of an interactive-class logon type,
 * no process runs in them, and their RDS session no longer belongs to them. The grace period is applied
 * by the tracker, across collections. Who owns a session is decided by the SIDs of the processes that run
 * in it; names are the fallback when no process tells; missing data never makes a zombie.
 */
export function findZombieCandidates(
  logons: readonly LogonSession[],
  wts: WtsView,
  processes: readonly ProcessInfo[],
  zombieLogonTypes: ReadonlySet<LogonType>,
): ZombieCandidate[] {
  const logonsWithProcesses = new Set<string>();
  for (const p of processes) if (p.logonId !== null) logonsWithProcesses.add(p.logonId);
  const wtsById = new Map<number, WtsSession>();
  for (const s of wts.sessions) wtsById.set(s.sessionId, s);
  const logonsById = new Map<string, LogonSession>();
  for (const l of logons) logonsById.set(l.logonId, l);
  const liveSids = liveUserSidsBySession(logonsById, processes);

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
    const session = wtsById.get(logon.sessionId);
    let reason: OrphanReason | null;
    if (!session) reason = 'session_gone';
    else if (accountKind !== 'user') reason = liveVirtual.has(`${accountKind}:${logon.sessionId}`) ? 'replaced' : null;
    else reason = userSessionOwnership(logon, session, liveSids.get(logon.sessionId), wts.userNamesKnown);
    if (reason !== null) candidates.push({ logon, accountKind, reason });
  }
  return candidates;
}

/** Whether a user's logon still owns its (present) RDS session: null when it does or when nothing can tell. */
function userSessionOwnership(logon: LogonSession, session: WtsSession, liveSids: ReadonlySet<string> | undefined, userNamesKnown: boolean): OrphanReason | null {
  if (liveSids && liveSids.size > 0 && logon.sid) {
    if (liveSids.has(logon.sid.toUpperCase())) return null;
    return session.user || !userNamesKnown ? 'session_reused' : 'session_empty';
  }
  // No process tells who is there: names, and only when WTS gave them.
  if (!userNamesKnown) return null;
  if (!session.user) return 'session_empty';
  return sameAccount(session, logon) ? null : 'session_reused';
}
