import { integerFlag } from '../../flags/flag.js';
import type { FlagValues } from '../../flags/flag-values.js';

/** Portable: declares the Windows source's flags without loading koffi. */
export const WINDOWS_CONCURRENCY = integerFlag({
  name: 'windows.concurrency',
  help: 'Holder processes opened in parallel by the Windows source.',
  default: 4,
  min: 1,
  max: 64,
});

export const WINDOWS_FLAGS = [WINDOWS_CONCURRENCY] as const;

export interface WindowsSourceSettings {
  /** Holder processes resolved at once (each holds one open process handle while it is resolved). */
  readonly concurrency: number;
}

export function windowsSourceSettingsFrom(values: FlagValues): WindowsSourceSettings {
  return { concurrency: values.get(WINDOWS_CONCURRENCY) };
}
