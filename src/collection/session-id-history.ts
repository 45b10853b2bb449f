import type { HostAnalysis } from '../analysis/analyze.js';

/** One collection's view of session ID use: what the status page's history chart draws. */
export interface SessionIdPoint {
  /** Epoch ms of the host's clock at the collection. */
  readonly at: number;
  readonly highestSessionId: number;
  readonly present: number;
}

/** 2,880 points: two days at one collection a minute, a few hundred kilobytes at most. */
export const SESSION_ID_HISTORY_POINTS = 2880;

/**
 * Highest session ID against sessions present since the agent started, one point per collection, in a
 * bounded ring (oldest dropped first) so a long-running agent keeps a fixed amount of memory.
 */
export class SessionIdHistory {
  private readonly points: SessionIdPoint[] = [];
  private next = 0;

  constructor(readonly capacity: number = SESSION_ID_HISTORY_POINTS) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
  }

  /** Adds a collection; one whose WTS collector failed knows no session IDs and adds nothing. */
  record(analysis: HostAnalysis | null): void {
    if (!analysis?.sessions) return;
    const point = { at: analysis.collectedAt, highestSessionId: analysis.sessions.highestSessionId, present: analysis.sessions.present };
    if (this.points.length < this.capacity) this.points.push(point);
    else this.points[this.next] = point;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  list(): SessionIdPoint[] {
    return this.points.length < this.capacity ? [...this.points] : [...this.points.slice(this.next), ...this.points.slice(0, this.next)];
  }
}
