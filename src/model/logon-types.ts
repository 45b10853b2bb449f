/**
 * SECURITY_LOGON_TYPE values and the label spelling used in metrics (snake_case, as windows_exporter's
 * former logon collector spelled them).
 */
export const LOGON_TYPES = {
  0: 'system',
  2: 'interactive',
  3: 'network',
  4: 'batch',
  5: 'service',
  6: 'proxy',
  7: 'unlock',
  8: 'network_cleartext',
  9: 'new_credentials',
  10: 'remote_interactive',
  11: 'cached_interactive',
  12: 'cached_remote_interactive',
  13: 'cached_unlock',
} as const satisfies Record<number, string>;

export type LogonType = (typeof LOGON_TYPES)[keyof typeof LOGON_TYPES] | 'unknown';

export const LOGON_TYPE_NAMES: readonly LogonType[] = [...Object.values(LOGON_TYPES), 'unknown'];

export function logonTypeFromNumber(value: number): LogonType {
  return (LOGON_TYPES as Record<number, LogonType>)[value] ?? 'unknown';
}

/** The interactive class of docs/background.md (Definitions): the logon types whose sessions can pin an RDS session id. */
export const DEFAULT_ZOMBIE_LOGON_TYPES: readonly LogonType[] = [
  'interactive',
  'remote_interactive',
  'cached_interactive',
  'cached_remote_interactive',
];
