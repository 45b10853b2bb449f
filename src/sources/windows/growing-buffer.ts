import { RdsLeakError } from '../../errors.js';
import type { NtQueryResult } from './api.js';
import { STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INFO_LENGTH_MISMATCH, STATUS_SUCCESS } from './layouts.js';

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The answers that mean "give me a bigger buffer". */
const TOO_SMALL = new Set([STATUS_INFO_LENGTH_MISMATCH, STATUS_BUFFER_TOO_SMALL, STATUS_BUFFER_OVERFLOW]);

/** What one call did with the buffer it was given: filled it (`length` bytes are valid), or asks for `needed` bytes. */
export type FillAnswer = { readonly filled: true; readonly length: number } | { readonly filled: false; readonly needed: number };

export interface FilledBuffer {
  readonly buffer: Buffer;
  /** Bytes the call wrote (ReturnLength when plausible, else the whole buffer). */
  readonly length: number;
}

/**
 * The one grow-and-retry rule for every query that fills a caller's buffer (the handle table, the process
 * list, the object type list, the service list): on a "too small" answer grow to ReturnLength plus slack (the
 * tables keep growing between calls), bounded in attempts and size; keep the buffer that worked for the
 * next scan, so an 80 MB handle table is not allocated again per scrape.
 */
export class GrowingBuffer {
  private buffer: Buffer;
  /** ReturnLength of the last successful call. */
  private lastLength = 0;

  constructor(
    /** What is queried, for messages: e.g. `NtQuerySystemInformation(64)`. */
    private readonly what: string,
    initialSize: number,
    private readonly maxSize = 1024 * 1024 * 1024,
    private readonly maxAttempts = 8,
  ) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  get size(): number {
    return this.buffer.length;
  }

  async fill(query: (buffer: Buffer) => Promise<NtQueryResult>): Promise<FilledBuffer> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const buffer = this.buffer;
      const answer = this.settle(buffer, await query(buffer));
      if (answer === 'done') return this.filled(buffer, this.lastLength);
      if (answer === 'stop') break;
    }
    throw this.tooSmall();
  }

  fillSync(query: (buffer: Buffer) => NtQueryResult): FilledBuffer {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const buffer = this.buffer;
      const answer = this.settle(buffer, query(buffer));
      if (answer === 'done') return this.filled(buffer, this.lastLength);
      if (answer === 'stop') break;
    }
    throw this.tooSmall();
  }

  /**
   * The same rule for a call that does not speak NTSTATUS (EnumServicesStatusExW: BOOL, GetLastError,
   * bytes needed): `query` says whether its call filled the buffer or how many bytes it needs, and throws
   * on any other failure.
   */
  fillWith(query: (buffer: Buffer) => FillAnswer): FilledBuffer {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const buffer = this.buffer;
      const answer = query(buffer);
      if (answer.filled) return this.filled(buffer, answer.length);
      if (this.grow(buffer, answer.needed) === 'stop') break;
    }
    throw this.tooSmall();
  }

  /** One NTSTATUS answer: done, grow and retry, or stop (cannot grow further). Throws on any other status. */
  private settle(buffer: Buffer, { status, returnLength }: NtQueryResult): 'done' | 'retry' | 'stop' {
    if (status === STATUS_SUCCESS) {
      this.lastLength = returnLength;
      return 'done';
    }
    if (!TOO_SMALL.has(status)) throw new RdsLeakError('E_NATIVE_CALL', `${this.what} failed with status ${hex(status)}`);
    return this.grow(buffer, returnLength);
  }

  /** The growth rule: what the call asked for (or the current size) plus slack, bounded by maxSize. */
  private grow(buffer: Buffer, needed: number): 'retry' | 'stop' {
    const next = Math.min(this.maxSize, Math.ceil((Math.max(needed, buffer.length) + 64 * 1024) * 1.25));
    if (next <= buffer.length) return 'stop';
    this.buffer = Buffer.allocUnsafe(next);
    return 'retry';
  }

  private filled(buffer: Buffer, returnLength: number): FilledBuffer {
    return { buffer, length: returnLength > 0 && returnLength <= buffer.length ? returnLength : buffer.length };
  }

  private tooSmall(): RdsLeakError {
    return new RdsLeakError('E_NATIVE_CALL', `${this.what} still reports a too small buffer at ${this.buffer.length} bytes after ${this.maxAttempts} attempts`);
  }
}
