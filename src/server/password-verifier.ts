import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { bcryptjsSource } from './bcryptjs-source.js';

/**
 * bcrypt verifications off the event loop, on a small pool of worker threads, with a bounded queue.
 * bcrypt costs tens to hundreds of milliseconds of CPU on purpose; on the event loop (bcryptjs, sync or
 * "async": its async API only slices the work, still on the main thread) a flood of wrong passwords
 * stalls every scrape. Here the event loop only posts messages; a flood fills the queue and is then
 * turned away at once (verify() returns null) instead of piling up work and memory.
 */
export interface PasswordVerifierOptions {
  /** Worker threads; each runs one verification at a time. */
  readonly threads: number;
  /** Verifications waiting for a thread; beyond it verify() answers null (busy). */
  readonly maxQueued: number;
  /**
   * Share of its core a thread may spend on bcrypt: after a verification of d ms it rests
   * d * (1 / share - 1) ms. A flood then costs the host (an RDS server full of users) a bounded amount
   * of CPU, whatever its rate.
   */
  readonly cpuShare: number;
}

/** One thread per core beyond the one the event loop needs, at most 2: authentication must not starve collection. */
export const PASSWORD_VERIFIER_DEFAULTS: PasswordVerifierOptions = {
  threads: Math.min(2, Math.max(1, availableParallelism() - 1)),
  maxQueued: 16,
  cpuShare: 0.5,
};

interface Job {
  readonly id: number;
  readonly password: string;
  readonly hash: string;
  readonly done: (ok: boolean) => void;
}

interface Reply {
  readonly id: number;
  readonly ok: boolean;
}

/** CommonJS run by `new Worker(..., { eval: true })`, bcryptjs's source included: no file to locate. */
function workerSource(bcryptjs: string): string {
  return `
const { parentPort } = require('node:worker_threads');
const bcryptModule = { exports: {} };
(function (module, exports, define) {
${bcryptjs}
})(bcryptModule, bcryptModule.exports, undefined);
const bcrypt = bcryptModule.exports;
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;
}

class PoolThread {
  readonly worker: Worker;
  job: Job | null = null;
  jobStarted = 0;
  /** Resting after a verification (PasswordVerifierOptions.cpuShare). */
  resting = false;

  constructor(source: string, onReply: (thread: PoolThread, reply: Reply) => void, onExit: (thread: PoolThread) => void) {
    this.worker = new Worker(source, { eval: true });
    // Idle threads must not keep the process alive; open sockets keep it alive while requests run.
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => onReply(this, reply));
    this.worker.on('error', () => onExit(this));
    this.worker.on('exit', () => onExit(this));
  }
}

export class PasswordVerifier {
  /** The worker threads' code; null when bcryptjs's source is not available (verifications stay inline). */
  private readonly source: string | null;
  private readonly threads: PoolThread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  /** Verifications running on the main thread when worker threads are unavailable. */
  private inline = 0;

  constructor(private readonly options: PasswordVerifierOptions = PASSWORD_VERIFIER_DEFAULTS) {
    const bcryptjs = bcryptjsSource();
    this.source = bcryptjs === null ? null : workerSource(bcryptjs);
  }

  /** True when verifications run on worker threads (false in a build that cannot start them). */
  get offMainThread(): boolean {
    return this.source !== null;
  }

  /** Verifications running or waiting. */
  get pending(): number {
    return this.queue.length + this.inline + this.busyThreads();
  }

  private busyThreads(): number {
    return this.threads.filter((t) => t.job !== null || t.resting).length;
  }

  /** Resolves to whether `password` matches the bcrypt `hash`; null (at once) when the queue is full. */
  verify(password: string, hash: string): Promise<boolean> | null {
    if (this.closed) return Promise.resolve(false);
    if (this.source === null) return this.verifyInline(password, hash);
    if (this.busyThreads() >= this.options.threads && this.queue.length >= this.options.maxQueued) return null;
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, password, hash, done: resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.done(false);
    const threads = this.threads.splice(0);
    for (const thread of threads) thread.job?.done(false);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** The fallback: bcryptjs's async API on the event loop, bounded the same way. */
  private verifyInline(password: string, hash: string): Promise<boolean> | null {
    if (this.inline >= this.options.threads + this.options.maxQueued) return null;
    this.inline++;
    return bcrypt.compare(password, hash).then(
      (ok) => ok,
      () => false,
    ).finally(() => {
      this.inline--;
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let thread = this.threads.find((t) => t.job === null && !t.resting);
      if (!thread && this.threads.length < this.options.threads && this.source !== null) {
        thread = new PoolThread(this.source, (t, reply) => this.onReply(t, reply), (t) => this.onExit(t));
        this.threads.push(thread);
      }
      const job = thread ? this.queue.shift() : undefined;
      if (!thread || !job) return;
      thread.job = job;
      thread.jobStarted = performance.now();
      thread.worker.postMessage({ id: job.id, password: job.password, hash: job.hash });
    }
  }

  private onReply(thread: PoolThread, reply: Reply): void {
    const job = thread.job;
    thread.job = null;
    if (job && job.id === reply.id) job.done(reply.ok);
    const restMs = (performance.now() - thread.jobStarted) * (1 / this.options.cpuShare - 1);
    if (restMs >= 1) {
      thread.resting = true;
      setTimeout(() => {
        thread.resting = false;
        this.dispatch();
      }, restMs).unref();
    } else {
      this.dispatch();
    }
  }

  /** A thread that died fails its job (a refusal, never an acceptance) and is replaced on demand. */
  private onExit(thread: PoolThread): void {
    const index = this.threads.indexOf(thread);
    if (index < 0) return;
    this.threads.splice(index, 1);
    thread.job?.done(false);
    thread.job = null;
    if (!this.closed) this.dispatch();
  }
}

let shared: PasswordVerifier | null = null;

/** The process's verifier: one pool for every listener and every reloaded web config. */
export function sharedPasswordVerifier(): PasswordVerifier {
  shared ??= new PasswordVerifier();
  return shared;
}
