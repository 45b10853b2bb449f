import type { ExporterMetrics } from '../metrics/exporter-metrics.js';
import type { CollectionResult } from './collection-service.js';

/**
 * The CollectionService hook that counts each collection that ran in the exporter's metrics. A failed
 * collection is no fresh data: staleness alerts must see the timestamp stop and the age grow.
 */
export function recordCollectionsIn(metrics: ExporterMetrics): (result: CollectionResult) => void {
  return (result) => metrics.recordCollection(result.durationSeconds, result.error === null ? result.startedAt + result.durationSeconds * 1000 : null);
}
