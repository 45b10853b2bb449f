import { durationFlag, listFlag } from '../flags/flag.js';
import type { FlagValues } from '../flags/flag-values.js';
import { DEFAULT_ZOMBIE_LOGON_TYPES, LOGON_TYPE_NAMES, type LogonType } from '../model/logon-types.js';

const DAY_MS = 86_400_000;

export const GRACE_PERIOD = durationFlag({
  name: 'zombie.grace-period',
  help: 'How long a logon session must stay orphaned before it counts as a zombie.',
  default: 5 * 60_000,
  minMs: 0,
  maxMs: 7 * DAY_MS,
});

export const ZOMBIE_LOGON_TYPES = listFlag({
  name: 'zombie.logon-types',
  help: 'Comma-separated logon types that can become zombies.',
  choices: LOGON_TYPE_NAMES,
  default: DEFAULT_ZOMBIE_LOGON_TYPES,
});

export const ANALYSIS_FLAGS = [GRACE_PERIOD, ZOMBIE_LOGON_TYPES] as const;

export interface AnalysisOptions {
  /** Milliseconds a candidate must persist before it counts as a zombie. */
  readonly gracePeriodMs: number;
  readonly zombieLogonTypes: ReadonlySet<LogonType>;
}

export function analysisOptionsFrom(values: FlagValues): AnalysisOptions {
  return { gracePeriodMs: values.get(GRACE_PERIOD), zombieLogonTypes: new Set(values.get(ZOMBIE_LOGON_TYPES)) };
}

/** The flags' own defaults, for code that runs without a command line (tests, benchmarks, `analyze`). */
export const DEFAULT_ANALYSIS_OPTIONS: AnalysisOptions = {
  gracePeriodMs: GRACE_PERIOD.default,
  zombieLogonTypes: new Set(ZOMBIE_LOGON_TYPES.default),
};
