/**
 * What the previous scans resolved, kept across scans of a source that re-reads the same kernel state
 * every few seconds. Three rules keep it from lying or growing:
 * - entries not looked up in a scan are dropped at its end (their handle closed, their process or logon
 *   session ended), so a key is only ever trusted while its object kept existing from one scan to the next;
 * - every entry is due for re-verification once every `reverifyEvery` scans, on a rotation spread by
 *   insertion order (1/reverifyEvery of the entries each scan), so a wrong entry cannot live forever;
 * - at most `maxEntries` entries: past that the oldest inserted are evicted (they are resolved afresh).
 * Only successful answers belong here: a failure is retried by the next scan, never remembered.
 */
export interface ScanCacheLimits {
  /** Bound on entries; the oldest inserted are evicted past it. */
  readonly maxEntries: number;
  /** Each entry is re-verified once in this many scans (50: 2% of the entries per scan). */
  readonly reverifyEvery: number;
}

export interface CacheLookup<V> {
  readonly value: V;
  /** Re-resolve it this scan and {@link ScanCache.set} (or {@link ScanCache.delete}) the answer. */
  readonly due: boolean;
}

interface Slot<V> {
  value: V;
  seenInScan: number;
  readonly sequence: number;
}

export class ScanCache<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private scan = 0;
  private sequence = 0;

  constructor(private readonly limits: ScanCacheLimits) {}

  get size(): number {
    return this.slots.size;
  }

  /** Starts a scan: lookups from now on count as seen in it. */
  beginScan(): void {
    this.scan += 1;
  }

  /** The cached value, marked seen in this scan; undefined when unknown. */
  get(key: string): CacheLookup<V> | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    slot.seenInScan = this.scan;
    return { value: slot.value, due: (slot.sequence + this.scan) % this.limits.reverifyEvery === 0 };
  }

  /** Stores (or confirms) an answer resolved in this scan; says whether it replaced a different one. */
  set(key: string, value: V, same: (a: V, b: V) => boolean): 'added' | 'confirmed' | 'corrected' {
    const slot = this.slots.get(key);
    if (slot) {
      slot.seenInScan = this.scan;
      if (same(slot.value, value)) return 'confirmed';
      slot.value = value;
      return 'corrected';
    }
    if (this.slots.size >= this.limits.maxEntries) this.evictOldest(this.slots.size - this.limits.maxEntries + 1);
    this.slots.set(key, { value, seenInScan: this.scan, sequence: this.sequence++ });
    return 'added';
  }

  delete(key: string): void {
    this.slots.delete(key);
  }

  /** Ends a scan: drops every entry it did not look up. Call only after a complete scan. */
  endScan(): number {
    let dropped = 0;
    for (const [key, slot] of this.slots) {
      if (slot.seenInScan !== this.scan) {
        this.slots.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Test hook: overwrite an entry without touching its age or rotation (a deliberately wrong answer). */
  corruptForTest(key: string, value: V): boolean {
    const slot = this.slots.get(key);
    if (!slot) return false;
    slot.value = value;
    return true;
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  private evictOldest(count: number): void {
    for (const key of this.slots.keys()) {
      if (count-- <= 0) return;
      this.slots.delete(key);
    }
  }
}
