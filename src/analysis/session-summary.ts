import type { WtsSession } from '../model/snapshot.js';
import { FIRST_LISTENER_SESSION_ID, SERVICES_SESSION_ID, SESSION_STATES, type SessionState } from '../model/session-states.js';

export interface SessionSummary {
  /** Highest user session id present; 0 when no user session exists. */
  readonly highestSessionId: number;
  /** User sessions by state; every state present, 0 when none. */
  readonly byState: Readonly<Record<SessionState, number>>;
  /** User sessions present (the sum of byState). */
  readonly present: number;
}

/** A user session: not the services session 0 and not a listener pseudo-session. */
export function isUserSession(session: WtsSession): boolean {
  return session.sessionId !== SERVICES_SESSION_ID && session.sessionId < FIRST_LISTENER_SESSION_ID && session.state !== 'listen';
}

export function summariseSessions(sessions: readonly WtsSession[]): SessionSummary {
  const byState = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
  let highestSessionId = 0;
  let present = 0;
  for (const session of sessions) {
    if (!isUserSession(session)) continue;
    byState[session.state] += 1;
    present += 1;
    highestSessionId = Math.max(highestSessionId, session.sessionId);
  }
  return { highestSessionId, byState, present };
}
