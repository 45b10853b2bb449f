import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyze.js';
import { HostAnalyzer } from '../../src/analysis/host-analyzer.js';
import { CollectionService } from '../../src/collection/collection-service.js';
import { CollectorRunner } from '../../src/sources/collector-runner.js';
import { PartlyBrokenSource, SlowSource, silentLogger } from '../fixtures/fake-sources.js';

describe('collection service', () => {
  it('shares one collection between concurrent scrapes (single-flight)', async () => {
    const source = new SlowSource(100);
    const service = new CollectionService(source, new HostAnalyzer(DEFAULT_ANALYSIS_OPTIONS), { minIntervalMs: 0 }, silentLogger);
    const results = await Promise.all(Array.from({ length: 10 }, () => service.collect(Date.now() + 5000)));
    expect(source.collections).toBe(1);
    expect(new Set(results).size).toBe(1);
    await service.collect(Date.now() + 5000);
    expect(source.collections).toBe(2);
  });

  it('serves the cached result inside the minimum interval', async () => {
    const source = new SlowSource(1);
    const service = new CollectionService(source, new HostAnalyzer(DEFAULT_ANALYSIS_OPTIONS), { minIntervalMs: 60_000 }, silentLogger);
    const first = await service.collect(Date.now() + 5000);
    const second = await service.collect(Date.now() + 5000);
    expect(second).toBe(first);
    expect(source.collections).toBe(1);
  });

  it('answers by the deadline when the source is too slow, and counts the collection once', async () => {
    const source = new SlowSource(700);
    const collected: number[] = [];
    const service = new CollectionService(source, new HostAnalyzer(DEFAULT_ANALYSIS_OPTIONS), { minIntervalMs: 0, onCollected: () => collected.push(1) }, silentLogger);
    const result = await service.collect(Date.now() + 50);
    expect(result.timedOut).toBe(true);
    expect(result.analysis).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(collected).toHaveLength(1);
    expect(service.lastResult?.analysis).not.toBeNull();
  });

  it('keeps the rest of the snapshot when one collector times out and another throws', async () => {
    const service = new CollectionService(new PartlyBrokenSource({ handles: 'hang', lsa: 'fail' }), new HostAnalyzer(DEFAULT_ANALYSIS_OPTIONS), { minIntervalMs: 0 }, silentLogger);
    const result = await service.collect(Date.now() + 300);
    const status = Object.fromEntries(result.analysis!.collectors.map((c) => [c.name, [c.success, c.timedOut]]));
    expect(status).toEqual({ wts: [true, false], lsa: [false, false], processes: [true, false], handles: [false, true], tokens: [false, true], services: [false, true] }); // services runs last here: no time left
    expect(result.analysis?.sessions?.present).toBe(7);
    expect(result.analysis?.zombies).toBeNull();
    expect(result.analysis?.tokens).toBeNull();
  });
});

describe('collector runner', () => {
  it('does not start a collector again while its previous run is still busy', async () => {
    const runner = new CollectorRunner();
    let starts = 0;
    const slow = () => {
      starts += 1;
      return new Promise<number>((resolve) => setTimeout(() => resolve(1), 200));
    };
    const first = await runner.run('handles', Date.now() + 20, slow);
    expect(first.status).toMatchObject({ success: false, timedOut: true });
    const second = await runner.run('handles', Date.now() + 1000, slow);
    expect(second.status).toMatchObject({ success: false, timedOut: true, error: 'previous run still in progress' });
    expect(starts).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(runner.inFlight).toBe(0);
    expect((await runner.run('handles', Date.now() + 1000, slow)).value).toBe(1);
  });
});
