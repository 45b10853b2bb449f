/**
 * Field and harness diagnostics for the Windows native source: runs N collections in this process and
 * writes one JSON report (snapshot validity, timings, the agent's own handle count after each collection).
 * Used by the Wine harness (test/wine, bench/wine-bench.ts) and useful on a first real host:
 *
 *   node dist/src/bin/windows-diagnose.js --out report.json [--collections 50] [--pid 1234]
 *
 * --pid keeps only that holder's token handles in the written snapshot (large hosts have many).
 * Writes to files only: Windows Node under Wine cannot write to pipes.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { snapshotSchema, type Snapshot } from '../model/snapshot.js';
import { createWindowsSource } from '../sources/windows/windows-source.js';

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
    tokenHandleTotal: 0,
    tokenHandlesOfPid: null,
    snapshot: null,
    error: null,
    eventLoopDelay: null,
  };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  try {
    const source = await createWindowsSource({ logger });
    const n = Math.max(1, Number(values.collections));
    let last: Snapshot | null = null;
    delay.enable();
    for (let i = 0; i < n; i++) {
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

main().catch((error: unknown) => {
  process.stderr.write(`diagnose: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
