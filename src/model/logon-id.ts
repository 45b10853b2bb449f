/**
 * Logon ids (LUIDs) are printed as Sysinternals does: `HIGH:LOW`, 8 lower-case hex digits each,
 * e.g. `00000000:0017c025`. That string is the canonical key everywhere in the snapshot.
 */
export const LOGON_ID_PATTERN = /^[0-9a-f]{8}:[0-9a-f]{8}$/;

export function formatLogonId(high: number, low: number): string {
  return `${(high >>> 0).toString(16).padStart(8, '0')}:${(low >>> 0).toString(16).padStart(8, '0')}`;
}

/** Accepts `00000000:0017c025`, `0x17c025` or `17c025` (as typed for `handle.exe -a`). */
export function parseLogonId(text: string): string | null {
  const trimmed = text.trim().toLowerCase();
  if (LOGON_ID_PATTERN.test(trimmed)) return trimmed;
  const m = /^(?:0x)?([0-9a-f]{1,16})$/.exec(trimmed);
  if (!m) return null;
  const value = BigInt(`0x${m[1]}`);
  return formatLogonId(Number(value >> 32n), Number(value & 0xffffffffn));
}

/** The short form handle.exe accepts (`17c025`), for runbooks and reports. */
export function shortLogonId(logonId: string): string {
  const [high, low] = logonId.split(':');
  const value = (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
  return value.toString(16);
}

export const WELL_KNOWN_LOGON_IDS = {
  system: formatLogonId(0, 0x3e7),
  localService: formatLogonId(0, 0x3e5),
  networkService: formatLogonId(0, 0x3e4),
} as const;
