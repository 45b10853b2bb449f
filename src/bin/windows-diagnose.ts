/**
 * Field and harness diagnostics for the Windows native source: runs N collections in this process and
 * writes one JSON report (snapshot validity, timings, the agent's own handle count after each collection).
 * Used by the Wine harness (test/wine, bench/wine-bench.ts) and useful on a first real host:
 *
 *   node dist/src/bin/windows-diagnose.js --out report.json [--collections 50] [--pid 1234]
 *
 * --pid keeps only that holder's token handles in the written snapshot (large hosts have many).
 * --grow-file F --grow-status S --grow-by N --grow-from K: before collection K (1-based) and each one after
 * it, write a total N larger to F and wait until the leak tool's status S shows it held (the leak tool's
 * --grow-file): N new token handles between two scans.
 * Writes to files only: Windows Node under Wine cannot write to pipes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { snapshotSchema, type Snapshot } from '../model/snapshot.js';
import { createWindowsSource } from '../sources/windows/windows-source.js';
import type { TokenCacheStats } from '../sources/windows/token-cache.js';

export interface DiagnoseReport {
  platform: string;
  node: string;
  pid: number;
  collections: number;
  valid: boolean;
  validationErrors: string[];
  durationsMs: number[];
  /** Event-loop delay while collecting (ms): whether the native scan blocks other work (scrapes, /health). */
  eventLoopDelay: { p99Ms: number; maxMs: number } | null;
  ownHandleCounts: (number | null)[];
  /** Per collection: what the token cache answered and what was resolved through Win32. */
  tokenCacheStats: TokenCacheStats[];
  /** Per collection: token handles the leak tool was told to add just before it (0: none). */
  handlesAdded: number[];
  tokenHandleTotal: number;
  tokenHandlesOfPid: number | null;
  snapshot: Snapshot | null;
  error: string | null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      collections: { type: 'string', default: '1' },
      pid: { type: 'string' },
      log: { type: 'string' },
      'deadline-ms': { type: 'string', default: '120000' },
      'grow-file': { type: 'string' },
      'grow-status': { type: 'string' },
      'grow-by': { type: 'string', default: '0' },
      'grow-from': { type: 'string', default: '2' },
    },
  });
  if (!values.out) throw new Error('--out FILE is required');
  const logger = values.log ? pino({ level: 'debug' }, pino.destination({ dest: values.log, sync: true })) : pino({ level: 'silent' });
  const report: DiagnoseReport = {
    platform: process.platform,
    node: process.version,
    pid: process.pid,
    collections: 0,
    valid: true,
    validationErrors: [],
    durationsMs: [],
    ownHandleCounts: [],
    tokenCacheStats: [],
    handlesAdded: [],
    tokenHandleTotal: 0,
    tokenHandlesOfPid: null,
    snapshot: null,
    error: null,
    eventLoopDelay: null,
  };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  try {
    const source = await createWindowsSource({ logger, onTokenCacheStats: (stats) => report.tokenCacheStats.push(stats) });
    const n = Math.max(1, Number(values.collections));
    const growBy = Number(values['grow-by']);
    const growFrom = Number(values['grow-from']);
    let last: Snapshot | null = null;
    delay.enable();
    for (let i = 0; i < n; i++) {
      const growing = values['grow-file'] !== undefined && values['grow-status'] !== undefined && growBy > 0 && i + 1 >= growFrom;
      if (growing) await growLeakTool(values['grow-file'] as string, values['grow-status'] as string, growBy);
      report.handlesAdded.push(growing ? growBy : 0);
      const started = performance.now();
      const snapshot = await source.collect({ deadline: Date.now() + Number(values['deadline-ms']) });
      report.durationsMs.push(Math.round((performance.now() - started) * 10) / 10);
      report.ownHandleCounts.push(source.ownHandleCount?.() ?? null);
      const parsed = snapshotSchema.safeParse(snapshot);
      if (!parsed.success) {
        report.valid = false;
        report.validationErrors.push(...parsed.error.issues.slice(0, 10).map((e) => `${e.path.join('.')}: ${e.message}`));
      }
      report.collections++;
      last = snapshot;
    }
    delay.disable();
    report.eventLoopDelay = { p99Ms: Math.round(delay.percentile(99) / 1e4) / 100, maxMs: Math.round(delay.max / 1e4) / 100 };
    await source.close();
    if (last) {
      report.tokenHandleTotal = last.tokenHandles?.length ?? 0;
      if (values.pid) {
        const pid = Number(values.pid);
        const mine = last.tokenHandles?.filter((h) => h.pid === pid) ?? [];
        report.tokenHandlesOfPid = mine.length;
        last = { ...last, tokenHandles: last.tokenHandles === null ? null : mine.slice(0, 2000) };
      }
      report.snapshot = last;
    }
  } catch (error) {
    report.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  writeFileSync(values.out, JSON.stringify(report, null, 1));
  logger.flush?.();
  process.exit(report.error ? 1 : 0);
}

/** Asks the leak tool for `by` more handles and waits until its status shows them held. */
async function growLeakTool(growFile: string, statusFile: string, by: number): Promise<void> {
  const held = () => (JSON.parse(readFileSync(statusFile, 'utf8')) as { count: number; error: string | null });
  const target = held().count + by;
  writeFileSync(growFile, String(target));
  const until = Date.now() + 120_000;
  for (;;) {
    const status = held();
    if (status.error) throw new Error(`leak tool: ${status.error}`);
    if (status.count >= target) return;
    if (Date.now() > until) throw new Error(`the leak tool did not reach ${target} handles in 120 s (holds ${status.count})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`diagnose: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
