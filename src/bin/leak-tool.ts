/**
 * rds-leak-exporter leak tool: deliberately holds N access-token handles, so the exporter (and the Wine
 * harness) can be checked against a known leak. Runs under Windows Node (real Windows or Wine).
 *
 *   node dist/src/bin/leak-tool.js --count 100 --status status.json [--stop-file stop.flag]
 *                                         [--pid 1234] [--exit-on-stdin-close] [--grow-file grow.txt]
 *
 * --pid: hold tokens of another process (e.g. a user's explorer.exe) instead of its own: the handles then
 * keep that user's logon session alive after log-off, as a leaking service would (needs administrator /
 * SeDebugPrivilege for other users' processes). Without --pid it duplicates its own process token.
 * The tool writes {pid, image, tokenId, count, ready} to --status once the handles are held, and exits cleanly
 * (closing every handle, status {stopped: true}) when --stop-file appears, on SIGINT/SIGTERM/SIGBREAK, or
 * when stdin closes if --exit-on-stdin-close is given (not under Wine, where stdin must be /dev/null).
 * --grow-file: while running, a number written to that file is a new total: the tool duplicates more
 * handles up to it and rewrites the status with the new count (new handles between two scans, for the
 * incremental-resolution benchmark).
 */
import { writeFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { PROCESS_QUERY_LIMITED_INFORMATION, TOKEN_QUERY, TOKEN_STATISTICS } from '../sources/windows/layouts.js';
import { decodeTokenStatistics } from '../sources/windows/decoders/token.js';

/** What the tool writes to its --status file (read by the Wine harness, bench/wine-harness.ts). */
export interface LeakToolStatus {
  pid: number;
  image: string;
  targetPid: number;
  /** TokenId (HIGH:LOW) of the held token: scripted Wine hosts map it to a logon session (test/wine/fakes). */
  tokenId: string | null;
  count: number;
  ready: boolean;
  stopped: boolean;
  error: string | null;
  firstHandles: number[];
}

function writeStatus(file: string, status: LeakToolStatus): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(status));
  renameSync(tmp, file);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '10' },
      status: { type: 'string' },
      'stop-file': { type: 'string' },
      pid: { type: 'string' },
      'exit-on-stdin-close': { type: 'boolean', default: false },
      'grow-file': { type: 'string' },
    },
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 10_000_000) throw new Error(`--count must be a positive integer, got ${values.count}`);
  const statusFile = values.status;
  if (!statusFile) throw new Error('--status FILE is required');
  const status: LeakToolStatus = {
    pid: process.pid,
    image: basename(process.execPath),
    targetPid: values.pid ? Number(values.pid) : process.pid,
    tokenId: null,
    count: 0,
    ready: false,
    stopped: false,
    error: null,
    firstHandles: [],
  };
  const { loadWin32Api } = await import('../sources/windows/win32/bindings.js');
  const api = loadWin32Api();

  const held: bigint[] = [];
  let baseToken: bigint | null = null;
  let processHandle: bigint | null = null;
  const release = () => {
    for (const h of held) api.closeHandle(h);
    held.length = 0;
    if (processHandle !== null) api.closeHandle(processHandle);
    processHandle = null;
  };
  try {
    let source = api.currentProcess;
    if (values.pid) {
      // Another user's process token needs SeDebugPrivilege (elevated administrator or LocalSystem).
      const privilege = api.enablePrivilege('SeDebugPrivilege');
      if (privilege.value === null) throw new Error(`SeDebugPrivilege could not be enabled (error ${privilege.error}): run the leak tool from an elevated prompt`);
      const opened = api.openProcess(Number(values.pid), PROCESS_QUERY_LIMITED_INFORMATION);
      if (opened.value === null) throw new Error(`OpenProcess(${values.pid}) failed with error ${opened.error}`);
      processHandle = opened.value;
      source = opened.value;
    }
    const base = api.openProcessToken(source, TOKEN_QUERY);
    if (base.value === null) throw new Error(`OpenProcessToken failed with error ${base.error}`);
    held.push(base.value);
    baseToken = base.value;
    const stats = Buffer.alloc(TOKEN_STATISTICS.size);
    const queried = api.tokenStatistics(base.value, stats);
    if (queried.value !== null) status.tokenId = decodeTokenStatistics(stats, queried.value).tokenId;
    while (held.length < count) {
      const dup = api.duplicateHandle(api.currentProcess, Number(base.value), TOKEN_QUERY);
      if (dup.value === null) throw new Error(`DuplicateHandle failed with error ${dup.error} after ${held.length} handles`);
      held.push(dup.value);
    }
  } catch (error) {
    release();
    status.error = error instanceof Error ? error.message : String(error);
    writeStatus(statusFile, status);
    process.exitCode = 1;
    return;
  }
  status.count = held.length;
  status.ready = true;
  status.firstHandles = held.slice(0, 16).map((h) => Number(h));
  writeStatus(statusFile, status);

  /** Duplicates more handles up to the total written in `file` (ignored while absent or not larger). */
  function grow(file: string, base: bigint, statusPath: string): void {
    let target: number;
    try {
      target = Number(readFileSync(file, 'utf8').trim());
    } catch {
      return;
    }
    if (!Number.isInteger(target) || target <= held.length || target > 10_000_000) return;
    while (held.length < target) {
      const dup = api.duplicateHandle(api.currentProcess, Number(base), TOKEN_QUERY);
      if (dup.value === null) {
        status.error = `DuplicateHandle failed with error ${dup.error} after ${held.length} handles`;
        break;
      }
      held.push(dup.value);
    }
    status.count = held.length;
    writeStatus(statusPath, status);
  }

  await new Promise<void>((resolve) => {
    let done = false;
    const stop = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      resolve();
    };
    const growFile = values['grow-file'];
    const timer = setInterval(() => {
      if (values['stop-file'] && existsSync(values['stop-file'])) stop();
      else if (growFile && baseToken !== null) grow(growFile, baseToken, statusFile);
    }, 100);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const) process.on(signal, stop);
    if (values['exit-on-stdin-close']) {
      process.stdin.on('end', stop);
      process.stdin.on('error', stop);
      process.stdin.resume();
    }
  });
  release();
  status.stopped = true;
  status.count = 0;
  writeStatus(statusFile, status);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`leak-tool: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
