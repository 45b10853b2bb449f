/** WTS_CONNECTSTATE_CLASS values, spelled as metric label values. */
export const SESSION_STATES = [
  'active',
  'connected',
  'connect_query',
  'shadow',
  'disconnected',
  'idle',
  'listen',
  'reset',
  'down',
  'init',
] as const;

export type SessionState = (typeof SESSION_STATES)[number];

export function sessionStateFromNumber(value: number): SessionState | null {
  return SESSION_STATES[value] ?? null;
}

/** Session 0 hosts services; listener pseudo-sessions (65536 and up) are not user sessions. */
export const SERVICES_SESSION_ID = 0;
export const FIRST_LISTENER_SESSION_ID = 65536;
