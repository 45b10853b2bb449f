import { SNAPSHOT_SCHEMA_VERSION, COLLECTOR_NAMES, type Snapshot } from '../../model/snapshot.js';
import type { CollectContext, SnapshotSource, SourceClock } from '../source.js';
import type { SimulationConfig } from './profiles.js';
import { SimulatedHost } from './simulated-host.js';

/**
 * The built-in simulated RDS host. Simulated time runs `speed` times faster than real time from the
 * moment the source is created; snapshots carry simulated time, so the grace period and zombie ages are
 * in simulated time too.
 */
export class SimulateSource implements SnapshotSource {
  readonly kind = 'simulate' as const;
  readonly description: string;
  readonly clock: SourceClock;
  readonly notice: string;
  private readonly host: SimulatedHost;
  private readonly realStart: number;
  private readonly bootTime: number;
  private readonly now: () => number;

  /** `clock`: the real clock, injectable for tests. */
  constructor(
    private readonly config: SimulationConfig,
    clock: () => number = Date.now,
  ) {
    this.now = clock;
    this.realStart = this.now();
    this.bootTime = this.realStart - config.advanceMs;
    this.description = `simulate:${config.profile}`;
    this.clock = { kind: 'live', scale: config.speed };
    this.notice = simulationBanner(config, this.description);
    this.host = new SimulatedHost(config.parameters, config.seed, this.bootTime);
  }

  /** Simulated epoch ms now. */
  simulatedNow(): number {
    return this.realStart + (this.now() - this.realStart) * this.config.speed;
  }

  async collect(_context: CollectContext): Promise<Snapshot> {
    const started = this.now();
    this.host.advanceTo(this.simulatedNow());
    const snapshot = simulatedSnapshot(this.host, this.config.hostName, this.description);
    const seconds = (this.now() - started) / 1000;
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

/** Printed before serving: nobody should mistake simulated figures for a real host's. */
function simulationBanner(config: SimulationConfig, description: string): string {
  return [
    '******************************************************************************',
    '*  SIMULATED RDS HOST - not real data.                                        *',
    `*  ${`source ${description}, host ${config.hostName}, speed ${config.speed}x, seed ${config.seed}`.padEnd(74)}*`,
    '*  Use --source windows on a Windows RDS host for real measurements.         *',
    '******************************************************************************',
  ].join('\n');
}
