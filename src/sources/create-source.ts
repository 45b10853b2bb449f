import type { Logger } from 'pino';
import { RdsLeakError, errorMessage } from '../errors.js';
import type { SourceConfig } from './flags.js';
import { requireWindows } from '../platform/os.js';
import type { SnapshotSource } from './source.js';

/** The one place that knows every source; each is imported lazily so koffi loads only for `windows`. */
export async function createSource(config: SourceConfig, logger: Logger): Promise<SnapshotSource> {
  switch (config.kind) {
    case 'simulate': {
      const { SimulateSource } = await import('./simulate/simulate-source.js');
      return new SimulateSource(config.simulation);
    }
    case 'file': {
      const { FileSource } = await import('./file/file-source.js');
      return FileSource.open(config.file);
    }
    case 'windows': {
      requireWindows('--source windows');
      // Loaded only here, so koffi is loaded only for --source windows (also inside the single executable,
      // whose bundler maps koffi's addon lookup to the embedded addon: src/sea/native-addon.ts).
      const windows = await import('./windows/windows-source.js').catch((error: unknown) => {
        throw new RdsLeakError('E_SOURCE_UNAVAILABLE', `the Windows native source could not be loaded: ${errorMessage(error)}`, { cause: error });
      });
      return windows.createWindowsSource({ ...config.windows, logger: logger.child({ source: 'windows' }) });
    }
  }
}
