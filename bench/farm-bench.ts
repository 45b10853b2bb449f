/**
 * `npm run bench:farm`: memory and CPU per simulated host of `--simulate.hosts N` (Linux: reads the
 * server's /proc/<pid>/stat and status). For each farm size it starts the built agent as a child
 * process at real speed (--simulate.speed 1, --simulate.advance 8h so hosts carry a working day of
 * sessions and zombies), scrapes every host once to warm up, then scrapes every host ROUNDS times as
 * Prometheus would (8 concurrent scrapes) and reports the server's CPU time per host scrape and its
 * resident memory. Memory per host is the slope between the smallest and the largest farm. The results
 * go to docs/performance.md.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';

const SIZES = [1, 50, 200];
const ROUNDS = 5;
const CONCURRENCY = 8;
const PORT = 19_400;
const CLI = join(dirname(fileURLToPath(import.meta.url)), '../src/cli.js');
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  // Fields after the command name: utime and stime are the 14th and 15th fields of /proc/<pid>/stat.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? 'VmRSS: 0 kB';
  return Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024;
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready`);
}

interface Result {
  readonly hosts: number;
  readonly rssMiB: number;
  readonly cpuMsPerScrape: number;
  readonly wallMsPerScrape: number;
  readonly bytesPerScrape: number;
}

async function measure(hosts: number, port: number): Promise<Result> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--simulate.hosts', String(hosts), '--simulate.speed', '1', '--simulate.advance', '8h', '--web.listen-address', `127.0.0.1:${port}`, '--log.level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/health`);
    const groups = (await (await fetch(`${base}/farm/targets`)).json()) as { targets: string[] }[];
    const names = groups.flatMap((g) => g.targets);
    const limit = pLimit(CONCURRENCY);
    let bytes = 0;
    const scrapeAll = () =>
      Promise.all(
        names.map((n) =>
          limit(async () => {
            const text = await (await fetch(`${base}/metrics?host=${n}`)).text();
            bytes += text.length;
          }),
        ),
      );
    await scrapeAll(); // warm-up: the first scrape steps each host through its 8 simulated hours
    bytes = 0;
    const cpuBefore = cpuSeconds(child.pid!);
    const started = performance.now();
    for (let r = 0; r < ROUNDS; r++) await scrapeAll();
    const wall = performance.now() - started;
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    const scrapes = ROUNDS * names.length;
    return { hosts, rssMiB: rssBytes(child.pid!) / 2 ** 20, cpuMsPerScrape: (cpu * 1000) / scrapes, wallMsPerScrape: wall / scrapes, bytesPerScrape: bytes / scrapes };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function main(): Promise<void> {
  const results: Result[] = [];
  for (const [i, hosts] of SIZES.entries()) results.push(await measure(hosts, PORT + i));
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${new Date().toISOString()}`);
  console.log('hosts  server RSS MiB  CPU ms/host scrape  wall ms/host scrape  bytes/scrape');
  for (const r of results) {
    console.log(`${String(r.hosts).padStart(5)}  ${r.rssMiB.toFixed(1).padStart(14)}  ${r.cpuMsPerScrape.toFixed(2).padStart(18)}  ${r.wallMsPerScrape.toFixed(2).padStart(19)}  ${r.bytesPerScrape.toFixed(0).padStart(12)}`);
  }
  const first = results[0]!;
  const last = results[results.length - 1]!;
  const perHostMiB = (last.rssMiB - first.rssMiB) / (last.hosts - first.hosts);
  console.log(`memory per simulated host: ${(perHostMiB * 1024).toFixed(0)} KiB (RSS slope ${first.hosts} -> ${last.hosts} hosts)`);
  console.log(`CPU for ${last.hosts} hosts scraped every 15 s: ${((last.cpuMsPerScrape * last.hosts) / 15_000 * 100).toFixed(1)} % of one core`);
}

await main();
