import { enumFlag, optional } from '../flags/flag.js';
import type { FlagValues } from '../flags/flag-values.js';
import { UsageError } from '../errors.js';
import { FILE_FLAGS, FILE_PATHS, fileSourceOptionsFrom } from './file/flags.js';
import type { FileSourceOptions } from './file/file-source.js';
import { isWindows } from '../platform/os.js';
import { SIMULATE_FLAGS, simulationConfigFrom } from './simulate/flags.js';
import type { SimulationConfig } from './simulate/profiles.js';
import { SOURCE_KINDS, type SourceKind } from './source.js';
import { WINDOWS_FLAGS, windowsSourceSettingsFrom, type WindowsSourceSettings } from './windows/flags.js';

export const SOURCE = optional(
  enumFlag({ name: 'source', help: 'Where snapshots come from.', choices: SOURCE_KINDS, default: 'simulate' }),
  'windows on Windows, simulate elsewhere',
);

export const SOURCE_FLAGS = [SOURCE, ...FILE_FLAGS, ...SIMULATE_FLAGS, ...WINDOWS_FLAGS] as const;

/** The chosen source and its settings, in the shape the source takes. */
export type SourceConfig =
  | { readonly kind: 'simulate'; readonly simulation: SimulationConfig }
  | { readonly kind: 'file'; readonly file: FileSourceOptions }
  | { readonly kind: 'windows'; readonly windows: WindowsSourceSettings };

export function defaultSourceKind(platform: NodeJS.Platform): SourceKind {
  return isWindows(platform) ? 'windows' : 'simulate';
}

export function sourceConfigFrom(values: FlagValues, platform: NodeJS.Platform = process.platform): SourceConfig {
  const kind = values.get(SOURCE) ?? defaultSourceKind(platform);
  switch (kind) {
    case 'simulate':
      return { kind, simulation: simulationConfigFrom(values) };
    case 'file':
      if (values.get(FILE_PATHS).length === 0) throw new UsageError('E_USAGE', '--source file needs --file.path (a snapshot file or a directory of them)');
      return { kind, file: fileSourceOptionsFrom(values) };
    case 'windows':
      return { kind, windows: windowsSourceSettingsFrom(values) };
  }
}
