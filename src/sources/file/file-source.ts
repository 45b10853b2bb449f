import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { Snapshot } from '../../model/snapshot.js';
import type { CollectContext, SnapshotSource } from '../source.js';
import { readSnapshotFile } from './snapshot-file.js';

export interface FileSourceOptions {
  /** Files, or directories whose `*.json` files are taken in name order. */
  readonly paths: readonly string[];
  /** After the last snapshot, start again (true) or keep serving the last one (false). */
  readonly loop: boolean;
}

async function expand(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (info?.isDirectory()) {
      const names = (await readdir(path)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
      if (names.length === 0) throw new UsageError('E_SNAPSHOT_READ', `${path}: directory holds no .json snapshot`);
      files.push(...names.map((n) => join(path, n)));
    } else {
      files.push(path);
    }
  }
  return files;
}

/**
 * Replays recorded snapshots (from `rds-leak-exporter snapshot` or a support case) in order, one per
 * collection. Every file is validated at start, so a bad one stops the agent with its name and line.
 * Recorded times are kept: the grace period runs on the recording's clock.
 */
export class FileSource implements SnapshotSource {
  readonly kind = 'file' as const;
  private index = 0;

  private constructor(
    private readonly snapshots: readonly Snapshot[],
    private readonly loop: boolean,
    readonly description: string,
  ) {}

  static async open(options: FileSourceOptions): Promise<FileSource> {
    if (options.paths.length === 0) throw new UsageError('E_USAGE', '--source file needs --file.path');
    const files = await expand(options.paths);
    const snapshots: Snapshot[] = [];
    for (const file of files) snapshots.push(await readSnapshotFile(file));
    return new FileSource(snapshots, options.loop, files.length === 1 ? `file:${files[0]}` : `file:${files.length} snapshots`);
  }

  get length(): number {
    return this.snapshots.length;
  }

  async collect(_context: CollectContext): Promise<Snapshot> {
    const snapshot = this.snapshots[this.index];
    if (!snapshot) throw new UsageError('E_SNAPSHOT_READ', `${this.description}: no snapshot to replay`);
    if (this.index < this.snapshots.length - 1) this.index += 1;
    else if (this.loop) this.index = 0;
    return snapshot;
  }

  async close(): Promise<void> {}
}
