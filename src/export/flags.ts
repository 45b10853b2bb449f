import { durationFlag, fileFlag } from '../flags/flag.js';

export const TEXTFILE_DIRECTORY = fileFlag({
  name: 'textfile.directory',
  help: 'Also write the metrics to rds_leak.prom in this directory, atomically, for a textfile collector (windows_exporter); with --web.listen-address= (empty) the only output.',
  commands: ['serve'],
});

export const TEXTFILE_INTERVAL = durationFlag({
  name: 'textfile.interval',
  help: 'How often --textfile.directory rewrites rds_leak.prom (with the latest background collection; in scrape mode, a collection of its own).',
  default: 30_000,
  minMs: 1,
  maxMs: 3_600_000,
  commands: ['serve'],
});

export const TEXTFILE_FLAGS = [TEXTFILE_DIRECTORY, TEXTFILE_INTERVAL] as const;
