import { Registry } from 'prom-client';
import { buildAnalysisRegistry } from '../metrics/analysis-metrics.js';
import type { ExporterMetrics } from '../metrics/exporter-metrics.js';
import { renderRegistry, type ExpositionBody, type MetricsExposition } from '../metrics/scrape-exposition.js';
import type { AnalysisMetricsOptions } from '../metrics/flags.js';
import type { CollectionService } from './collection-service.js';

/**
 * `--collection.mode=scrape`: every scrape collects (shared between concurrent scrapes, cached within
 * --collection.min-interval) by its own deadline, then renders the analysis and the exporter's metrics.
 */
export class ScrapeTimeExposition implements MetricsExposition {
  constructor(
    private readonly service: CollectionService,
    private readonly exporterMetrics: ExporterMetrics,
    private readonly options: AnalysisMetricsOptions,
  ) {}

  async render(deadline: number): Promise<ExpositionBody> {
    const result = await this.service.collect(deadline);
    const perScrape = buildAnalysisRegistry(result.analysis, this.options, result.timedOut);
    const { text, contentType } = await renderRegistry(Registry.merge([this.exporterMetrics.registry, perScrape]));
    return { body: Buffer.from(`${text}${this.exporterMetrics.collectionAgeText()}`, 'utf8'), contentType };
  }
}
