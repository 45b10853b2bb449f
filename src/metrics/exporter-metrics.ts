import { monitorEventLoopDelay } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { VERSION } from '../version.js';
import { METRICS } from './catalog.js';
import { openFileDescriptors } from './own-handles.js';

/**
 * prom-client default metrics the exporter does not export, with the reason (docs/metrics.md, "prom-client
 * process and Node.js metrics"). What stays is cheap to read at every scrape: CPU, memory, start time,
 * heap size, version.
 */
const DROPPED_DEFAULT_METRICS = [
  // Each scrape waited a setImmediate round for this one (1.1 ms of a 1.45 ms render in issue 8); the
  // histogram gauges below were reset by every scrape, so concurrent scrapers each saw a fragment.
  // Replaced by the gauges of EVENT_LOOP_DELAY, computed once per collection.
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  // A histogram of 4 GC kinds x 9 series: most of the default series, for a diagnosis nobody runs from Prometheus.
  'nodejs_gc_duration_seconds',
  // Per V8 heap space (about 24 series); nodejs_heap_size_used_bytes and _total_bytes say it in total.
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  // Walk every handle, request and resource of the process at each scrape (one per open connection);
  // rdsleak_exporter_handles is the leak signal. The `_total` variants also break `promtool check metrics`.
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  // A directory listing at each scrape, for the number rdsleak_exporter_handles already exports.
  'process_open_fds',
];

/** Event-loop delay over the time between two collections, set once per collection (prom-client's names). */
const EVENT_LOOP_DELAY = [
  { name: 'nodejs_eventloop_lag_p50_seconds', help: 'Median event-loop delay since the previous collection.', read: (h: Histogram) => h.percentile(50) },
  { name: 'nodejs_eventloop_lag_p99_seconds', help: '99th percentile of the event-loop delay since the previous collection.', read: (h: Histogram) => h.percentile(99) },
  { name: 'nodejs_eventloop_lag_max_seconds', help: 'Longest event-loop delay since the previous collection.', read: (h: Histogram) => h.max },
] as const;

type Histogram = ReturnType<typeof monitorEventLoopDelay>;

/** Resolution of the event-loop delay sampling (prom-client's default). */
const EVENT_LOOP_RESOLUTION_MS = 10;

export interface ExporterMetrics {
  readonly registry: Registry;
  /** Records one finished collection (not a cached or shared one); `finishedAt` null when it failed. */
  recordCollection(durationSeconds: number, finishedAt: number | null): void;
  /**
   * `rdsleak_last_collection_age_seconds` as of now, in the text format: rendered apart from `registry`
   * so that the age is exact even when the rest of the exporter's metrics come from a brief cache.
   */
  collectionAgeText(): string;
  /** Stops the event-loop delay sampling (the agent is closing). */
  close(): void;
}

/**
 * Metrics about the exporter itself that live as long as the process: build info, collection counter,
 * timestamp and age, its own handle count, and the cheap part of prom-client's process and Node.js metrics.
 */
export function createExporterMetrics(
  sourceDescription: string,
  ownHandleCount: () => number | null,
  /** prom-client's process and Node.js metrics; off for the hosts of a simulated farm, which share one process. */
  { processMetrics = true }: { readonly processMetrics?: boolean } = {},
): ExporterMetrics {
  const startedAt = Date.now();
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  new Gauge({ name: METRICS.buildInfo.name, help: METRICS.buildInfo.help, labelNames: [...METRICS.buildInfo.labels], registers: [registry] }).set(
    { version: VERSION, source: sourceDescription, nodejs: process.version },
    1,
  );
  const collections = new Counter({ name: METRICS.collectionsTotal.name, help: METRICS.collectionsTotal.help, registers: [registry] });
  const lastTimestamp = new Gauge({ name: METRICS.lastCollectionTimestamp.name, help: METRICS.lastCollectionTimestamp.help, registers: [registry] });
  let lastGoodAt: number | null = null;
  const age = METRICS.lastCollectionAge;
  const ageHeader = `# HELP ${age.name} ${age.help}\n# TYPE ${age.name} ${age.type}\n${age.name} `;
  const duration = new Gauge({ name: METRICS.scrapeDuration.name, help: METRICS.scrapeDuration.help, registers: [registry] });
  new Gauge({
    name: METRICS.exporterHandles.name,
    help: METRICS.exporterHandles.help,
    registers: [registry],
    collect() {
      const count = ownHandleCount() ?? openFileDescriptors();
      if (count !== null) this.set(count);
    },
  });
  const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  delay.enable();
  const delayGauges = EVENT_LOOP_DELAY.map((d) => ({ read: d.read, gauge: new Gauge({ name: d.name, help: d.help, registers: [registry] }) }));
  return {
    registry,
    recordCollection(durationSeconds, finishedAt) {
      collections.inc();
      if (finishedAt !== null) {
        lastGoodAt = finishedAt;
        lastTimestamp.set(finishedAt / 1000);
      }
      duration.set(durationSeconds);
      // No sample yet (a collection within the first resolution tick): keep the previous values.
      if (delay.count > 0) for (const { read, gauge } of delayGauges) gauge.set(read(delay) / 1e9);
      delay.reset();
    },
    collectionAgeText() {
      return `${ageHeader}${Math.max(0, Date.now() - (lastGoodAt ?? startedAt)) / 1000}\n`;
    },
    close() {
      delay.disable();
    },
  };
}
