import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyze.js';
import { HostAnalyzer } from '../../src/analysis/host-analyzer.js';
import { CollectionService } from '../../src/collection/collection-service.js';
import { openFileDescriptors } from '../../src/metrics/own-handles.js';
import { listenApp } from '../fixtures/test-app.js';
import { simulationConfig } from '../../src/sources/simulate/profiles.js';
import { SimulateSource } from '../../src/sources/simulate/simulate-source.js';
import { silentLogger } from '../fixtures/fake-sources.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * The agent is a leak detector: it must not leak itself. Hundreds of scrapes over HTTP of a host in
 * steady state (healthy profile: its own state stays bounded) must leave the heap and the open file
 * descriptors flat.
 */
describe('the exporter does not leak', () => {
  it('keeps heap and file descriptors flat over 600 scrapes', async () => {
    let now = Date.parse('2026-11-25T00:00:00.000Z');
    const source = new SimulateSource(simulationConfig({ profile: 'healthy', speed: 1, seed: 9, hostName: 'leak-test' }), () => now);
    const service = new CollectionService(source, new HostAnalyzer(DEFAULT_ANALYSIS_OPTIONS), { minIntervalMs: 0 }, silentLogger);
    const app = await listenApp(service, source.description, true);
    const url = `${app.url}/metrics`;
    const scrape = async (n: number) => {
      for (let i = 0; i < n; i++) {
        now += 15_000;
        const res = await fetch(url);
        expect(res.status).toBe(200);
        await res.text();
      }
    };
    try {
      await scrape(150); // warm up: JIT, pools, keep-alive sockets
      const heapBefore = heapAfterGc();
      const fdsBefore = openFileDescriptors();
      await scrape(450);
      const heapAfter = heapAfterGc();
      const fdsAfter = openFileDescriptors();
      expect(fdsAfter).toBe(fdsBefore);
      // A leak of even one small object per series per scrape would add megabytes over 450 scrapes.
      expect(heapAfter - heapBefore).toBeLessThan(2 * 1024 * 1024);
      expect(service.collectionsStarted).toBe(600);
    } finally {
      app.close();
    }
  }, 120_000);
});
