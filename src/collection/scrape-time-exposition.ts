import { Registry } from 'prom-client';
import { buildAnalysisRegistry } from '../metrics/analysis-metrics.js';
import type { ExporterMetrics } from '../metrics/exporter-metrics.js';
import { concatExpositions, renderRegistry, type MetricsExposition, type RenderedExposition } from '../metrics/exposition.js';
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

  async render(deadline: number): Promise<RenderedExposition> {
    const result = await this.service.collect(deadline);
    const perScrape = buildAnalysisRegistry(result.analysis, this.options, result.timedOut);
    const rendered = await renderRegistry(Registry.merge([this.exporterMetrics.registry, perScrape]));
    return concatExpositions(rendered, { text: this.exporterMetrics.collectionAgeText(), contentType: rendered.contentType });
  }
}
