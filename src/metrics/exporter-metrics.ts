import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { VERSION } from '../version.js';
import { METRICS } from './catalog.js';
import { openFileDescriptors } from './own-handles.js';

const LINT_FAILING_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface ExporterMetrics {
  readonly registry: Registry;
  /** Records one finished collection (not a cached or shared one); `finishedAt` null when it failed. */
  recordCollection(durationSeconds: number, finishedAt: number | null): void;
}

/**
 * Metrics about the exporter itself that live as long as the process: build info, collection counter and
 * timestamps, its own handle count, and prom-client's process and Node.js metrics.
 */
export function createExporterMetrics(
  sourceDescription: string,
  ownHandleCount: () => number | null,
  /** prom-client's process and Node.js metrics; off for the hosts of a simulated farm, which share one process. */
  { processMetrics = true }: { readonly processMetrics?: boolean } = {},
): ExporterMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  // prom-client names these gauges with a `_total` suffix, which `promtool check metrics` rejects; the
  // per-type gauges without the suffix (nodejs_active_handles{type}) carry the same information.
  for (const name of LINT_FAILING_DEFAULT_METRICS) registry.removeSingleMetric(name);
  new Gauge({ name: METRICS.buildInfo.name, help: METRICS.buildInfo.help, labelNames: [...METRICS.buildInfo.labels], registers: [registry] }).set(
    { version: VERSION, source: sourceDescription, nodejs: process.version },
    1,
  );
  const collections = new Counter({ name: METRICS.collectionsTotal.name, help: METRICS.collectionsTotal.help, registers: [registry] });
  const lastTimestamp = new Gauge({ name: METRICS.lastCollectionTimestamp.name, help: METRICS.lastCollectionTimestamp.help, registers: [registry] });
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
  return {
    registry,
    recordCollection(durationSeconds, finishedAt) {
      collections.inc();
      if (finishedAt !== null) lastTimestamp.set(finishedAt / 1000);
      duration.set(durationSeconds);
    },
  };
}
