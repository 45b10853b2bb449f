import { integerFlag, switchFlag } from '../../flags/flag.js';
import type { FlagValues } from '../../flags/flag-values.js';

/** Portable: declares the Windows source's flags without loading koffi. */
export const WINDOWS_CONCURRENCY = integerFlag({
  name: 'windows.concurrency',
  help: 'Holder processes opened in parallel by the Windows source.',
  default: 4,
  min: 1,
  max: 64,
});

export const OPEN_PROTECTED_PROCESSES = switchFlag({
  name: 'windows.open-protected-processes',
  help: 'Also open lsass.exe and other protected processes to duplicate their token handles (endpoint protection may report it as credential theft; see docs/security.md).',
  default: false,
});

export const WINDOWS_FLAGS = [WINDOWS_CONCURRENCY, OPEN_PROTECTED_PROCESSES] as const;

export interface WindowsSourceSettings {
  /** Holder processes resolved at once (each holds one open process handle while it is resolved). */
  readonly concurrency: number;
  /** Duplicate handles out of lsass and other protected processes too (opt-in). */
  readonly openProtectedProcesses: boolean;
}

export function windowsSourceSettingsFrom(values: FlagValues): WindowsSourceSettings {
  return { concurrency: values.get(WINDOWS_CONCURRENCY), openProtectedProcesses: values.get(OPEN_PROTECTED_PROCESSES) };
}
