import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyze.js';
import { HostAnalyzer } from '../../src/analysis/host-analyzer.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { startServer } from '../../src/cli/serve-command.js';
import { BackgroundCollection, type BackgroundCollectionOptions } from '../../src/collection/background-collection.js';
import { CollectionService } from '../../src/collection/collection-service.js';
import { recordCollectionsIn } from '../../src/collection/record-collection.js';
import { createExporterMetrics } from '../../src/metrics/exporter-metrics.js';
import { COLLECTOR_NAMES } from '../../src/model/snapshot.js';
import { createApp } from '../../src/server/app.js';
import type { SnapshotSource } from '../../src/sources/source.js';
import { Exposition } from '../fixtures/exposition.js';
import { ScriptedSource, silentLogger, type ScriptedCollection } from '../fixtures/fake-sources.js';

const METRICS_OPTIONS = { zombieInfoLimit: 100, includeUserNames: false };

/** The exporter's app in background mode over `source`, on a free loopback port. */
async function backgroundApp(source: SnapshotSource, options: Partial<BackgroundCollectionOptions> = {}) {
  const metrics = createExporterMetrics(source.description, () => null);
  const service = new CollectionService(source, new HostAnalyzer({ ...DEFAULT_ANALYSIS_OPTIONS, gracePeriodMs: 0 }), { minIntervalMs: 0, onCollected: recordCollectionsIn(metrics) }, silentLogger);
  const background = new BackgroundCollection(service, metrics, { intervalMs: 50, timeoutMs: 30_000, metrics: METRICS_OPTIONS, ...options }, silentLogger);
  const app = createApp(
    service,
    metrics,
    { telemetryPath: '/metrics', metrics: METRICS_OPTIONS, collectionTimeoutMs: 10_000, timeoutMarginMs: 500, sourceDescription: source.description, simulated: false, exposition: background },
    silentLogger,
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  background.start();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    background,
    async scrape(headers: Record<string, string> = {}): Promise<{ m: Exposition; ms: number; status: number }> {
      const started = performance.now();
      const res = await fetch(`${url}/metrics`, { headers });
      const text = await res.text();
      return { m: new Exposition(text), ms: performance.now() - started, status: res.status };
    },
    async close(): Promise<void> {
      await background.stop();
      metrics.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The first collection quick and good, every later one as `later` says. */
const firstGoodThen = (later: ScriptedCollection) => (n: number) => (n === 0 ? { delayMs: 0 } : later);

function expectEveryCollector(m: Exposition, metric: string, value: number): void {
  for (const collector of COLLECTOR_NAMES) expect(m.value(metric, { collector }), `${metric}{collector="${collector}"}`).toBe(value);
}

describe('background collection', () => {
  it('keeps the last good exposition when a collection fails, with collector success 0', async () => {
    // Failing after a second: time for the scrape of the good one.
    const source = new ScriptedSource(firstGoodThen({ delayMs: 1_000, fail: true }));
    const app = await backgroundApp(source);
    try {
      await until(() => app.background.collectionsRendered >= 1, 'the first collection');
      const good = (await app.scrape()).m;
      await until(() => app.background.collectionsRendered >= 2, 'a failed collection');
      const failed = (await app.scrape()).m;

      expectEveryCollector(good, 'rdsleak_collector_success', 1);
      expectEveryCollector(failed, 'rdsleak_collector_success', 0);
      expectEveryCollector(failed, 'rdsleak_collector_timeout', 0);
      expect(failed.series('rdsleak_token_handles')).toEqual(good.series('rdsleak_token_handles'));
      expect(failed.series('rdsleak_token_handles').length).toBeGreaterThan(0);
      expect(failed.value('rdsleak_zombie_session_ids')).toBe(1);
      expect(failed.value('rdsleak_session_id_highest')).toBe(good.value('rdsleak_session_id_highest'));
      // Staleness shows: the timestamp stays at the good collection, the age grows, the counter counts attempts.
      expect(good.value('rdsleak_last_collection_timestamp_seconds')).toBeGreaterThan(0);
      expect(failed.value('rdsleak_last_collection_timestamp_seconds')).toBe(good.value('rdsleak_last_collection_timestamp_seconds'));
      expect(failed.value('rdsleak_last_collection_age_seconds')).toBeGreaterThan(good.value('rdsleak_last_collection_age_seconds')!);
      expect(failed.value('rdsleak_collections_total')).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('marks every collector timed out when a collection runs past its deadline, and keeps the last good series', async () => {
    const source = new ScriptedSource(firstGoodThen({ delayMs: 60_000 }));
    const app = await backgroundApp(source, { timeoutMs: 100, stopWaitMs: 100 });
    try {
      await until(() => app.background.collectionsRendered >= 2, 'a collection past its deadline');
      const { m } = await app.scrape();
      expectEveryCollector(m, 'rdsleak_collector_success', 0);
      expectEveryCollector(m, 'rdsleak_collector_timeout', 1);
      expect(m.value('rdsleak_zombie_session_ids')).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('answers scrapes at once while a 10 s collection runs', async () => {
    const source = new ScriptedSource(firstGoodThen({ delayMs: 10_000 }));
    const app = await backgroundApp(source, { stopWaitMs: 100 });
    try {
      await until(() => app.background.collectionsRendered >= 1 && source.inFlight === 1, 'the slow second collection to start');
      for (let i = 0; i < 5; i++) {
        const { m, ms, status } = await app.scrape();
        expect(status).toBe(200);
        // Generous: a loaded CI machine, against the 10 s the collection takes.
        expect(ms).toBeLessThan(3_000);
        expect(m.value('rdsleak_collector_success', { collector: 'handles' })).toBe(1);
        expect(m.value('rdsleak_zombie_session_ids')).toBe(1);
      }
      expect(source.inFlight).toBe(1);
      expect(source.collections).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('makes the first scrape wait for the first collection, but never past its deadline', async () => {
    const quick = await backgroundApp(new ScriptedSource(() => ({ delayMs: 300 })));
    try {
      const { m, status } = await quick.scrape();
      expect(status).toBe(200);
      expect(m.value('rdsleak_collector_success', { collector: 'handles' })).toBe(1);
      expect(m.series('rdsleak_token_handles').length).toBeGreaterThan(0);
    } finally {
      await quick.close();
    }

    const stuck = await backgroundApp(new ScriptedSource(() => ({ delayMs: 60_000 })), { stopWaitMs: 100 });
    try {
      // Deadline: 1 s minus the 500 ms margin.
      const { m, ms, status } = await stuck.scrape({ 'X-Prometheus-Scrape-Timeout-Seconds': '1' });
      expect(status).toBe(200);
      expect(ms).toBeGreaterThanOrEqual(400);
      expect(ms).toBeLessThan(5_000);
      expectEveryCollector(m, 'rdsleak_collector_success', 0);
      expect(m.has('rdsleak_token_handles')).toBe(false);
      expect(m.value('rdsleak_build_info')).toBe(1);
      expect(m.has('process_cpu_seconds_total')).toBe(true);
      expect(m.value('rdsleak_last_collection_age_seconds')).toBeGreaterThan(0);
    } finally {
      await stuck.close();
    }
  });
});

/** Adds `delayMs` to every collection of `source` and counts those in flight. */
function delayed(source: SnapshotSource, delayMs: number): SnapshotSource & { inFlight: number } {
  const wrapper = {
    ...source,
    kind: source.kind,
    description: source.description,
    clock: source.clock,
    notice: source.notice,
    inFlight: 0,
    async collect(context: Parameters<SnapshotSource['collect']>[0]) {
      wrapper.inFlight += 1;
      try {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return await source.collect(context);
      } finally {
        wrapper.inFlight -= 1;
      }
    },
    close: () => source.close(),
  };
  return wrapper;
}

describe('serve', () => {
  const flags = (...extra: string[]) => parseCommandLine(['--web.listen-address=127.0.0.1:0', '--source=simulate', '--simulate.speed=1', ...extra]).flags;
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  async function serveDelayed(delayMs: number) {
    let source: (SnapshotSource & { inFlight: number }) | null = null;
    const server = await startServer(flags('--collection.interval=1s'), silentLogger, {
      notices: { write: () => true } as unknown as NodeJS.WritableStream,
      wrapSource: (s) => (source = delayed(s, delayMs)),
    });
    expect(server.background).not.toBeNull();
    return { server, background: server.background!, source: source! };
  }

  async function expectNoCollectionAfterClose(background: BackgroundCollection, timersBefore: number): Promise<void> {
    expect(background.active).toBe(false);
    const rendered = background.collectionsRendered;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(background.collectionsRendered).toBe(rendered);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  }

  it('collects in the background by default; close awaits the collection in flight', async () => {
    const timersBefore = timers();
    const { server, background, source } = await serveDelayed(300);
    await until(() => background.collectionsRendered >= 1 && source.inFlight === 1, 'the second collection to start', 5_000);
    await server.close();
    expect(source.inFlight).toBe(0);
    await expectNoCollectionAfterClose(background, timersBefore);
  });

  it('close between two collections cancels the next one and leaves no timer', async () => {
    const timersBefore = timers();
    const { server, background, source } = await serveDelayed(0);
    await until(() => background.collectionsRendered >= 1 && source.inFlight === 0, 'the first collection', 5_000);
    await server.close();
    await expectNoCollectionAfterClose(background, timersBefore);
  });

  it('collects at scrape time with --collection.mode=scrape', async () => {
    const server = await startServer(flags('--collection.mode=scrape'), silentLogger, { notices: { write: () => true } as unknown as NodeJS.WritableStream });
    try {
      expect(server.background).toBeNull();
      const first = new Exposition(await (await fetch(`${server.url}/metrics`)).text());
      const second = new Exposition(await (await fetch(`${server.url}/metrics`)).text());
      expect(second.value('rdsleak_collections_total')).toBe(first.value('rdsleak_collections_total')! + 1);
    } finally {
      await server.close();
    }
  });
});
