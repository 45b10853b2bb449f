import { durationFlag, enumFlag } from '../flags/flag.js';
import type { FlagValues } from '../flags/flag-values.js';

/** Longest collection budget accepted (timers overflow past 24.8 days; an hour is already absurd). */
export const MAX_COLLECTION_TIMEOUT_MS = 3_600_000;

export const COLLECTION_MODES = ['background', 'scrape'] as const;
export type CollectionMode = (typeof COLLECTION_MODES)[number];

export const COLLECTION_MODE = enumFlag({
  name: 'collection.mode',
  help: 'background: collect every --collection.interval and answer scrapes with the latest result at once; scrape: collect when scraped.',
  default: 'background',
  choices: COLLECTION_MODES,
  commands: ['serve'],
});

export const COLLECTION_INTERVAL = durationFlag({
  name: 'collection.interval',
  help: 'Time from the start of one background collection to the start of the next (background mode).',
  default: 15_000,
  // Below a second the loop would mostly measure itself; above an hour the grace period means nothing.
  minMs: 1_000,
  maxMs: 3_600_000,
  commands: ['serve'],
});

export const MIN_INTERVAL = durationFlag({
  name: 'collection.min-interval',
  help: 'Scrape mode: serve the previous collection to scrapes that come sooner than this.',
  default: 0,
  minMs: 0,
  maxMs: 86_400_000,
  commands: ['serve'],
});

export const COLLECTION_TIMEOUT = durationFlag({
  name: 'collection.timeout',
  help: 'Collection budget: of every background collection, and of a scrape-mode scrape without X-Prometheus-Scrape-Timeout-Seconds.',
  default: 30_000,
  minMs: 1,
  maxMs: MAX_COLLECTION_TIMEOUT_MS,
});

export const COLLECTION_FLAGS = [COLLECTION_MODE, COLLECTION_INTERVAL, MIN_INTERVAL, COLLECTION_TIMEOUT] as const;

export interface CollectionSettings {
  readonly mode: CollectionMode;
  /** Background mode: from the start of one collection to the start of the next. */
  readonly intervalMs: number;
  /** Scrape mode: serve the last result instead of collecting again when it is younger than this (0 = always collect). */
  readonly minIntervalMs: number;
  /** Budget of a background collection, and of one without a scrape deadline (one-shot commands, scrapes without the header). */
  readonly timeoutMs: number;
}

export function collectionSettingsFrom(values: FlagValues): CollectionSettings {
  return {
    mode: values.get(COLLECTION_MODE),
    intervalMs: values.get(COLLECTION_INTERVAL),
    minIntervalMs: values.get(MIN_INTERVAL),
    timeoutMs: values.get(COLLECTION_TIMEOUT),
  };
}
