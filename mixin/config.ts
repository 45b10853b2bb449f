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

/**
 * A condition under which a host is down on purpose (power management, a maintenance window): while
 * `expr` returns a series whose `on` labels equal those of the host's `up` series, RdsExporterDown does
 * not fire for that host (docs/runbooks.md#rdsexporterdown, with a Citrix Autoscale example).
 */
export interface ExpectedDown {
  /** Why, for the generated comment and the docs, e.g. `power_off`. */
  readonly reason: string;
  /** PromQL returning one series per host (or farm, site...) that is down on purpose. */
  readonly expr: string;
  /** Labels matched between `up` and `expr` (`unless on (...)`); empty matches every host. */
  readonly on: readonly string[];
}

export interface MixinConfig {
  /** Label matchers selecting the exporter's series in alert and recording rules (no braces). */
  readonly selector: string;
  /**
   * Target labels naming a host's farm and site (docs/scaling.md). Optional: the dashboards' farm and
   * site variables match `.*` for All, which also matches a series without the label.
   */
  readonly labels: { readonly farm: string; readonly site: string };
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
    /** Every per-host time series panel of the farm overview draws at most this many hosts (topk). */
    readonly topk: number;
    /** Rows of the farm overview's worst-hosts table. */
    readonly worstHosts: number;
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
  /** `for` of RdsExporterSiteDown (every host of a farm's site down), the one alert that pages at night. */
  readonly exporterSiteDownFor: Duration;
  /** RdsExporterSiteDown needs at least this many hosts that should be up in the site (one host down is RdsExporterDown). */
  readonly exporterSiteDownMinHosts: number;
  /** Hosts down on purpose: RdsExporterDown and RdsExporterSiteDown ignore them. */
  readonly expectedDown: readonly ExpectedDown[];
  readonly exporterAbsentFor: Duration;
  /** RdsExporterCollectionStale: the last successful collection is older than `threshold` seconds (the agent answers, its data does not move). */
  readonly collectionStale: Tier<number>;
  /** keep_firing_for of the leak alerts, so a host does not flap between firing and resolved. */
  readonly keepFiringFor: Duration;
}

const DEFAULT_LABELS = { farm: 'farm', site: 'site' } as const;

/**
 * Metrics the default `expectedDown` refers to, which the user provides (a recording rule, a textfile,
 * a Pushgateway): value 1 while a host is powered off on purpose, or while its farm is in maintenance.
 */
export const USER_PROVIDED_METRICS = ['rdsleak_host_power_off', 'rdsleak_maintenance_window'] as const;

export const defaultConfig: MixinConfig = {
  selector: 'job="rds-leak-exporter"',
  labels: DEFAULT_LABELS,
  variableMetric: 'rdsleak_build_info',
  runbookUrlPattern: 'https://github.com/rds-leak-exporter/rds-leak-exporter/blob/main/docs/runbooks.md#%s',
  dashboard: {
    tags: ['rds', 'rds-leak-exporter'],
    uidPrefix: 'rds-leak',
    refresh: '1m',
    timeFrom: 'now-24h',
    timezone: 'browser',
    topk: 10,
    worstHosts: 20,
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
  exporterSiteDownFor: '10m',
  exporterSiteDownMinHosts: 2,
  // Both metrics are the user's (absent, these clauses change nothing): see docs/runbooks.md#rdsexporterdown.
  expectedDown: [
    { reason: 'power_off', expr: `${USER_PROVIDED_METRICS[0]} == 1`, on: ['instance'] },
    { reason: 'maintenance', expr: `${USER_PROVIDED_METRICS[1]} == 1`, on: [DEFAULT_LABELS.farm] },
  ],
  exporterAbsentFor: '15m',
  // Background collections run every 15 s: 5 minutes without a good one is 20 missed in a row.
  collectionStale: { threshold: 300, for: '10m' },
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
