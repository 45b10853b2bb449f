import { repeatableFlag, switchFlag } from '../../flags/flag.js';
import type { FlagValues } from '../../flags/flag-values.js';
import type { FileSourceOptions } from './file-source.js';

export const FILE_PATHS = repeatableFlag({
  name: 'file.path',
  help: 'Snapshot JSON file for --source file; repeat it (or give a directory) to replay a sequence in order.',
  placeholder: '<path>',
});

export const FILE_LOOP = switchFlag({
  name: 'file.loop',
  help: 'Start the replayed sequence again after its last snapshot instead of repeating the last one.',
  default: false,
});

export const FILE_FLAGS = [FILE_PATHS, FILE_LOOP] as const;

export function fileSourceOptionsFrom(values: FlagValues): FileSourceOptions {
  return { paths: values.get(FILE_PATHS), loop: values.get(FILE_LOOP) };
}
