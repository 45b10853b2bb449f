import type { Logger } from 'pino';
import type { HostAnalysis } from '../analysis/analyze.js';
import { buildCollectionRegistry } from '../metrics/analysis-metrics.js';
import type { ExporterMetrics } from '../metrics/exporter-metrics.js';
import { concatExpositions, renderRegistry, type ExpositionBody, type MetricsExposition, type RenderedExposition } from '../metrics/scrape-exposition.js';
import type { AnalysisMetricsOptions } from '../metrics/flags.js';
import type { CollectionService } from './collection-service.js';

/**
 * How long the exporter's own metrics (process CPU and memory, heap, counters) are reused between scrapes:
 * rendering them is most of a scrape's remaining CPU, and a second is below any scrape interval. The
 * cache is dropped at each collection (its counter, timestamp and duration must match the series), and
 * the collection age is always rendered for the scrape.
 */
export const OWN_METRICS_CACHE_MS = 1_000;

/** How long stop() waits for a collection in flight before it lets the caller close the source anyway. */
export const STOP_WAIT_MS = 5_000;

export interface BackgroundCollectionOptions {
  /** From the start of one collection to the start of the next; a longer collection is followed at once. */
  readonly intervalMs: number;
  /** Deadline of each collection, from its start. */
  readonly timeoutMs: number;
  readonly metrics: AnalysisMetricsOptions;
  /** How long stop() waits for a collection in flight (default STOP_WAIT_MS). */
  readonly stopWaitMs?: number;
}

/**
 * `--collection.mode=background`: one loop collects, analyses and renders the `rdsleak_*` exposition once
 * per collection; scrapes get that text at once, after the exporter's own metrics (cached for a second).
 *
 * - The next collection starts only after the previous one finished, `intervalMs` after the previous start
 *   (at once when it ran longer). Scrapes never wait for a collection, except for the first one after
 *   start, and then no longer than their own deadline: until it finishes, the exposition has the
 *   exporter's metrics and `rdsleak_collector_success` 0 for every collector.
 * - A collection that fails as a whole (the source threw, or it ran past its deadline) leaves the series
 *   of the last good analysis in place; the collector gauges and issues describe the latest attempt
 *   (success 0, timeout 1 when it ran out of time), and the last-collection timestamp and age keep counting
 *   from the last good one. A collection with some failed collectors is a good one: it is served as
 *   scrape mode would, without the series of the failed collectors.
 */
export class BackgroundCollection implements MetricsExposition {
  private rendered: RenderedExposition | null = null;
  private own: { readonly at: number; readonly exposition: Promise<RenderedExposition> } | null = null;
  /** The last answer's own metrics and analysis as bytes, reused while neither changed. */
  private encoded: { readonly own: RenderedExposition; readonly analysis: RenderedExposition; readonly body: Buffer } | null = null;
  private pending: RenderedExposition | null = null;
  private lastGood: HostAnalysis | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private started = false;
  private stopped = false;
  private renders = 0;
  private readonly firstRendered: Promise<void>;
  private markFirstRendered: () => void = () => {};

  constructor(
    private readonly service: CollectionService,
    private readonly exporterMetrics: ExporterMetrics,
    private readonly options: BackgroundCollectionOptions,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.firstRendered = new Promise((resolve) => (this.markFirstRendered = resolve));
  }

  /** Collections whose exposition has been rendered since start. */
  get collectionsRendered(): number {
    return this.renders;
  }

  /** True while a collection runs or the next one is scheduled. */
  get active(): boolean {
    return this.timer !== null || this.running !== null;
  }

  /** Starts the loop with a collection now. */
  start(): void {
    if (this.started) throw new Error('background collection already started');
    this.started = true;
    this.schedule(0);
  }

  /** Stops the loop: no collection starts after this; one in flight is awaited, for `stopWaitMs` at most. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.running === null) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.stopWaitMs ?? STOP_WAIT_MS)));
    try {
      await Promise.race([this.running, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  async render(deadline: number): Promise<ExpositionBody> {
    if (this.rendered === null) await this.untilFirstRendered(deadline);
    const own = await this.ownMetrics();
    const analysis = this.rendered ?? (await this.pendingExposition());
    if (this.encoded?.own !== own || this.encoded.analysis !== analysis) {
      const joined = concatExpositions(own, analysis);
      this.encoded = { own, analysis, body: Buffer.from(joined.text, 'utf8') };
    }
    const age = Buffer.from(this.exporterMetrics.collectionAgeText(), 'utf8');
    return { body: Buffer.concat([this.encoded.body, age]), contentType: own.contentType };
  }

  /** The exporter's own metrics, rendered at most once per OWN_METRICS_CACHE_MS (shared by concurrent scrapes). */
  private ownMetrics(): Promise<RenderedExposition> {
    const now = this.clock();
    if (this.own === null || now - this.own.at >= OWN_METRICS_CACHE_MS || now < this.own.at) {
      const exposition = renderRegistry(this.exporterMetrics.registry);
      // A failed render is not cached: the next scrape tries again.
      exposition.catch(() => (this.own = null));
      this.own = { at: now, exposition };
    }
    return this.own.exposition;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      const started = this.clock();
      this.running = this.collectAndRender(started).finally(() => {
        this.running = null;
        if (!this.stopped) this.schedule(Math.max(0, started + this.options.intervalMs - this.clock()));
      });
    }, delayMs);
    this.timer.unref();
  }

  private async collectAndRender(started: number): Promise<void> {
    try {
      const result = await this.service.collect(started + this.options.timeoutMs);
      if (result.analysis !== null) this.lastGood = result.analysis;
      this.rendered = await renderRegistry(buildCollectionRegistry(result.analysis, result.timedOut, this.lastGood, this.options.metrics));
      // The collection moved the exporter's counter, timestamp and duration: the next scrape shows them.
      this.own = null;
      this.renders += 1;
      this.markFirstRendered();
    } catch (error) {
      // A bug in analysis or rendering: keep serving what was rendered before, try again next time.
      this.logger.error({ err: error }, 'rendering the collection failed');
    }
  }

  /** Waits for the first collection, but never past the scrape's deadline. */
  private async untilFirstRendered(deadline: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - this.clock()))));
    try {
      await Promise.race([this.firstRendered, timeUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Before the first collection: every collector's success 0, no other rdsleak_* series. */
  private async pendingExposition(): Promise<RenderedExposition> {
    this.pending ??= await renderRegistry(buildCollectionRegistry(null, false, null, this.options.metrics));
    return this.pending;
  }
}
