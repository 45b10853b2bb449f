import type { Logger } from 'pino';
import { RdsLeakError, UsageError, errorMessage } from '../errors.js';
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
      let windows: typeof import('./windows/windows-source.js');
      try {
        // Loaded only here, so koffi is loaded only for --source windows (also inside the single executable,
        // whose bundler maps koffi's addon lookup to the embedded addon: src/sea/native-addon.ts).
        windows = await import('./windows/windows-source.js');
      } catch (error) {
        throw new RdsLeakError('E_SOURCE_UNAVAILABLE', `the Windows native source could not be loaded: ${errorMessage(error)}`, { cause: error, exitCode: 2 });
      }
      return windows.createWindowsSource({ concurrency: options.windowsConcurrency, logger });
    }
  }
}
