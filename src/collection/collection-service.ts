import type { Logger } from 'pino';
import type { HostAnalysis } from '../analysis/analyze.js';
import type { HostAnalyzer } from '../analysis/host-analyzer.js';
import { errorMessage } from '../errors.js';
import type { SnapshotSource } from '../sources/source.js';

export interface CollectionResult {
  /** Null when the source failed or ran past the budget as a whole. */
  readonly analysis: HostAnalysis | null;
  /** Epoch ms when the collection started. */
  readonly startedAt: number;
  readonly durationSeconds: number;
  readonly error: string | null;
  /** The whole collection ran past this scrape's budget. */
  readonly timedOut: boolean;
}

/**
 * Sources mark their own collectors timed out at the deadline and return at once; this grace lets that
 * partial snapshot arrive before the scrape gives up on the source as a whole. The scrape timeout
 * margin (--scrape.timeout-margin) covers it.
 */
export const SOURCE_OVERRUN_GRACE_MS = 250;

export interface CollectionServiceOptions {
  /** Serve the last result instead of collecting again when it is younger than this (0 = always collect). */
  readonly minIntervalMs: number;
  /** Called once per collection that ran (not for shared or cached answers). */
  readonly onCollected?: (result: CollectionResult) => void;
}

/**
 * Runs collections at scrape time: concurrent scrapes share one collection (single-flight), an optional
 * minimum interval serves a cached result, and every scrape gets an answer by its own deadline even if
 * the source is still busy. The analyzer (and with it the zombie grace period) belongs to the source's host.
 */
export class CollectionService {
  private inFlight: Promise<CollectionResult> | null = null;
  private last: CollectionResult | null = null;
  private collections = 0;

  constructor(
    private readonly source: SnapshotSource,
    private readonly analyzer: HostAnalyzer,
    private readonly options: CollectionServiceOptions,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Collections started since creation (shared and cached scrapes do not count). */
  get collectionsStarted(): number {
    return this.collections;
  }

  get lastResult(): CollectionResult | null {
    return this.last;
  }

  async collect(deadline: number): Promise<CollectionResult> {
    const now = this.clock();
    if (this.last && this.options.minIntervalMs > 0 && now - this.last.startedAt < this.options.minIntervalMs) return this.last;
    this.inFlight ??= this.run(deadline).finally(() => {
      this.inFlight = null;
    });
    const shared = this.inFlight;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<CollectionResult>((resolve) => {
      timer = setTimeout(() => resolve(this.timedOut(now)), Math.max(0, deadline - now) + SOURCE_OVERRUN_GRACE_MS);
      timer.unref?.();
    });
    try {
      return await Promise.race([shared, budget]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(deadline: number): Promise<CollectionResult> {
    const startedAt = this.clock();
    this.collections += 1;
    let result: CollectionResult;
    try {
      const snapshot = await this.source.collect({ deadline });
      const analysis = this.analyzer.analyze(snapshot);
      result = { analysis, startedAt, durationSeconds: (this.clock() - startedAt) / 1000, error: null, timedOut: false };
      for (const c of snapshot.collectors) {
        if (!c.success) this.logger.warn({ collector: c.name, timed_out: c.timedOut, err: { message: c.error } }, 'collector failed');
      }
    } catch (error) {
      this.logger.error({ err: error, source: this.source.description }, 'collection failed');
      result = { analysis: null, startedAt, durationSeconds: (this.clock() - startedAt) / 1000, error: errorMessage(error), timedOut: false };
    }
    this.last = result;
    this.options.onCollected?.(result);
    return result;
  }

  private timedOut(startedAt: number): CollectionResult {
    this.logger.warn({ source: this.source.description }, 'collection ran past the scrape budget; serving self-metrics only');
    return { analysis: null, startedAt, durationSeconds: (this.clock() - startedAt) / 1000, error: 'collection ran past the scrape budget', timedOut: true };
  }
}
