import { integerFlag, switchFlag } from '../flags/flag.js';
import type { FlagValues } from '../flags/flag-values.js';

export const ZOMBIE_INFO_LIMIT = integerFlag({
  name: 'metrics.zombie-info-limit',
  help: 'At most this many rdsleak_zombie_logon_session_info series.',
  default: 100,
  min: 0,
  max: 100_000,
  commands: ['serve', 'report', 'analyze'],
});

export const INCLUDE_USER_NAMES = switchFlag({
  name: 'metrics.include-user-names',
  help: 'Add user and domain labels to rdsleak_zombie_logon_session_info (privacy: off by default).',
  default: false,
  commands: ['serve', 'report', 'analyze'],
});

export const METRICS_FLAGS = [ZOMBIE_INFO_LIMIT, INCLUDE_USER_NAMES] as const;

export interface AnalysisMetricsOptions {
  /** At most this many rdsleak_zombie_logon_session_info series (oldest zombies first). */
  readonly zombieInfoLimit: number;
  /** Adds user and domain labels to the zombie info series: off by default (privacy, cardinality). */
  readonly includeUserNames: boolean;
}

export function metricsOptionsFrom(values: FlagValues): AnalysisMetricsOptions {
  return { zombieInfoLimit: values.get(ZOMBIE_INFO_LIMIT), includeUserNames: values.get(INCLUDE_USER_NAMES) };
}
