import type { Logger } from 'pino';
import type { AnalysisOptions } from '../analysis/analyze.js';
import type { Options } from '../config/options.js';
import { createSource, type SourceOptions } from '../sources/create-source.js';
import type { SnapshotSource } from '../sources/source.js';

export function analysisOptions(options: Options): AnalysisOptions {
  return { gracePeriodMs: options.gracePeriodMs, zombieLogonTypes: new Set(options.zombieLogonTypes) };
}

export function sourceOptions(options: Options): SourceOptions {
  const overrides: SourceOptions['simulate']['overrides'] = {
    citrix: options.simulate.citrix,
    ...(options.simulate.users !== null ? { users: options.simulate.users } : {}),
    ...(options.simulate.leakShare !== null ? { serviceLeakShare: options.simulate.leakShare } : {}),
  };
  return {
    kind: options.source,
    filePaths: options.filePaths,
    fileLoop: options.fileLoop,
    simulate: {
      profile: options.simulate.profile,
      speed: options.simulate.speed,
      seed: options.simulate.seed,
      hostName: options.simulate.hostName,
      advanceMs: options.simulate.advanceMs,
      overrides,
    },
    windowsConcurrency: options.windowsConcurrency,
  };
}

export function openSource(options: Options, logger: Logger): Promise<SnapshotSource> {
  return createSource(sourceOptions(options), logger);
}
