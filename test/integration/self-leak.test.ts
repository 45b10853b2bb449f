import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyze.js';
import { CollectionService } from '../../src/collection/collection-service.js';
import { createExporterMetrics } from '../../src/metrics/exporter-metrics.js';
import { openFileDescriptors } from '../../src/metrics/own-handles.js';
import { createApp } from '../../src/server/app.js';
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
    const source = new SimulateSource({ profile: 'healthy', speed: 1, seed: 9, hostName: 'leak-test', clock: () => now });
    const service = new CollectionService(source, { analysis: DEFAULT_ANALYSIS_OPTIONS, minIntervalMs: 0 }, silentLogger);
    const metrics = createExporterMetrics(source.description, () => null);
    const app = createApp(
      service,
      metrics,
      { telemetryPath: '/metrics', metrics: { zombieInfoLimit: 100, includeUserNames: false }, collectionTimeoutMs: 10_000, timeoutMarginMs: 500, sourceDescription: source.description, simulated: true },
      silentLogger,
    );
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
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
      server.closeAllConnections();
      server.close();
    }
  }, 120_000);
});
