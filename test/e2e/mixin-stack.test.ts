/**
 * End to end at farm scale: a simulated farm of 200 hosts in one agent process (`--simulate.hosts 200`,
 * two farms of two sites, 10 % of the hosts leaky, accelerated time) plus one stand-alone leaky agent,
 * scraped by a real Prometheus (HTTP service discovery and the relabelling of docs/scaling.md) that
 * loads the rules generated from the mixin with short windows, and a real Alertmanager using the example
 * configuration's routes, grouping and inhibit rules, whose receivers post to a webhook this test runs.
 * All on loopback.
 *
 * - RdsSessionIdsNotReused reaches Alertmanager for every leaky host, within a bounded time, and no
 *   alert ever reaches it for a healthy host; it is notified once per farm (grouped by alertname and
 *   farm), not once per host; the critical tier inhibits the warning tier;
 * - every farm-overview query returns data for every farm and site choice; no per-host time series
 *   returns more series than its topk limit; the worst-hosts table lists the leaky hosts first;
 * - every host-detail query returns data for a leaky host, and only for the selected host;
 * - an exporter that goes down inhibits the other alerts of its host.
 *
 * Needs `npm run build` (dist/src/bin/cli.js) and the Debian packages prometheus and prometheus-alertmanager.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_FILE, RULES_FILE, dashboards, panelsOf, promTargets, renderMixin, sessionIdsClimbingExpr, sessionIdsPinnedExpr } from '../../mixin/index.js';
import type { Dashboard } from '../../mixin/index.js';
import { farmLayout } from '../../src/sources/simulate/farm.js';
import { FARM_HOST_PREFIX, FARM_TARGETS_PATH } from '../../src/server/farm-server.js';
import { farmSelector } from '../../mixin/dashboards/farm.js';
import { REPO_ROOT, requireBinary } from '../mixin/helpers.js';
import { e2eConfig } from './e2e-config.js';
import { type AmAlert, type Managed, Processes, alertmanagerAlerts, freePort, httpGet, promQuery, sleep, waitReady } from './stack.js';

const FARM = { hosts: 200, farms: 2, sites: 2, leakyShare: 0.1, seed: 5 };
/** The farm's hosts as the agent lays them out (same function, same options). */
const HOSTS = farmLayout({ ...FARM, namePrefix: FARM_HOST_PREFIX });
/** A stand-alone leaky agent in farm-1/site-1, stopped at the end to test exporter-down inhibition. */
const SOLO = { name: 'rds-solo-01', farm: 'farm-1', site: 'site-1', leaky: true, seed: 13 };
const ALL_HOSTS = [...HOSTS, SOLO];
const LEAKY = ALL_HOSTS.filter((h) => h.leaky).map((h) => h.name);
const FARM_OF = new Map(ALL_HOSTS.map((h) => [h.name, h.farm]));
const JOB = 'rds-leak-exporter';
const SESSION_ALERT = 'RdsSessionIdsNotReused';
/** Prometheus scrape and evaluation interval, seconds. */
const INTERVAL = 2;
/** Simulated seconds per real second. */
const SPEED = 120;
/** Watch Alertmanager at least this long, so the healthy hosts have had a full session-ID window. */
const MIN_OBSERVATION_MS = 75_000;
/** The session-ID alert must have reached Alertmanager for every leaky host by then. */
const ALERT_DEADLINE_MS = 120_000;

const CLI = join(REPO_ROOT, 'dist/src/bin/cli.js');
const procs = new Processes();
let soloAgent: Managed;
let dir = '';
let promUrl = '';
let amUrl = '';
let prometheus: Managed;
let promReadyAt = 0;
let failed = false;
const startedAt = Date.now();

/** What Alertmanager's webhook receivers posted: one entry per notification. */
interface Notification {
  readonly receiver: string;
  readonly status: string;
  readonly groupKey: string;
  readonly groupLabels: Record<string, string>;
  readonly alerts: { readonly status: string; readonly labels: Record<string, string> }[];
}
const notifications: Notification[] = [];
let webhook: Server | null = null;

function logTail(p: Managed, lines = 30): string {
  try {
    return readFileSync(p.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** The scrape configuration of docs/scaling.md for a simulated farm, plus the stand-alone agent. */
function prometheusConfig(farmPort: number, soloPort: number, amPort: number): string {
  return stringify({
    global: { scrape_interval: `${INTERVAL}s`, scrape_timeout: `${INTERVAL}s`, evaluation_interval: `${INTERVAL}s` },
    rule_files: [join(dir, RULES_FILE), join(dir, ALERTS_FILE)],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
    scrape_configs: [
      {
        job_name: JOB,
        http_sd_configs: [{ url: `http://127.0.0.1:${farmPort}${FARM_TARGETS_PATH}`, refresh_interval: '30s' }],
        // Service discovery gives host names (labelled farm and site) as targets, static_configs a real
        // agent's address. Only a target without a port is a simulated host: it becomes the host
        // parameter and the instance, and the farm agent's address is scraped.
        static_configs: [{ targets: [`127.0.0.1:${soloPort}`], labels: { instance: SOLO.name, farm: SOLO.farm, site: SOLO.site } }],
        relabel_configs: [
          { source_labels: ['__address__'], regex: '([^:]+)', target_label: '__param_host' },
          { source_labels: ['__param_host'], regex: '(.+)', target_label: 'instance' },
          { source_labels: ['__param_host'], regex: '.+', target_label: '__address__', replacement: `127.0.0.1:${farmPort}` },
        ],
      },
    ],
  });
}

/**
 * The example Alertmanager configuration with its routes, grouping and inhibit rules; receivers post to
 * this test's webhook; business hours are all hours (the test may run at night); short waits.
 */
function alertmanagerConfig(webhookPort: number): string {
  const config = parse(readFileSync(join(REPO_ROOT, 'alerts/alertmanager.example.yml'), 'utf8')) as {
    global?: unknown;
    route: Record<string, unknown>;
    receivers: { name: string }[];
    time_intervals: { name: string; time_intervals: unknown[] }[];
  };
  delete config.global;
  config.route = { ...config.route, group_wait: '2s', group_interval: '5s', repeat_interval: '1h' };
  config.receivers = config.receivers.map((r) => ({
    name: r.name,
    webhook_configs: [{ url: `http://127.0.0.1:${webhookPort}/${r.name}`, send_resolved: true }],
  }));
  config.time_intervals = config.time_intervals.map((t) => ({ name: t.name, time_intervals: [{ times: [{ start_time: '00:00', end_time: '24:00' }] }] }));
  return stringify(config);
}

function startWebhook(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      try {
        notifications.push(JSON.parse(body) as Notification);
      } catch {
        // not a notification
      }
      res.writeHead(200).end();
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** Grafana's variable substitution for a farm-overview query with the given choices. */
function substitute(expr: string, vars: { farm?: string; site?: string; instance?: string } = {}): string {
  return expr
    .replace(/\$\{?__rate_interval\}?/g, `${4 * INTERVAL}s`)
    .replace(/\$\{?__interval\}?/g, `${INTERVAL}s`)
    .replace(/\$\{?__range\}?/g, '1m')
    .replace(/\$\{?job\}?/g, '.+')
    .replace(/\$\{?farm\}?/g, vars.farm ?? '.*')
    .replace(/\$\{?site\}?/g, vars.site ?? '.*')
    .replace(/\$\{?instance\}?/g, vars.instance ?? '.+');
}

/**
 * A missing binary or a process that does not start must fail the tests, not skip them: beforeAll keeps
 * the error and every test rethrows it.
 */
let setupError: unknown = null;
function ensureSetup(): void {
  if (setupError) throw setupError instanceof Error ? setupError : new Error('setup failed', { cause: setupError });
}

beforeAll(async () => {
  try {
    await setUp();
  } catch (error) {
    setupError = error;
  }
}, 120_000);

async function setUp(): Promise<void> {
  const prometheusBin = requireBinary('prometheus');
  const alertmanagerBin = requireBinary('prometheus-alertmanager');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);

  dir = mkdtempSync(join(tmpdir(), 'rdsleak-e2e-'));
  for (const [path, content] of Object.entries(renderMixin(e2eConfig))) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }

  // 120x: one real minute (the e2e windows) is two simulated hours; the hosts start four simulated hours
  // after boot, so the leaky ones already hold zombies. Faster simulation costs the farm more CPU per
  // scrape than a loaded 2-core CI machine gives it.
  const common = ['--simulate.speed', String(SPEED), '--simulate.advance', '4h', '--zombie.grace-period', '5m', '--log.level', 'warn', '--collection.interval', '1s'];
  const farmPort = await freePort();
  const farm = procs.start(
    'farm',
    process.execPath,
    [
      CLI,
      'serve',
      '--simulate.hosts',
      String(FARM.hosts),
      '--simulate.farms',
      String(FARM.farms),
      '--simulate.sites',
      String(FARM.sites),
      '--simulate.leaky-hosts',
      String(FARM.leakyShare),
      '--simulate.seed',
      String(FARM.seed),
      '--web.listen-address',
      `127.0.0.1:${farmPort}`,
      ...common,
    ],
    join(dir, 'farm.log'),
  );
  const soloPort = await freePort();
  soloAgent = procs.start(
    SOLO.name,
    process.execPath,
    [CLI, 'serve', '--simulate.profile', 'leaky', '--simulate.host-name', SOLO.name, '--simulate.seed', String(SOLO.seed), '--web.listen-address', `127.0.0.1:${soloPort}`, ...common],
    join(dir, `${SOLO.name}.log`),
  );

  const webhookPort = await freePort();
  webhook = await startWebhook(webhookPort);
  const amPort = await freePort();
  amUrl = `http://127.0.0.1:${amPort}`;
  writeFileSync(join(dir, 'alertmanager.yml'), alertmanagerConfig(webhookPort));
  mkdirSync(join(dir, 'am-data'));
  const alertmanager = procs.start(
    'alertmanager',
    alertmanagerBin,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    join(dir, 'alertmanager.log'),
  );

  await waitReady(farm, `http://127.0.0.1:${farmPort}${FARM_TARGETS_PATH}`, 30_000);
  // Warm up: each host's first scrape steps it through its first four simulated hours; do that before
  // Prometheus scrapes with its short timeout.
  const warmUp = pLimit(4);
  await Promise.all(HOSTS.map((h) => warmUp(() => httpGet(`http://127.0.0.1:${farmPort}/metrics?host=${h.name}`, 30_000))));
  await waitReady(soloAgent, `http://127.0.0.1:${soloPort}/metrics`, 30_000);
  await waitReady(alertmanager, `${amUrl}/-/ready`, 30_000);

  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  writeFileSync(join(dir, 'prometheus.yml'), prometheusConfig(farmPort, soloPort, amPort));
  mkdirSync(join(dir, 'prom-data'));
  prometheus = procs.start(
    'prometheus',
    prometheusBin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--rules.alert.resend-delay=2s',
      '--log.level=warn',
    ],
    join(dir, 'prometheus.log'),
  );
  await waitReady(prometheus, `${promUrl}/-/ready`, 30_000);
  promReadyAt = Date.now();
}

afterEach((context) => {
  if (context.task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  await procs.stopAll();
  await new Promise<void>((resolve) => (webhook ? webhook.close(() => resolve()) : resolve()));
  const leftovers = procs.alive();
  if (dir && !failed && leftovers.length === 0) rmSync(dir, { recursive: true, force: true });
  else if (dir) console.error(`e2e: logs kept in ${dir}`);
  console.info(`e2e: finished in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  expect(leftovers.map((p) => p.name), 'processes still running after stopAll').toEqual([]);
}, 30_000);

const boards: [string, Dashboard][] = Object.entries(dashboards(e2eConfig)).map(([file, d]) => [d.title ?? file, d]);
const hostBoard = boards.find(([, b]) => b.uid?.endsWith('host-detail'))![1];
const farmBoard = boards.find(([, b]) => b.uid?.endsWith('farm-overview'))![1];

describe('mixin against a real Prometheus and Alertmanager, on a 200-host simulated farm', () => {
  it('the farm lays out two farms of two sites with leaky hosts in each', () => {
    expect(new Set(HOSTS.map((h) => h.name)).size).toBe(FARM.hosts);
    for (const farm of ['farm-1', 'farm-2'])
      for (const site of ['site-1', 'site-2']) {
        const here = HOSTS.filter((h) => h.farm === farm && h.site === site);
        expect(here.length, `${farm}/${site}`).toBe(50);
        expect(here.filter((h) => h.leaky).length, `${farm}/${site} leaky`).toBe(5);
      }
  });

  it('Prometheus discovers and scrapes all 201 targets, with farm and site labels, and evaluates every rule without error', async () => {
    ensureSetup();
    // The farm's first scrape of each host steps it from boot to now: under load some of the first
    // scrapes time out, the next ones do not.
    const deadline = Date.now() + 60_000;
    let problem = '';
    while (Date.now() < deadline) {
      const up = await promQuery(promUrl, `up{job="${JOB}"} == 1`);
      const rules = JSON.parse((await httpGet(`${promUrl}/api/v1/rules`)).body) as {
        data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const groups = rules.data.groups;
      const bad = groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
      problem = `up: ${up.length}; groups: ${groups.map((g) => g.name).join(',')}; unhealthy: ${JSON.stringify(bad)}`;
      if (up.length === ALL_HOSTS.length && groups.length === 3 && bad.length === 0) {
        const labelled = up.map((s) => `${s.metric.instance} ${s.metric.farm} ${s.metric.site}`).sort();
        expect(labelled).toEqual(ALL_HOSTS.map((h) => `${h.name} ${h.farm} ${h.site}`).sort());
        return;
      }
      await sleep(1000);
    }
    throw new Error(`Prometheus not healthy within 60 s: ${problem}\n${logTail(prometheus)}`);
  }, 70_000);

  it(`${SESSION_ALERT} reaches Alertmanager for the leaky hosts, never for the healthy ones`, async () => {
    ensureSetup();
    const firstSeen = new Map<string, number>();
    const healthyAlerts = new Set<string>();
    for (;;) {
      const now = Date.now();
      for (const a of await alertmanagerAlerts(amUrl)) {
        const instance = a.labels.instance ?? '';
        if (instance !== '' && !LEAKY.includes(instance)) healthyAlerts.add(`${a.labels.alertname} ${a.labels.severity} ${instance}`);
        if (a.labels.alertname === SESSION_ALERT && LEAKY.includes(instance) && !firstSeen.has(instance)) firstSeen.set(instance, now - promReadyAt);
      }
      expect([...healthyAlerts], 'alerts for healthy hosts').toEqual([]);
      const allSeen = LEAKY.every((h) => firstSeen.has(h));
      if (allSeen && now - promReadyAt >= MIN_OBSERVATION_MS) break;
      if (!allSeen && now - promReadyAt > ALERT_DEADLINE_MS) {
        throw new Error(`${SESSION_ALERT} did not reach Alertmanager for ${LEAKY.filter((h) => !firstSeen.has(h)).join(', ')} within ${ALERT_DEADLINE_MS / 1000} s`);
      }
      await sleep(2000);
    }
    const times = [...firstSeen.values()].sort((a, b) => a - b);
    console.info(`e2e: ${SESSION_ALERT} reached Alertmanager for ${firstSeen.size} leaky hosts after ${(times[0]! / 1000).toFixed(0)}-${(times[times.length - 1]! / 1000).toFixed(0)} s`);

    // Prometheus agrees over the whole run: firing for every leaky host, never for a healthy one.
    const lookback = `${Math.ceil((Date.now() - promReadyAt) / 1000) + 5}s`;
    const firing = await promQuery(promUrl, `max by (instance) (max_over_time(ALERTS{alertname="${SESSION_ALERT}",alertstate="firing"}[${lookback}]))`);
    expect(firing.map((s) => s.metric.instance).sort()).toEqual([...LEAKY].sort());
    // Per host (instance set; RdsExporterAbsent may be pending before discovery). Pending exporter-down
    // alerts are tolerated: on a loaded machine a few of the first scrapes time out.
    const healthy = `instance!~"${LEAKY.join('|')}",instance!=""`;
    const healthyEver = await promQuery(
      promUrl,
      `max by (instance, alertname, alertstate) (max_over_time(ALERTS{${healthy},alertstate="firing"}[${lookback}]) or max_over_time(ALERTS{${healthy},alertname!="RdsExporterDown"}[${lookback}]))`,
    );
    expect(healthyEver.map((s) => `${s.metric.alertname} ${s.metric.alertstate} ${s.metric.instance}`), 'alerts for healthy hosts').toEqual([]);

    // Each branch of the alert on its own singles out leaky hosts only, despite the healthy hosts' churn.
    const { warning } = e2eConfig.thresholds.sessionIdsNotReused;
    for (const [branch, expr] of [
      ['climbing', sessionIdsClimbingExpr(e2eConfig, warning.gap)],
      ['pinned', sessionIdsPinnedExpr(e2eConfig, warning.pinned)],
    ] as const) {
      const ever = await promQuery(promUrl, `max by (instance) (max_over_time((${expr})[${lookback}:${INTERVAL}s]))`);
      const flagged = ever.map((s) => s.metric.instance ?? '');
      expect(flagged.filter((h) => !LEAKY.includes(h)), `healthy hosts flagged by the ${branch} branch`).toEqual([]);
      expect(flagged.length, `leaky hosts flagged by the ${branch} branch`).toBeGreaterThan(0);
    }
  }, ALERT_DEADLINE_MS + 60_000);

  it(`${SESSION_ALERT} is notified once per farm and receiver, listing that farm's leaky hosts (group_by alertname, farm)`, async () => {
    ensureSetup();
    const deadline = Date.now() + 30_000;
    let state = '';
    while (Date.now() < deadline) {
      const sessionNotifications = notifications.filter((n) => n.groupLabels.alertname === SESSION_ALERT);
      for (const n of sessionNotifications) expect(Object.keys(n.groupLabels).sort(), n.groupKey).toEqual(['alertname', 'farm']);
      // Per receiver (critical: tickets, warning: chat), one group per farm, holding every leaky host of that farm.
      const byReceiver = new Map<string, Map<string, Set<string>>>();
      for (const n of sessionNotifications) {
        const groups = byReceiver.get(n.receiver) ?? new Map<string, Set<string>>();
        byReceiver.set(n.receiver, groups);
        const hosts = groups.get(n.groupLabels.farm!) ?? new Set<string>();
        groups.set(n.groupLabels.farm!, hosts);
        for (const a of n.alerts) if (a.status === 'firing') hosts.add(a.labels.instance ?? '');
      }
      const tickets = byReceiver.get('rds-tickets');
      state = JSON.stringify([...byReceiver].map(([r, g]) => [r, [...g].map(([f, h]) => [f, h.size])]));
      const keys = new Set(sessionNotifications.filter((n) => n.receiver === 'rds-tickets').map((n) => n.groupKey));
      if (tickets && keys.size === 2 && [...tickets].every(([farm, hosts]) => hosts.size === LEAKY.filter((h) => FARM_OF.get(h) === farm).length)) {
        expect([...tickets.keys()].sort()).toEqual(['farm-1', 'farm-2']);
        for (const [farm, hosts] of tickets) expect([...hosts].sort(), farm).toEqual(LEAKY.filter((h) => FARM_OF.get(h) === farm).sort());
        // Far fewer notifications than hosts: notifications per group, not per host.
        expect(sessionNotifications.filter((n) => n.receiver === 'rds-tickets').length).toBeLessThan(LEAKY.length);
        // Alertmanager's own view: one group per farm for the alert on the ticket route.
        const groups = JSON.parse((await httpGet(`${amUrl}/api/v2/alerts/groups`)).body) as { labels: Record<string, string>; receiver: { name: string }; alerts: AmAlert[] }[];
        const sessionGroups = groups.filter((g) => g.labels.alertname === SESSION_ALERT && g.receiver.name === 'rds-tickets');
        expect(sessionGroups.map((g) => g.labels.farm).sort()).toEqual(['farm-1', 'farm-2']);
        return;
      }
      await sleep(1000);
    }
    throw new Error(`not one notification group per farm: ${state}`);
  }, 40_000);

  it('the critical tier inhibits the warning tier of the same alert in Alertmanager', async () => {
    ensureSetup();
    const deadline = Date.now() + 30_000;
    let state = '';
    while (Date.now() < deadline) {
      const alerts = (await alertmanagerAlerts(amUrl)).filter((a) => a.labels.alertname === SESSION_ALERT);
      const criticalHosts = alerts.filter((a) => a.labels.severity === 'critical' && a.status.state === 'active').map((a) => a.labels.instance);
      const warnings = alerts.filter((a) => a.labels.severity === 'warning' && criticalHosts.includes(a.labels.instance));
      state = JSON.stringify(alerts.map((a) => [a.labels.instance, a.labels.severity, a.status.state, a.status.inhibitedBy.length]));
      if (criticalHosts.length > 0 && warnings.length > 0 && warnings.every((w) => w.status.state === 'suppressed' && w.status.inhibitedBy.length > 0)) return;
      await sleep(1000);
    }
    throw new Error(`warning tier not inhibited by the critical tier: ${state}`);
  }, 40_000);

  it('the farm overview has job, farm, site and instance variables; farm and site list both farms and sites', async () => {
    ensureSetup();
    expect(farmBoard.templating.list!.map((v) => v.name)).toEqual(['datasource', 'job', 'farm', 'site', 'instance']);
    // Grafana's label_values() looks over the dashboard's time range, not at one instant (a host whose last
    // scrape timed out under load is still listed): last_over_time over a range does the same here.
    const farms = await promQuery(promUrl, substitute('group by (farm) (last_over_time(rdsleak_build_info{job=~"$job"}[5m]))'));
    expect(farms.map((s) => s.metric.farm).sort()).toEqual(['farm-1', 'farm-2']);
    const sites = await promQuery(promUrl, substitute('group by (site) (last_over_time(rdsleak_build_info{job=~"$job",farm=~"$farm"}[5m]))', { farm: 'farm-2' }));
    expect(sites.map((s) => s.metric.site).sort()).toEqual(['site-1', 'site-2']);
    const instances = await promQuery(promUrl, substitute('group by (instance) (last_over_time(rdsleak_build_info{job=~"$job",farm=~"$farm",site=~"$site"}[5m]))', { farm: 'farm-2', site: 'site-1' }));
    expect(instances.map((s) => s.metric.instance).sort()).toEqual(HOSTS.filter((h) => h.farm === 'farm-2' && h.site === 'site-1').map((h) => h.name).sort());
  });

  const choices: { farm?: string; site?: string }[] = [{}, { farm: 'farm-1' }, { farm: 'farm-2' }, { site: 'site-1' }, { site: 'site-2' }, { farm: 'farm-1', site: 'site-2' }, { farm: 'farm-2', site: 'site-1' }];
  it.each(choices.map((c) => [`farm ${c.farm ?? 'All'}, site ${c.site ?? 'All'}`, c] as const))(
    'every farm-overview query returns data, only from the chosen farm and site, within its topk limit (%s)',
    async (_name, choice) => {
      ensureSetup();
      const k = e2eConfig.dashboard.topk;
      const problems: string[] = [];
      for (const p of panelsOf(farmBoard)) {
        for (const t of promTargets(p)) {
          const expr = substitute(t.expr, choice);
          const result = t.instant ? await promQuery(promUrl, expr) : await promQuery(promUrl, expr, 30);
          const where = `panel "${p.title}" ${t.refId}`;
          if (result.length === 0) problems.push(`no data: ${where}: ${expr}`);
          if (p.type === 'timeseries' && result.length > k) problems.push(`${result.length} series > topk ${k}: ${where}`);
          for (const s of result) {
            const host = s.metric.instance === undefined ? undefined : ALL_HOSTS.find((h) => h.name === s.metric.instance);
            if (host && ((choice.farm && host.farm !== choice.farm) || (choice.site && host.site !== choice.site))) problems.push(`${where}: host ${host.name} outside the choice`);
          }
        }
      }
      expect(problems).toEqual([]);
    },
    60_000,
  );

  it('the worst-hosts table lists the leaky hosts first', async () => {
    ensureSetup();
    const table = panelsOf(farmBoard).find((p) => p.title === 'Worst hosts')!;
    // Grafana's merge: one row per instance, a column per query; then the panel's sort (Pinned IDs, descending).
    const rows = new Map<string, Record<string, number>>();
    for (const t of promTargets(table)) {
      for (const s of await promQuery(promUrl, substitute(t.expr))) {
        const row = rows.get(s.metric.instance!) ?? {};
        row[t.refId!] = Number(s.value![1]);
        rows.set(s.metric.instance!, row);
      }
    }
    const sortColumn = 'A'; // Value #A: Pinned IDs
    expect((table.options as { sortBy: { displayName: string; desc: boolean }[] }).sortBy).toEqual([{ displayName: 'Pinned IDs', desc: true }]);
    const order = [...rows].sort(([, a], [, b]) => (b[sortColumn] ?? 0) - (a[sortColumn] ?? 0)).map(([host]) => host);
    expect(order.length).toBe(e2eConfig.dashboard.worstHosts);
    const leakyInTable = order.filter((h) => LEAKY.includes(h));
    expect(leakyInTable.sort(), 'every leaky host is in the table').toEqual([...LEAKY].sort());
    expect(order.slice(0, LEAKY.length).every((h) => LEAKY.includes(h)), `leaky hosts first: ${order.join(', ')}`).toBe(true);
  }, 30_000);

  it('the "Hosts not reusing session IDs" stat counts the hosts meeting the alert condition: leaky hosts only', async () => {
    ensureSetup();
    const stat = panelsOf(farmBoard).find((p) => p.title === 'Hosts not reusing session IDs')!;
    const { warning } = e2eConfig.thresholds.sessionIdsNotReused;
    const sel = farmSelector(e2eConfig);
    const condition = `${sessionIdsClimbingExpr(e2eConfig, warning.gap, sel)} or ${sessionIdsPinnedExpr(e2eConfig, warning.pinned, sel)}`;
    expect(promTargets(stat)[0]!.expr).toBe(`count(${condition}) or vector(0)`);
    const hosts = (await promQuery(promUrl, substitute(condition))).map((s) => s.metric.instance ?? '');
    expect(hosts.filter((h) => !LEAKY.includes(h)), 'healthy hosts counted').toEqual([]);
    expect(hosts.length).toBeGreaterThan(0);
    const [count] = await promQuery(promUrl, substitute(promTargets(stat)[0]!.expr));
    expect(Number(count!.value![1])).toBeGreaterThanOrEqual(hosts.length - 2); // evaluated a moment later
  });

  /**
   * Runs every host-detail query for one host. Every series must carry that host's instance label: a
   * series without one (an aggregation that dropped it) or of another host is a problem. With
   * `requireData`, every query must also return data.
   */
  async function checkHostBoard(host: string, requireData: boolean): Promise<string[]> {
    const problems: string[] = [];
    for (const p of panelsOf(hostBoard)) {
      for (const t of promTargets(p)) {
        const expr = substitute(t.expr, { instance: host });
        const result = t.instant ? await promQuery(promUrl, expr) : await promQuery(promUrl, expr, 30);
        if (requireData && result.length === 0) problems.push(`no data: panel "${p.title}" ${t.refId}: ${expr}`);
        if (result.some((s) => s.metric.instance === undefined)) problems.push(`series without an instance label in panel "${p.title}" ${t.refId}: ${expr}`);
        const others = result.filter((s) => s.metric.instance !== undefined && s.metric.instance !== host);
        if (others.length > 0) problems.push(`other hosts in panel "${p.title}": ${others.map((s) => s.metric.instance).join(',')}`);
      }
    }
    return problems;
  }

  it('every host-detail query returns data for a leaky host of each farm, and only for that host', async () => {
    ensureSetup();
    for (const farm of ['farm-1', 'farm-2']) {
      const host = HOSTS.find((h) => h.leaky && h.farm === farm)!.name;
      expect(await checkHostBoard(host, true), host).toEqual([]);
    }
    // A healthy host has no zombies, so some panels are empty there; none may show another host.
    expect(await checkHostBoard(HOSTS.find((h) => !h.leaky)!.name, false)).toEqual([]);
  }, 60_000);

  // Last, because it takes a host away: the example configuration's first inhibit rule.
  it('an exporter that goes down inhibits the other alerts of its instance in Alertmanager', async () => {
    ensureSetup();
    process.kill(-soloAgent.child.pid!, 'SIGTERM');
    await soloAgent.exited;
    const deadline = Date.now() + 40_000;
    let state = '';
    while (Date.now() < deadline) {
      const alerts = (await alertmanagerAlerts(amUrl)).filter((a) => a.labels.instance === SOLO.name);
      const down = alerts.find((a) => a.labels.alertname === 'RdsExporterDown');
      const others = alerts.filter((a) => a.labels.alertname !== 'RdsExporterDown');
      state = JSON.stringify(alerts.map((a) => [a.labels.alertname, a.labels.severity, a.status.state, a.status.inhibitedBy.length]));
      if (down?.status.state === 'active' && others.length > 0 && others.every((a) => a.status.state === 'suppressed' && a.status.inhibitedBy.length > 0)) {
        expect(others.map((a) => a.labels.alertname)).toContain(SESSION_ALERT);
        // One host of a 51-host site: no site-down alert.
        expect((await alertmanagerAlerts(amUrl)).filter((a) => a.labels.alertname === 'RdsExporterSiteDown')).toEqual([]);
        return;
      }
      await sleep(1000);
    }
    throw new Error(`RdsExporterDown for ${SOLO.name} did not inhibit its other alerts within 40 s: ${state}`);
  }, 50_000);
});
