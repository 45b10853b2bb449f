import { durationFlag } from '../flags/flag.js';
import type { FlagValues } from '../flags/flag-values.js';

/** Longest collection budget accepted (timers overflow past 24.8 days; an hour is already absurd). */
export const MAX_COLLECTION_TIMEOUT_MS = 3_600_000;

export const MIN_INTERVAL = durationFlag({
  name: 'collection.min-interval',
  help: 'Serve the previous collection to scrapes that come sooner than this.',
  default: 0,
  minMs: 0,
  maxMs: 86_400_000,
  commands: ['serve'],
});

export const COLLECTION_TIMEOUT = durationFlag({
  name: 'collection.timeout',
  help: 'Collection budget when the scrape sends no X-Prometheus-Scrape-Timeout-Seconds header.',
  default: 30_000,
  minMs: 1,
  maxMs: MAX_COLLECTION_TIMEOUT_MS,
});

export const COLLECTION_FLAGS = [MIN_INTERVAL, COLLECTION_TIMEOUT] as const;

export interface CollectionSettings {
  /** Serve the last result instead of collecting again when it is younger than this (0 = always collect). */
  readonly minIntervalMs: number;
  /** Budget of a collection that has no scrape deadline (one-shot commands, scrapes without the header). */
  readonly timeoutMs: number;
}

export function collectionSettingsFrom(values: FlagValues): CollectionSettings {
  return { minIntervalMs: values.get(MIN_INTERVAL), timeoutMs: values.get(COLLECTION_TIMEOUT) };
}
