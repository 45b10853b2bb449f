import { dirname, join, win32 } from 'node:path';
import { durationFlag, enumFlag, optional, textFlag } from '../flags/flag.js';
import type { FlagValues } from '../flags/flag-values.js';
import { isWindows } from '../platform/os.js';

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

export const STATE_FILE = optional(
  textFlag({
    name: 'zombie.state-file',
    help: 'File that keeps the zombie candidate history across restarts (ages and counts do not start again at 0); none turns it off.',
    default: '',
    placeholder: '<path|none>',
    commands: ['serve'],
    check: (v) => (v.trim() === '' ? 'expected a file path or none' : null),
  }),
  'next to --config.file; without one, %ProgramData%\\rds-leak-exporter\\state.json on Windows, none elsewhere',
);

export const COLLECTION_FLAGS = [COLLECTION_MODE, COLLECTION_INTERVAL, MIN_INTERVAL, COLLECTION_TIMEOUT, STATE_FILE] as const;

/** The state file's path, or null when there is none (see STATE_FILE). */
export function stateFilePath(values: FlagValues, configFile: string | null, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string | null {
  const given = values.get(STATE_FILE);
  if (given !== null) return given.toLowerCase() === 'none' ? null : given;
  if (configFile !== null) return join(dirname(configFile), 'rds-leak-exporter-state.json');
  if (isWindows(platform)) return win32.join(env.ProgramData ?? 'C:\\ProgramData', 'rds-leak-exporter', 'state.json');
  return null;
}

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
