import type { Logger } from 'pino';
import { collectionSettingsFrom } from '../collection/flags.js';
import type { FlagValues } from '../flags/flag-values.js';
import { createSource } from '../sources/create-source.js';
import { serializeSnapshot } from '../sources/file/snapshot-file.js';
import { sourceConfigFrom } from '../sources/flags.js';
import type { Io } from './io.js';

/** `snapshot`: one collection, printed as JSON (for support cases and --source file). */
export async function snapshotCommand(flags: FlagValues, logger: Logger, io: Io): Promise<number> {
  const { timeoutMs } = collectionSettingsFrom(flags);
  const source = await createSource(sourceConfigFrom(flags), logger);
  try {
    const snapshot = await source.collect({ deadline: Date.now() + timeoutMs });
    io.stdout.write(serializeSnapshot(snapshot));
    return 0;
  } finally {
    await source.close();
  }
}
