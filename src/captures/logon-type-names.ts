import { LOGON_TYPES, logonTypeFromNumber, type LogonType } from '../model/logon-types.js';

/**
 * Logon types as logonsessions.exe and klist print them (`RemoteInteractive`, `(none)`, `(0)`) to the
 * model's names. Unknown spellings give null: the caller keeps the record as `unknown` and says so.
 */
const BY_PRINTED_NAME: ReadonlyMap<string, LogonType> = new Map<string, LogonType>([
  ...Object.values(LOGON_TYPES).map((t): [string, LogonType] => [t.replace(/_/g, ''), t]),
  ['none', 'system'],
  ['undefined', 'system'],
  ['0', 'system'],
]);

export function logonTypeFromPrinted(printed: string): LogonType | null {
  const key = printed.trim().toLowerCase().replace(/[()\s_-]/g, '');
  const numeric = /^\d+$/.test(key) && key !== '0' ? logonTypeFromNumber(Number(key)) : null;
  if (numeric && numeric !== 'unknown') return numeric;
  return BY_PRINTED_NAME.get(key) ?? null;
}
