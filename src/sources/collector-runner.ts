import type { CollectorStatus } from '../model/snapshot.js';
import { errorMessage } from '../errors.js';

export interface CollectorOutcome<T> {
  readonly status: CollectorStatus;
  /** The collector's result; null when it failed or timed out. */
  readonly value: T | null;
}

/**
 * Runs named collectors against a deadline. A collector that throws or runs past the deadline is
 * reported (success false, timedOut true) and its result dropped; the others are still served. A
 * collector whose previous run is still busy is not started twice: native calls cannot be cancelled,
 * so piling them up would grow without bound.
 */
export class CollectorRunner {
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly clock: () => number = Date.now) {}

  async run<T>(name: string, deadline: number, work: () => Promise<T> | T): Promise<CollectorOutcome<T>> {
    const started = this.clock();
    const elapsed = () => Math.max(0, (this.clock() - started) / 1000);
    if (this.busy.has(name)) {
      return this.failed(name, elapsed(), true, 'previous run still in progress');
    }
    const remaining = deadline - started;
    if (remaining <= 0) return this.failed(name, 0, true, 'no time left in the scrape budget');

    const task = Promise.resolve().then(work);
    this.busy.set(name, task);
    task.then(
      () => this.busy.delete(name),
      () => this.busy.delete(name),
    );

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), remaining);
      timer.unref?.();
    });
    try {
      const result = await Promise.race([task, timeout]);
      if (result === 'timeout') {
        return this.failed(name, elapsed(), true, `timed out after ${(remaining / 1000).toFixed(3)} s`);
      }
      return { status: { name, success: true, timedOut: false, durationSeconds: elapsed(), error: null }, value: result as T };
    } catch (error) {
      return this.failed(name, elapsed(), false, errorMessage(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Collectors still running in the background (after a timeout). */
  get inFlight(): number {
    return this.busy.size;
  }

  private failed(name: string, durationSeconds: number, timedOut: boolean, error: string): CollectorOutcome<never> {
    return { status: { name, success: false, timedOut, durationSeconds, error }, value: null };
  }
}
