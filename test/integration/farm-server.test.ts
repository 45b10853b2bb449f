/**
 * The simulated farm (`--simulate.hosts N`): layout of hosts into farms and sites, and the server that
 * serves each host's metrics by URL parameter plus Prometheus HTTP service discovery, on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve-command.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { farmConfigFrom } from '../../src/sources/simulate/flags.js';

/** The farm's settings as the serve command sees them. */
function parseOptions(argv: string[], _platform: NodeJS.Platform) {
  const c = farmConfigFrom(parseCommandLine(argv).flags, 'rds-');
  return { simulate: { hosts: c.hosts, farms: c.farms, sites: c.sites, leakyHosts: c.leakyShare } };
}
import { UsageError } from '../../src/errors.js';
import { farmLayout } from '../../src/sources/simulate/farm.js';
import { Exposition } from '../fixtures/exposition.js';
import { silentLogger } from '../fixtures/fake-sources.js';

describe('farmLayout', () => {
  const layout = (hosts: number, farms: number, sites: number, leakyShare: number) => farmLayout({ hosts, farms, sites, leakyShare, namePrefix: 'rds', seed: 7 });

  it('splits hosts into contiguous farms and sites, with distinct names and seeds', () => {
    const hosts = layout(200, 2, 2, 0.1);
    expect(new Set(hosts.map((h) => h.name)).size).toBe(200);
    expect(new Set(hosts.map((h) => h.seed)).size).toBe(200);
    expect(hosts[0]).toMatchObject({ name: 'rds-001', farm: 'farm-1', site: 'site-1', seed: 7 });
    expect(hosts[199]).toMatchObject({ name: 'rds-200', farm: 'farm-2', site: 'site-2' });
    const count = (f: string, s: string) => hosts.filter((h) => h.farm === f && h.site === s);
    for (const f of ['farm-1', 'farm-2']) for (const s of ['site-1', 'site-2']) expect(count(f, s).length).toBe(50);
  });

  it('spreads the leaky share evenly, so every farm and site of a reasonable size has leaky hosts', () => {
    const hosts = layout(200, 2, 2, 0.1);
    expect(hosts.filter((h) => h.leaky).length).toBe(20);
    for (const f of ['farm-1', 'farm-2']) for (const s of ['site-1', 'site-2']) expect(hosts.filter((h) => h.farm === f && h.site === s && h.leaky).length).toBe(5);
    expect(layout(7, 3, 1, 0).some((h) => h.leaky)).toBe(false);
    expect(layout(7, 3, 1, 1).every((h) => h.leaky)).toBe(true);
    expect(layout(1000, 1, 1, 0.33).filter((h) => h.leaky).length).toBe(330);
  });

  it('handles more farms and sites than hosts divide evenly, and wide numbering', () => {
    const hosts = layout(1001, 3, 4, 0.1);
    expect(hosts[0]!.name).toBe('rds-0001');
    expect(new Set(hosts.map((h) => h.farm))).toEqual(new Set(['farm-1', 'farm-2', 'farm-3']));
    expect(new Set(hosts.map((h) => `${h.farm}/${h.site}`)).size).toBe(12);
  });
});

describe('--simulate.hosts flags', () => {
  it('parse with defaults and ranges', () => {
    const o = parseOptions(['--simulate.hosts', '200', '--simulate.farms', '2', '--simulate.sites', '3', '--simulate.leaky-hosts', '0.25'], 'linux');
    expect(o.simulate).toMatchObject({ hosts: 200, farms: 2, sites: 3, leakyHosts: 0.25 });
    expect(parseOptions([], 'linux').simulate).toMatchObject({ hosts: 0, farms: 1, sites: 1, leakyHosts: 0.1 });
    expect(() => parseOptions(['--simulate.hosts', '-1'], 'linux')).toThrow(UsageError);
    expect(() => parseOptions(['--simulate.leaky-hosts', '1.5'], 'linux')).toThrow(/--simulate.leaky-hosts: expected a share between 0 and 1/);
    expect(() => parseOptions(['--simulate.farms', '0'], 'linux')).toThrow(/--simulate.farms/);
  });
});

describe('farm server over HTTP', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const options = parseCommandLine([
      '--web.listen-address=127.0.0.1:0',
      '--source=simulate',
      '--simulate.hosts=12',
      '--simulate.farms=2',
      '--simulate.sites=2',
      '--simulate.leaky-hosts=0.5',
      '--simulate.advance=3h',
      '--simulate.speed=600',
    ]).flags;
    const stderr = process.stderr.write;
    process.stderr.write = () => true; // the simulation banner
    try {
      server = await startServer(options, silentLogger);
    } finally {
      process.stderr.write = stderr;
    }
  });
  afterAll(() => server.close());

  it('serves Prometheus HTTP service discovery: one group per farm and site, host names as targets', async () => {
    const res = await fetch(`${server.url}/farm/targets`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const groups = (await res.json()) as { targets: string[]; labels: Record<string, string> }[];
    expect(groups.map((g) => `${g.labels.farm}/${g.labels.site}`)).toEqual(['farm-1/site-1', 'farm-1/site-2', 'farm-2/site-1', 'farm-2/site-2']);
    expect(groups.flatMap((g) => g.targets)).toEqual(Array.from({ length: 12 }, (_, i) => `rds-sim-${String(i + 1).padStart(3, '0')}`));
  });

  it('serves each host as its own agent: leaky and healthy hosts differ, each counts its own collections', async () => {
    const scrape = async (host: string) => {
      const res = await fetch(`${server.url}/metrics?host=${host}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      return new Exposition(await res.text());
    };
    // rds-sim-002 is leaky at a share of 0.5, rds-sim-001 is not. The first scrape starts the grace
    // period (5 simulated minutes: half a second at 600x).
    await scrape('rds-sim-002');
    await scrape('rds-sim-001');
    await new Promise((resolve) => setTimeout(resolve, 700));
    await scrape('rds-sim-002');
    const leaky = await scrape('rds-sim-002');
    const healthy = await scrape('rds-sim-001');
    expect(leaky.value('rdsleak_build_info', { source: 'simulate:leaky' })).toBe(1);
    expect(healthy.value('rdsleak_build_info', { source: 'simulate:healthy' })).toBe(1);
    expect(leaky.value('rdsleak_collections_total')).toBe(3);
    expect(healthy.value('rdsleak_collections_total')).toBe(2);
    expect(leaky.value('rdsleak_zombie_session_ids')).toBeGreaterThan(0);
    expect(healthy.value('rdsleak_zombie_session_ids')).toBe(0);
    // One process serves them all: its own process metrics are not repeated per host.
    expect(leaky.text).not.toContain('process_cpu_seconds_total');
  });

  it('says on its landing page that it is simulated', async () => {
    const text = await (await fetch(`${server.url}/`)).text();
    expect(text).toContain('SIMULATED farm of 12 hosts');
    expect(text).toContain('/farm/targets');
  });

  it('answers 404 with a hint for an unknown or missing host', async () => {
    for (const query of ['', '?host=nope', '?host=rds-sim-001&host=rds-sim-002']) {
      const res = await fetch(`${server.url}/metrics${query}`);
      expect(res.status, query).toBe(404);
      expect(await res.text()).toContain('/farm/targets');
    }
  });
});
