import type { Logger } from 'pino';
import { RdsLeakError, UsageError } from '../errors.js';
import type { SimulationParameters, SimulationProfile } from './simulate/profiles.js';
import type { SnapshotSource, SourceKind } from './source.js';

export interface SourceOptions {
  readonly kind: SourceKind;
  readonly filePaths: readonly string[];
  readonly fileLoop: boolean;
  readonly simulate: {
    readonly profile: SimulationProfile;
    readonly speed: number;
    readonly seed: number;
    readonly hostName: string;
    readonly overrides: Partial<SimulationParameters>;
    readonly advanceMs: number;
  };
  readonly windowsConcurrency: number;
}

type WindowsSourceModule = { createWindowsSource?: (o: { concurrency?: number; logger: Logger }) => Promise<SnapshotSource> };

/**
 * Loads the Windows source module. By default a dynamic import with a variable specifier: it keeps
 * bundlers and tsc from requiring the file where it is not built. A bundle that does ship the Windows
 * source (the single executable: src/sea/sea-main.ts, built by `npm run build:exe`) installs a loader
 * with a literal specifier instead, so the bundler includes the module; it is still loaded lazily, only
 * for `--source windows`. Nothing else changes: the same errors are raised below either way.
 */
let windowsSourceLoader: () => Promise<unknown> = () => {
  const specifier = './windows/windows-source.js';
  return import(specifier);
};

/** For bundles only (see windowsSourceLoader); the core never calls it. */
export function setWindowsSourceLoader(loader: () => Promise<unknown>): void {
  windowsSourceLoader = loader;
}

/** The one place that knows every source; each is imported lazily so koffi loads only for `windows`. */
export async function createSource(options: SourceOptions, logger: Logger): Promise<SnapshotSource> {
  switch (options.kind) {
    case 'simulate': {
      const { SimulateSource } = await import('./simulate/simulate-source.js');
      return new SimulateSource({ ...options.simulate });
    }
    case 'file': {
      const { FileSource } = await import('./file/file-source.js');
      return FileSource.open({ paths: options.filePaths, loop: options.fileLoop });
    }
    case 'windows': {
      if (process.platform !== 'win32') {
        throw new UsageError('E_SOURCE_UNAVAILABLE', `--source windows needs Windows (this is ${process.platform}); use --source simulate or --source file`);
      }
      let module: WindowsSourceModule;
      try {
        module = (await windowsSourceLoader()) as WindowsSourceModule;
      } catch (error) {
        throw new RdsLeakError('E_SOURCE_UNAVAILABLE', 'the Windows native source is not available in this build', { cause: error, exitCode: 2 });
      }
      if (!module.createWindowsSource) throw new RdsLeakError('E_SOURCE_UNAVAILABLE', 'the Windows native source is not available in this build', { exitCode: 2 });
      return module.createWindowsSource({ concurrency: options.windowsConcurrency, logger });
    }
  }
}
