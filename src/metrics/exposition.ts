import { Registry } from 'prom-client';
import type { HostAnalysis } from '../analysis/analyze.js';
import { buildAnalysisRegistry } from './analysis-metrics.js';
import type { AnalysisMetricsOptions } from './flags.js';

/** Prefix of every metric this exporter defines itself (prom-client's process_* and nodejs_* are not). */
export const OWN_METRIC_PREFIX = 'rdsleak_';

export interface Exposition {
  readonly contentType: string;
  readonly body: string;
}

export interface ExpositionInput {
  /** The long-lived exporter metrics (build info, collection counters, process and Node.js metrics). */
  readonly exporterRegistry: Registry;
  readonly analysis: HostAnalysis | null;
  readonly collectionTimedOut: boolean;
  readonly metrics: AnalysisMetricsOptions;
  /**
   * Only the exporter's own rdsleak_* metrics: a textfile merged by windows_exporter must not repeat its
   * process_* series (its textfile collector fails on a metric it already has).
   */
  readonly ownMetricsOnly?: boolean;
}

/** The Prometheus text exposition of one collection: what /metrics answers and the textfile holds. */
export async function renderExposition(input: ExpositionInput): Promise<Exposition> {
  const perCollection = buildAnalysisRegistry(input.analysis, input.metrics, input.collectionTimedOut);
  let exporter = input.exporterRegistry;
  if (input.ownMetricsOnly === true) {
    exporter = new Registry();
    for (const { name } of input.exporterRegistry.getMetricsAsArray()) {
      const metric = input.exporterRegistry.getSingleMetric(name);
      if (metric && name.startsWith(OWN_METRIC_PREFIX)) exporter.registerMetric(metric);
    }
  }
  const merged = Registry.merge([exporter, perCollection]);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
