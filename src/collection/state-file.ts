import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AnalyzerMemory } from '../analysis/host-analyzer.js';
import { LOGON_ID_PATTERN } from '../model/logon-id.js';

/**
 * The zombie candidate history on disk, so zombie counts and ages survive an agent restart (an update,
 * a reboot of the agent, the service restarting after a crash) instead of dropping to 0 for the grace
 * period and starting again at age 0. Written atomically (temp file in the same folder, fsync, rename)
 * whenever the history changes; a missing, unreadable or foreign file is logged and ignored: it only
 * ever costs what a restart cost before.
 */
const STATE_VERSION = 1;

const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  host: z.string(),
  savedAt: z.iso.datetime({ offset: true }),
  candidates: z.array(z.object({ logonId: z.string().regex(LOGON_ID_PATTERN), firstSeen: z.iso.datetime({ offset: true }), ageIsLowerBound: z.boolean() })),
});

export class CandidateStateFile {
  /** The candidates last written (or loaded), to write only on change. */
  private lastCandidates = '';

  constructor(
    readonly path: string,
    private readonly host: string,
    private readonly logger: Logger,
  ) {}

  /** The memory saved for this host, or null (none, unreadable, another host's). Never throws. */
  load(): AnalyzerMemory | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err: error, file: this.path }, 'zombie state file unreadable: starting without it');
      return null;
    }
    const parsed = stateSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      this.logger.warn({ file: this.path, problem: parsed.error.issues[0]?.message ?? 'not JSON' }, 'zombie state file invalid: starting without it');
      return null;
    }
    if (parsed.data.host.toLowerCase() !== this.host.toLowerCase()) {
      this.logger.warn({ file: this.path, saved_for: parsed.data.host, host: this.host }, 'zombie state file belongs to another host: starting without it');
      return null;
    }
    this.lastCandidates = JSON.stringify(parsed.data.candidates);
    const history = new Map(parsed.data.candidates.map((c) => [c.logonId, Date.parse(c.firstSeen)]));
    const lowerBound = new Set(parsed.data.candidates.filter((c) => c.ageIsLowerBound).map((c) => c.logonId));
    this.logger.info({ file: this.path, candidates: history.size }, 'zombie history restored');
    return { history, lowerBound };
  }

  /** Writes the memory when it changed since the last write. Never throws: a failure is logged. */
  save(memory: AnalyzerMemory, now: number): void {
    const candidates = [...memory.history]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([logonId, firstSeen]) => ({ logonId, firstSeen: new Date(firstSeen).toISOString(), ageIsLowerBound: memory.lowerBound.has(logonId) }));
    const body = JSON.stringify(candidates);
    if (body === this.lastCandidates) return;
    const text = `${JSON.stringify({ version: STATE_VERSION, host: this.host, savedAt: new Date(now).toISOString(), candidates })}\n`;
    const temp = join(dirname(this.path), `.${process.pid}.zombie-state.tmp`);
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.path);
      this.lastCandidates = body;
    } catch (error) {
      rmSync(temp, { force: true });
      this.logger.warn({ err: error, file: this.path }, 'cannot write the zombie state file: zombie ages will restart with the agent');
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
