/**
 * Process management for the end-to-end test: free loopback ports, child processes in their own process
 * groups (so stopping one stops everything it started), readiness polling and small HTTP helpers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { freePort } from '../fixtures/agent-process.js';


export { freePort };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;
}

/** Every process the test started; `stopAll` stops them (and their process groups). */
export class Processes {
  private readonly all: Managed[] = [];
  private readonly logs: WriteStream[] = [];

  start(name: string, command: string, args: readonly string[], logFile: string, cwd?: string): Managed {
    const log = createWriteStream(logFile);
    this.logs.push(log);
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`));
      child.once('error', (error) => resolve(`spawn error: ${error.message}`));
    });
    const managed = { name, child, logFile, exited };
    this.all.push(managed);
    return managed;
  }

  /** SIGTERM to each process group, SIGKILL after the grace period for those still alive. */
  async stopAll(graceMs = 5000): Promise<void> {
    const running = this.all.filter((p) => p.child.exitCode === null && p.child.signalCode === null && p.child.pid !== undefined);
    for (const p of running) signalGroup(p, 'SIGTERM');
    await Promise.race([Promise.all(running.map((p) => p.exited)), sleep(graceMs)]);
    for (const p of running) {
      if (p.child.exitCode === null && p.child.signalCode === null) signalGroup(p, 'SIGKILL');
    }
    await Promise.race([Promise.all(running.map((p) => p.exited)), sleep(2000)]);
    for (const log of this.logs) log.end();
  }

  alive(): Managed[] {
    return this.all.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  }
}

function signalGroup(p: Managed, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.child.pid!, signal);
  } catch {
    try {
      p.child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export async function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

/** Polls `url` until it answers 200, failing early (with the log) when the process exits. */
export async function waitReady(p: Managed, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`${p.name} exited before it was ready (${p.child.exitCode ?? p.child.signalCode}); see ${p.logFile}`);
    }
    try {
      const { status } = await httpGet(url, 1000);
      if (status === 200) return;
      lastError = `HTTP ${status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${p.name} not ready at ${url} within ${timeoutMs} ms (${lastError}); see ${p.logFile}`);
}

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value?: [number, string];
  readonly values?: [number, string][];
}

/** Runs an instant (or, with `rangeSeconds`, a range) query against the Prometheus HTTP API. */
export async function promQuery(base: string, expr: string, rangeSeconds?: number): Promise<PromSample[]> {
  const now = Date.now() / 1000;
  const url =
    rangeSeconds === undefined
      ? `${base}/api/v1/query?query=${encodeURIComponent(expr)}&time=${now}`
      : `${base}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${now - rangeSeconds}&end=${now}&step=1`;
  const { status, body } = await httpGet(url);
  const parsed = JSON.parse(body) as { status: string; error?: string; data?: { result: PromSample[] } };
  if (status !== 200 || parsed.status !== 'success') throw new Error(`query failed (${status}): ${expr}: ${parsed.error ?? body}`);
  return parsed.data!.result;
}

export interface AmAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly status: { readonly state: string; readonly inhibitedBy: string[]; readonly silencedBy: string[] };
}

export async function alertmanagerAlerts(base: string): Promise<AmAlert[]> {
  const { status, body } = await httpGet(`${base}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`);
  if (status !== 200) throw new Error(`Alertmanager /api/v2/alerts answered ${status}: ${body}`);
  return JSON.parse(body) as AmAlert[];
}
