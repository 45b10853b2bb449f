/**
 * `npm run bench:auth`: latency of an authenticated scrape (basic auth, bcrypt cost 10, credentials
 * already verified) with and without a concurrent flood of wrong passwords, against the built agent in
 * a process of its own. The flood runs in a third process, so its client work does not count as the
 * agent's. Results go to docs/performance.md ("Basic auth under a wrong-password flood").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import bcrypt from 'bcryptjs';

const CLI = resolve(import.meta.dirname, '../src/cli.js');
const SCRAPES = 200;
const WARMUP = 20;
const FLOOD_CONNECTIONS = 40;
/**
 * Requests per second of the whole flood. Paced rather than as fast as possible: on 2 cores an unpaced
 * flood measures how fast Node answers HTTP at all, whatever the authentication; at this rate bcrypt on
 * the event loop (about 0.1 s each) would stall it for good, and plain 401s cost little.
 */
const FLOOD_RATE = 200;
const FLOOD_MAX_MS = 60_000;
const BCRYPT_COST = 10;
const BURST_ROUNDS = 10;

const header = (password: string) => ({ authorization: `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}` });

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/**
 * The flood process: FLOOD_CONNECTIONS loops of wrong passwords (or, for `mode` none, of requests
 * without credentials, which cost no bcrypt) until stdin closes (or FLOOD_MAX_MS).
 */
async function flood(url: string, mode: string): Promise<void> {
  let running = true;
  process.stdin.on('close', () => (running = false));
  process.stdin.resume();
  setTimeout(() => (running = false), FLOOD_MAX_MS).unref();
  const statuses = new Map<number, number>();
  let n = 0;
  await Promise.all(
    Array.from({ length: FLOOD_CONNECTIONS }, async (_, loop) => {
      const intervalMs = (1000 * FLOOD_CONNECTIONS) / FLOOD_RATE;
      const start = performance.now() + (loop * intervalMs) / FLOOD_CONNECTIONS;
      for (let i = 0; running; i++) {
        const wait = start + i * intervalMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const status = await fetch(`${url}/metrics`, mode === 'none' ? {} : { headers: header(`guess-${n++}`) }).then(
          async (r) => (await r.arrayBuffer(), r.status),
          () => 0,
        );
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  process.stdout.write(JSON.stringify(Object.fromEntries(statuses)));
}

async function scrapes(url: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await fetch(`${url}/metrics`, { headers: header('s3cret') });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`authenticated scrape answered ${res.status}`);
    times.push(performance.now() - started);
  }
  return times;
}

async function startAgent(configPath: string): Promise<{ url: string; child: ChildProcess }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [CLI, 'serve', `--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${configPath}`, '--simulate.speed=1', '--log.level=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}`);
    if (await fetch(`${url}/health`).then(() => true, () => false)) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('agent did not start');
}

async function main(): Promise<void> {
  if (process.argv[2] === 'flood' && process.argv[3]) return flood(process.argv[3], process.argv[4] ?? 'wrong');
  const dir = mkdtempSync(join(tmpdir(), 'rdsleak-auth-bench-'));
  const configPath = join(dir, 'web.yml');
  writeFileSync(configPath, `basic_auth_users:\n  prometheus: ${bcrypt.hashSync('s3cret', BCRYPT_COST)}\n`);
  const { url, child } = await startAgent(configPath);
  try {
    await scrapes(url, WARMUP);
    const floor = await scrapes(url, SCRAPES);

    const floodWith = async (mode: string) => {
      const flooder = spawn(process.execPath, [process.argv[1] ?? '', 'flood', url, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
      let report = '';
      flooder.stdout?.on('data', (d) => (report += String(d)));
      const ended = new Promise((r) => flooder.once('exit', r));
      await new Promise((r) => setTimeout(r, 1_000)); // the flood fills the verification queue
      const started = performance.now();
      const times = await scrapes(url, SCRAPES);
      const seconds = (performance.now() - started) / 1000;
      flooder.stdin?.end();
      await ended;
      const statuses = JSON.parse(report || '{}') as Record<string, number>;
      const total = Object.values(statuses).reduce((a, b) => a + b, 0);
      const summary = `${total} requests in ${seconds.toFixed(1)} s and the 1 s before: ${Object.entries(statuses).map(([s, n]) => `${n} x ${s === '0' ? 'failed' : s}`).join(', ')}`;
      return { times, summary };
    };
    // Issue 10's case: 40 wrong passwords at once, then a scrape (it took 5.2 s with bcrypt on the event loop).
    // The control: as many requests at once without credentials (401 without bcrypt).
    const burstOf = async (credentials: boolean) => {
      const times: number[] = [];
      for (let round = 0; round < BURST_ROUNDS; round++) {
        const others = Array.from({ length: FLOOD_CONNECTIONS }, (_, i) => fetch(`${url}/metrics`, credentials ? { headers: header(`burst-${round}-${i}`) } : {}).then((r) => r.arrayBuffer(), () => null));
        times.push(...(await scrapes(url, 1)));
        await Promise.all(others);
      }
      return times;
    };
    const burstControl = await burstOf(false);
    const burst = await burstOf(true);
    const noCredentials = await floodWith('none');
    const wrong = await floodWith('wrong');

    const cpu = cpus();
    const fmt = (v: number) => v.toFixed(2);
    const p = (times: number[], q: number) => fmt(percentile(times, q));
    const ratio = (times: number[]) => `p50 ${fmt(percentile(times, 50) / percentile(floor, 50))}x, p99 ${fmt(percentile(times, 99) / percentile(floor, 99))}x`;
    const lines = [
      `date: ${new Date().toISOString()}`,
      `machine: ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 20).toFixed(0)} MB RAM, Node ${process.version}, ${process.platform}/${process.arch}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      `setup: basic auth, bcrypt cost ${BCRYPT_COST}; ${SCRAPES} sequential authenticated scrapes of /metrics (simulated host), credentials verified once before; floods of ${FLOOD_RATE} requests/s over ${FLOOD_CONNECTIONS} connections from another process`,
      `no flood:                     p50 ${p(floor, 50)} ms, p99 ${p(floor, 99)} ms`,
      `right after ${FLOOD_CONNECTIONS} requests without credentials at once (${BURST_ROUNDS} rounds): p50 ${p(burstControl, 50)} ms, max ${fmt(Math.max(...burstControl))} ms (${ratio(burstControl)})`,
      `right after ${FLOOD_CONNECTIONS} wrong passwords at once (${BURST_ROUNDS} rounds): p50 ${p(burst, 50)} ms, max ${fmt(Math.max(...burst))} ms (${ratio(burst)})`,
      `flood without credentials:    p50 ${p(noCredentials.times, 50)} ms, p99 ${p(noCredentials.times, 99)} ms (${ratio(noCredentials.times)}; ${noCredentials.summary})`,
      `flood of wrong passwords:     p50 ${p(wrong.times, 50)} ms, p99 ${p(wrong.times, 99)} ms (${ratio(wrong.times)}; ${wrong.summary})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
