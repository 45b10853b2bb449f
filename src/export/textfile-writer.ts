import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RdsLeakError, errorMessage } from '../errors.js';

/** The file windows_exporter's (or node_exporter's) textfile collector reads: it globs `*.prom`. */
export const TEXTFILE_NAME = 'rds_leak.prom';

/**
 * On Windows, renaming over a file fails with EPERM, EBUSY or EACCES while another process (the
 * textfile collector) has it open without FILE_SHARE_DELETE; the reader closes it within milliseconds.
 */
const RENAME_RETRY_CODES = new Set(['EPERM', 'EBUSY', 'EACCES']);

export interface TextfileWriteOptions {
  readonly fileName?: string;
  /** Rename attempts before giving up (the delay doubles from `retryDelayMs` each time). */
  readonly renameAttempts?: number;
  readonly retryDelayMs?: number;
  /** fs.rename; replaced in tests, since Linux never refuses to rename over an open file. */
  readonly renameFile?: (from: string, to: string) => Promise<void>;
}

/**
 * Writes `text` to `directory/rds_leak.prom` so that a reader only ever sees a whole old or a whole new
 * file: the text goes to a temporary file in the same directory (same volume, so the rename is atomic;
 * its name does not end in .prom, so no collector reads it half-written), is flushed to disk, and is
 * renamed over the target. Throws RdsLeakError E_TEXTFILE_WRITE; never leaves the temporary file behind.
 */
export async function writeTextfile(directory: string, text: string, options: TextfileWriteOptions = {}): Promise<string> {
  const target = join(directory, options.fileName ?? TEXTFILE_NAME);
  const temporary = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const attempts = options.renameAttempts ?? 8;
  let delayMs = options.retryDelayMs ?? 10;
  const renameFile = options.renameFile ?? rename;
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await renameFile(temporary, target);
        return target;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (attempt >= attempts || !RENAME_RETRY_CODES.has(code)) throw error;
        await sleep(delayMs);
        delayMs *= 2;
      }
    }
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new RdsLeakError('E_TEXTFILE_WRITE', `cannot write ${target}: ${errorMessage(error)}`, { cause: error });
  }
}
