import { describe, expect, it } from 'vitest';
import { ScanCache } from '../../src/sources/windows/scan-cache.js';

const same = (a: number, b: number) => a === b;

describe('ScanCache', () => {
  it('makes every entry due exactly once in each run of reverifyEvery scans, a 1/reverifyEvery share per scan', () => {
    const every = 7;
    const cache = new ScanCache<number>({ maxEntries: 1000, reverifyEvery: every });
    cache.beginScan();
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, i, same);
    cache.endScan();
    const dueCount = new Map<string, number>();
    for (let scan = 0; scan < every; scan++) {
      cache.beginScan();
      let dueThisScan = 0;
      for (let i = 0; i < 100; i++) {
        const hit = cache.get(`k${i}`);
        expect(hit?.value).toBe(i);
        if (hit?.due) {
          dueThisScan += 1;
          dueCount.set(`k${i}`, (dueCount.get(`k${i}`) ?? 0) + 1);
        }
      }
      cache.endScan();
      expect(dueThisScan).toBeGreaterThanOrEqual(Math.floor(100 / every));
      expect(dueThisScan).toBeLessThanOrEqual(Math.ceil(100 / every));
    }
    expect(dueCount.size).toBe(100);
    expect([...dueCount.values()].every((n) => n === 1)).toBe(true);
  });

  it('drops what a scan did not look up, and tells confirmed from corrected answers', () => {
    const cache = new ScanCache<number>({ maxEntries: 1000, reverifyEvery: 1e9 });
    cache.beginScan();
    expect(cache.set('a', 1, same)).toBe('added');
    expect(cache.set('b', 2, same)).toBe('added');
    cache.endScan();
    cache.beginScan();
    expect(cache.get('a')?.value).toBe(1);
    expect(cache.set('a', 1, same)).toBe('confirmed');
    expect(cache.set('a', 3, same)).toBe('corrected');
    expect(cache.endScan()).toBe(1);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.value).toBe(3);
  });

  it('evicts the oldest inserted entries past maxEntries', () => {
    const cache = new ScanCache<number>({ maxEntries: 3, reverifyEvery: 1e9 });
    cache.beginScan();
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, i, same);
    expect(cache.size).toBe(3);
    expect([...cache.keys()]).toEqual(['k2', 'k3', 'k4']);
  });
});
