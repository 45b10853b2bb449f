/**
 * The mixin's configuration: the single place where the selector, thresholds, windows, `for` durations,
 * runbook URL pattern and dashboard settings live. Dashboards, alert rules and recording rules are all
 * generated from one `MixinConfig` (see mixin/index.ts); the files under dashboards/ and alerts/ are
 * generated from `defaultConfig` and committed.
 */

/** A Prometheus duration such as `30s`, `5m`, `6h`, `1d`. */
export type Duration = `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w' | 'y'}`;

/** One severity tier of a threshold alert. */
export interface Tier<T> {
  readonly threshold: T;
  readonly for: Duration;
}

export interface SessionIdTier {
  /**
   * Highest session ID minus the most sessions present at any time in `windows.sessionIdGrowth`, while
   * the highest ID climbed inside that window. A healthy host reuses IDs, so a new logon never gets an
   * ID far above the number of sessions present; a host with zombies hands out ever higher IDs.
   */
  readonly gap: number;
  /** Distinct session IDs pinned by zombie logon sessions (rdsleak_zombie_session_ids). */
  readonly pinned: number;
  readonly for: Duration;
}

export interface MixinConfig {
  /** Label matchers selecting the exporter's series in alert and recording rules (no braces). */
  readonly selector: string;
  /** The metric whose labels feed the dashboards' job and instance variables. */
  readonly variableMetric: string;
  /** Runbook URL; `%s` is replaced by the alert's anchor in docs/runbooks.md (the lower-cased alert name). */
  readonly runbookUrlPattern: string;
  readonly dashboard: {
    readonly tags: readonly string[];
    /** Dashboard uids are `${uidPrefix}-<name>`; at most 40 characters in total. */
    readonly uidPrefix: string;
    readonly refresh: string;
    readonly timeFrom: string;
    readonly timezone: string;
  };
  readonly windows: {
    /** Window in which the highest session ID must have climbed for RdsSessionIdsNotReused. */
    readonly sessionIdGrowth: Duration;
    /** Range of predict_linear for the growth alerts. */
    readonly growthPrediction: Duration;
    /** Horizon of the growth projection, in seconds. */
    readonly growthHorizonSeconds: number;
    /** Human form of the horizon for descriptions, e.g. `24h`. */
    readonly growthHorizonText: string;
    /** Gauges are wrapped in max_over_time/min_over_time over this window so a failed scrape does not hide a problem. */
    readonly gaugeSmoothing: Duration;
    /** Window over which collector success and timeout ratios are averaged. */
    readonly collectorHealth: Duration;
  };
  readonly thresholds: {
    readonly sessionIdsNotReused: { readonly warning: SessionIdTier; readonly critical: SessionIdTier };
    readonly zombieLogonSessions: { readonly warning: Tier<number>; readonly critical: Tier<number> };
    readonly zombieGrowth: {
      /** Projected zombie count at the horizon that makes the growth alert fire. */
      readonly projectedLimit: number;
      /** Absolute floor: no growth alert below this many zombies now. */
      readonly floor: number;
      readonly for: Duration;
    };
    readonly leakedTokenHandlesGrowth: {
      readonly projectedLimit: number;
      readonly floor: number;
      readonly for: Duration;
    };
    /** Fire RdsCollectorFailing when the collector succeeded in less than this fraction of collections. */
    readonly collectorSuccessRatio: Tier<number>;
    /** Fire RdsCollectorTimingOut when the collector timed out in more than this fraction of collections. */
    readonly collectorTimeoutRatio: Tier<number>;
  };
  readonly exporterDownFor: Duration;
  readonly exporterAbsentFor: Duration;
  /** keep_firing_for of the leak alerts, so a host does not flap between firing and resolved. */
  readonly keepFiringFor: Duration;
}

export const defaultConfig: MixinConfig = {
  selector: 'job="rds-leak-exporter"',
  variableMetric: 'rdsleak_build_info',
  runbookUrlPattern: 'https://github.com/rds-leak-exporter/rds-leak-exporter/blob/main/docs/runbooks.md#%s',
  dashboard: {
    tags: ['rds', 'rds-leak-exporter'],
    uidPrefix: 'rds-leak',
    refresh: '1m',
    timeFrom: 'now-24h',
    timezone: 'browser',
  },
  windows: {
    sessionIdGrowth: '6h',
    growthPrediction: '6h',
    growthHorizonSeconds: 24 * 3600,
    growthHorizonText: '24h',
    gaugeSmoothing: '5m',
    collectorHealth: '15m',
  },
  thresholds: {
    sessionIdsNotReused: {
      warning: { gap: 10, pinned: 5, for: '30m' },
      critical: { gap: 50, pinned: 25, for: '15m' },
    },
    zombieLogonSessions: {
      warning: { threshold: 20, for: '30m' },
      critical: { threshold: 100, for: '15m' },
    },
    zombieGrowth: { projectedLimit: 100, floor: 5, for: '1h' },
    leakedTokenHandlesGrowth: { projectedLimit: 1000, floor: 50, for: '1h' },
    collectorSuccessRatio: { threshold: 0.5, for: '15m' },
    collectorTimeoutRatio: { threshold: 0.25, for: '15m' },
  },
  exporterDownFor: '15m',
  exporterAbsentFor: '15m',
  keepFiringFor: '15m',
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge<T>(base: T, override: DeepPartial<T> | undefined): T {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override as T;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    result[key] = merge((base as Record<string, unknown>)[key], value as DeepPartial<unknown>);
  }
  return result as T;
}

/** `defaultConfig` (or `base`) with some settings replaced, e.g. short windows for a test Prometheus. */
export function withOverrides(override: DeepPartial<MixinConfig>, base: MixinConfig = defaultConfig): MixinConfig {
  return merge(base, override);
}

/** GitHub's anchor for a `## <alertname>` heading: lower case. */
export function runbookAnchor(alertName: string): string {
  return alertName.toLowerCase();
}

export function runbookUrl(config: MixinConfig, alertName: string): string {
  return config.runbookUrlPattern.replace('%s', runbookAnchor(alertName));
}
