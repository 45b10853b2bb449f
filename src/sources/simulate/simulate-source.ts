import { SNAPSHOT_SCHEMA_VERSION, COLLECTOR_NAMES, type Snapshot } from '../../model/snapshot.js';
import type { CollectContext, SnapshotSource } from '../source.js';
import { profileParameters, type SimulationParameters, type SimulationProfile } from './profiles.js';
import { SimulatedHost } from './simulated-host.js';

export interface SimulateSourceOptions {
  readonly profile: SimulationProfile;
  /** Simulated seconds per real second. */
  readonly speed: number;
  readonly seed: number;
  readonly hostName: string;
  /** Overrides of the profile's parameters (users, leak share). */
  readonly overrides?: Partial<SimulationParameters>;
  /** Simulated time already elapsed since boot when the source starts. */
  readonly advanceMs?: number;
  /** Real clock, injectable for tests. */
  readonly clock?: () => number;
}

/**
 * The built-in simulated RDS host. Simulated time runs `speed` times faster than real time from the
 * moment the source is created; snapshots carry simulated time, so the grace period and zombie ages are
 * in simulated time too.
 */
export class SimulateSource implements SnapshotSource {
  readonly kind = 'simulate' as const;
  readonly description: string;
  readonly timeScale: number;
  private readonly host: SimulatedHost;
  private readonly realStart: number;
  private readonly bootTime: number;
  private readonly clock: () => number;

  constructor(private readonly options: SimulateSourceOptions) {
    this.clock = options.clock ?? Date.now;
    this.realStart = this.clock();
    this.bootTime = this.realStart - (options.advanceMs ?? 0);
    this.description = `simulate:${options.profile}`;
    this.timeScale = options.speed;
    this.host = new SimulatedHost({ ...profileParameters(options.profile), ...options.overrides }, options.seed, this.bootTime);
  }

  /** Simulated epoch ms now. */
  simulatedNow(): number {
    return this.realStart + (this.clock() - this.realStart) * this.options.speed;
  }

  async collect(_context: CollectContext): Promise<Snapshot> {
    const started = this.clock();
    this.host.advanceTo(this.simulatedNow());
    const snapshot = simulatedSnapshot(this.host, this.options.hostName, this.description);
    const seconds = (this.clock() - started) / 1000;
    snapshot.collectors = COLLECTOR_NAMES.map((name) => ({ name, success: true, timedOut: false, durationSeconds: seconds / COLLECTOR_NAMES.length, error: null }));
    return snapshot;
  }

  async close(): Promise<void> {}
}

/** The host's state as a snapshot at its current simulated time. */
export function simulatedSnapshot(host: SimulatedHost, hostName: string, source: string): Snapshot {
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    host: hostName,
    source,
    collectedAt: new Date(host.now).toISOString(),
    wtsSessions: host.wtsSessions(),
    logonSessions: host.logonSessions(),
    processes: host.processList(),
    tokenHandles: host.tokenHandles(),
    collectors: COLLECTOR_NAMES.map((name) => ({ name, success: true, timedOut: false, durationSeconds: 0, error: null })),
    issues: [],
  };
}
