/**
 * Scenario 6 of the scripted Wine hosts (npm run bench:wine:scenario): a large host, 5,000 LSA logon
 * sessions and 50,000 held token handles, served by the replacement wtsapi32/secur32 DLLs
 * (test/wine/fakes); the real agent runs 20 collections in one process (diagnose.js). Prints the
 * collection times, the agent's own handle count after each collection and the allocation audit as
 * JSON, plus a Markdown row for docs/performance.md.
 *
 *   node dist/bench/wine-scenario-bench.js [--logons 5000] [--handles 50000] [--holders 10] [--collections 20]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditAllocationLog, holdExitedUserToken, hostFileText, largeScriptedHost } from './scripted-host.js';
import { buildFakes, fakeHostEnv, nodeCopy, runDiagnose, setupWine, stopWine } from './wine-harness.js';

const { values } = parseArgs({
  options: {
    logons: { type: 'string', default: '5000' },
    handles: { type: 'string', default: '50000' },
    holders: { type: 'string', default: '10' },
    collections: { type: 'string', default: '20' },
  },
});
const logons = Number(values.logons);
const handles = Number(values.handles);
const holderCount = Number(values.holders);
const collections = Number(values.collections);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const wine = setupWine();
  const fakes = buildFakes();
  const dir = mkdtempSync(join(tmpdir(), 'rdsleak-scenario-bench-'));
  const setupStarted = performance.now();
  const perHolder = Math.ceil(handles / holderCount);
  const held = await holdExitedUserToken(
    wine,
    dir,
    Array.from({ length: holderCount }, () => ({ image: 'svchost.exe', handles: perHolder })),
    'large',
  );
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  try {
    const { host, heldZombieLogonId, zombieLogonIds } = largeScriptedHost({ logons, liveSessions: 200, zombies: 300, heldTokenId: held.tokenId });
    const hostFile = join(dir, 'large.host');
    const logFile = join(dir, 'large.alloc.log');
    writeFileSync(hostFile, hostFileText(host));
    writeFileSync(logFile, '');
    const exe = nodeCopy(wine, 'fake-host', 'node.exe', fakes);
    const report = await runDiagnose(wine, dir, { collections, name: 'large', exe, env: fakeHostEnv(hostFile, logFile), timeoutMs: 3_600_000 });
    const audit = auditAllocationLog(logFile);
    const snap = report.snapshot;
    const heldHandles = snap?.tokenHandles?.filter((h) => h.logonId === heldZombieLogonId).length ?? 0;
    const counts = report.ownHandleCounts.filter((c): c is number => typeof c === 'number');
    const result = {
      date: new Date().toISOString(),
      machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})`,
      node: report.node,
      logonSessions: logons,
      logonSessionsDecoded: snap?.logonSessions?.length ?? null,
      zombiesScripted: zombieLogonIds.length,
      heldHandles: held.holders.reduce((s, h) => s + h.status.count, 0),
      heldHandlesFound: heldHandles,
      tokenHandlesTotal: report.tokenHandleTotal,
      collections: report.collections,
      durationsMs: report.durationsMs,
      firstMs: report.durationsMs[0],
      medianMs: median(report.durationsMs),
      maxMs: Math.max(...report.durationsMs),
      ownHandleCounts: report.ownHandleCounts,
      ownHandles: counts.length ? `${Math.min(...counts)}..${Math.max(...counts)}` : 'n/a',
      eventLoopDelay: report.eventLoopDelay,
      holderSetupSeconds: Math.round(setupSeconds * 10) / 10,
      audit: { allocations: audit.allocations, frees: audit.frees, unfreed: audit.unfreed.length, badFrees: audit.badFrees.length, wrongFree: audit.wrongFree.length, hook: audit.hook },
      error: report.error,
    };
    process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
    process.stdout.write(
      `| ${result.date.slice(0, 10)} | ${result.logonSessions} | ${result.heldHandlesFound} | ${result.firstMs} | ${result.medianMs} | ${result.maxMs} | ${result.ownHandles} | ${result.eventLoopDelay?.p99Ms ?? 'n/a'} / ${result.eventLoopDelay?.maxMs ?? 'n/a'} | ${result.audit.allocations} / ${result.audit.unfreed} / ${result.audit.badFrees + result.audit.wrongFree} |\n`,
    );
    if (report.error || audit.unfreed.length || audit.badFrees.length || audit.wrongFree.length) process.exitCode = 1;
  } finally {
    await held.stop();
    stopWine(wine);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`wine-scenario-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
