/**
 * `npm run bench:scrape`: scrape latency of the agent in background mode (simulated host) against a plain
 * Node HTTP server sending the same exposition bytes, 50 concurrent scrapers, in one run. Phase 1: quick
 * collections; phase 2: every collection takes 10 s (a delayed source) while the scrapes run. Targets
 * (issue 8): agent p99 at most 1.5x the plain server's, no failed scrape, and phase 2's p99 the same as
 * phase 1's. Both servers run in processes of their own; the scrapers run here. Results go to
 * docs/performance.md ("Scrapes under load").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const TARGETS = resolve(import.meta.dirname, 'scrape-targets.js');
const SCRAPERS = 50;
const SCRAPES = 10_000;
/** Each target's scrapes are split into rounds that alternate between the targets, so load that comes and goes on the machine hits both alike. */
const ROUNDS = 5;
const WARMUP = 500;
const SLOW_COLLECTION_MS = 10_000;
const AGENT_FLAGS = ['--source=simulate', '--simulate.advance=6h', '--simulate.seed=5', '--zombie.grace-period=0s', '--collection.interval=1s', '--log.level=error'];
const MAX_P99_RATIO = 1.5;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
}

interface Run {
  readonly times: number[];
  failures: number;
  seconds: number;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

function request(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
  });
}

/** `count` scrapes of `target` by SCRAPERS loops over keep-alive connections, as many Prometheus servers would. */
async function scrape(target: Target, count: number, run: Run): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: SCRAPERS });
  let left = count;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SCRAPERS }, async () => {
      while (left > 0) {
        left -= 1;
        const t0 = performance.now();
        const ok = await request(`${target.url}/metrics`, agent).then(
          (r) => r.status === 200 && r.body.includes('rdsleak_collector_success'),
          () => false,
        );
        run.times.push(performance.now() - t0);
        if (!ok) run.failures += 1;
      }
    }),
  );
  run.seconds += (performance.now() - started) / 1000;
  agent.destroy();
}

async function start(name: string, args: string[]): Promise<Target> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [TARGETS, args[0] ?? '', String(port), ...args.slice(1)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (await fetch(`${url}/metrics`).then((r) => r.ok, () => false)) return { name, url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`${name} did not start`);
}

async function stop(target: Target): Promise<void> {
  const exited = new Promise((r) => target.child.once('exit', r));
  target.child.kill('SIGTERM');
  await exited;
}

/** Alternating rounds of both targets; warm-up first. */
async function compare(agent: Target, plain: Target): Promise<{ agent: Run; plain: Run }> {
  const runs = { agent: { times: [], failures: 0, seconds: 0 } as Run, plain: { times: [], failures: 0, seconds: 0 } as Run };
  await scrape(plain, WARMUP, { times: [], failures: 0, seconds: 0 });
  await scrape(agent, WARMUP, { times: [], failures: 0, seconds: 0 });
  for (let round = 0; round < ROUNDS; round++) {
    await scrape(plain, SCRAPES / ROUNDS, runs.plain);
    await scrape(agent, SCRAPES / ROUNDS, runs.agent);
  }
  return runs;
}

/** rdsleak_collections_total of the agent now. */
async function collections(agent: Target): Promise<number> {
  const text = await (await fetch(`${agent.url}/metrics`)).text();
  return Number(/^rdsleak_collections_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rdsleak-scrape-bench-'));
  const fmt = (v: number) => v.toFixed(2);
  const line = (name: string, run: Run) =>
    `${name} p50 ${fmt(percentile(run.times, 50))} ms, p99 ${fmt(percentile(run.times, 99))} ms, ${(run.times.length / run.seconds).toFixed(0)} scrapes/s, ${run.failures} failed of ${run.times.length}`;
  const lines: string[] = [];
  let met = true;
  try {
    // Phase 1: quick collections.
    const agent = await start('agent', ['agent', '0', ...AGENT_FLAGS]);
    const exposition = await (await fetch(`${agent.url}/metrics`)).text();
    writeFileSync(join(dir, 'exposition.txt'), exposition);
    const plain = await start('plain server', ['plain', join(dir, 'exposition.txt')]);
    const quick = await compare(agent, plain);
    await stop(agent);

    // Phase 2: every collection takes 10 s; the scrapes start once the first one is done.
    const slowAgent = await start('agent with 10 s collections', ['agent', String(SLOW_COLLECTION_MS), ...AGENT_FLAGS]);
    const before = await collections(slowAgent);
    const slowStarted = performance.now();
    const slow = await compare(slowAgent, plain);
    const slowSeconds = (performance.now() - slowStarted) / 1000;
    const after = await collections(slowAgent);
    await stop(slowAgent);
    await stop(plain);

    const p99 = (run: Run) => percentile(run.times, 99);
    const quickRatio = p99(quick.agent) / p99(quick.plain);
    const slowRatio = p99(slow.agent) / p99(slow.plain);
    const cpu = cpus();
    lines.push(
      `date: ${new Date().toISOString()}`,
      `machine: ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 20).toFixed(0)} MB RAM, Node ${process.version}, ${process.platform}/${process.arch}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      `setup: ${SCRAPERS} concurrent scrapers over keep-alive connections, ${SCRAPES} scrapes per target in ${ROUNDS} alternating rounds after ${WARMUP} warm-up; agent: serve ${AGENT_FLAGS.join(' ')}; exposition ${(Buffer.byteLength(exposition) / 1024).toFixed(1)} KiB`,
      'phase 1, quick collections:',
      line('  plain server:', quick.plain),
      line('  agent:       ', quick.agent),
      `  agent p99 / plain p99: ${fmt(quickRatio)} (target <= ${MAX_P99_RATIO})`,
      `phase 2, every collection takes ${SLOW_COLLECTION_MS / 1000} s, back to back; ${after - before} finished during the ${slowSeconds.toFixed(1)} s of scrapes${after === before && slowSeconds * 1000 < SLOW_COLLECTION_MS ? ' (so one was in flight throughout)' : ''}:`,
      line('  plain server:', slow.plain),
      line('  agent:       ', slow.agent),
      `  agent p99 / plain p99: ${fmt(slowRatio)}; p99 phase 2 / phase 1: agent ${fmt(p99(slow.agent) / p99(quick.agent))}, plain server ${fmt(p99(slow.plain) / p99(quick.plain))} (the machine's drift)`,
    );
    const failures = quick.agent.failures + quick.plain.failures + slow.agent.failures + slow.plain.failures;
    const checks: [string, boolean][] = [
      [`agent p99 <= ${MAX_P99_RATIO}x the plain server's (phase 1)`, quickRatio <= MAX_P99_RATIO],
      ['zero failed scrapes', failures === 0],
      [`agent p99 while 10 s collections run the same as without (within ${MAX_P99_RATIO}x of phase 1's)`, p99(slow.agent) <= p99(quick.agent) * MAX_P99_RATIO],
    ];
    for (const [what, ok] of checks) {
      lines.push(`${ok ? 'met' : 'NOT MET'}: ${what}`);
      met &&= ok;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!met) process.exitCode = 1;
}

await main();
