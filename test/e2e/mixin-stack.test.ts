/**
 * End to end: five simulated agents (three healthy, two leaky, accelerated time), a real Prometheus
 * loading the rules generated from the mixin with short windows, and a real Alertmanager using the
 * example configuration's routes and inhibit rules, all on loopback.
 *
 * - every dashboard query (Grafana variables substituted) returns data from Prometheus;
 * - RdsSessionIdsNotReused reaches Alertmanager for both leaky hosts, within a bounded time, and no
 *   alert ever reaches it for a healthy host;
 * - the critical tier inhibits the warning tier in Alertmanager.
 *
 * Needs `npm run build` (dist/src/bin/cli.js) and the Debian packages prometheus and prometheus-alertmanager.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_FILE, RULES_FILE, dashboards, renderMixin, sessionIdsClimbingExpr, sessionIdsPinnedExpr } from '../../mixin/index.js';
import type { Dashboard } from '../../mixin/index.js';
import { REPO_ROOT, requireBinary } from '../mixin/helpers.js';
import { e2eConfig } from './e2e-config.js';
import { type AmAlert, type Managed, Processes, alertmanagerAlerts, freePort, httpGet, promQuery, sleep, waitReady } from './stack.js';

interface Agent {
  readonly host: string;
  readonly profile: 'healthy' | 'leaky';
  readonly seed: number;
  port: number;
}

const AGENTS: Agent[] = [
  { host: 'rds-e2e-01', profile: 'healthy', seed: 7, port: 0 },
  { host: 'rds-e2e-02', profile: 'leaky', seed: 7, port: 0 },
  { host: 'rds-e2e-03', profile: 'healthy', seed: 11, port: 0 },
  { host: 'rds-e2e-04', profile: 'leaky', seed: 13, port: 0 },
  { host: 'rds-e2e-05', profile: 'healthy', seed: 17, port: 0 },
];
const LEAKY = AGENTS.filter((a) => a.profile === 'leaky').map((a) => a.host);
const HEALTHY = AGENTS.filter((a) => a.profile === 'healthy').map((a) => a.host);
const JOB = 'rds-leak-exporter';
const SESSION_ALERT = 'RdsSessionIdsNotReused';
/** Prometheus scrape and evaluation interval, seconds. */
const INTERVAL = 1;
/** Watch Alertmanager at least this long, so the healthy hosts have had a full session-ID window. */
const MIN_OBSERVATION_MS = 75_000;
/** The session-ID alert must have reached Alertmanager for every leaky host by then. */
const ALERT_DEADLINE_MS = 120_000;

const CLI = join(REPO_ROOT, 'dist/src/bin/cli.js');
const procs = new Processes();
const agentProcs = new Map<string, Managed>();
let dir = '';
let promUrl = '';
let amUrl = '';
let prometheus: Managed;
let promReadyAt = 0;
let failed = false;
const startedAt = Date.now();

function logTail(p: Managed, lines = 30): string {
  try {
    return readFileSync(p.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function prometheusConfig(amPort: number): string {
  return stringify({
    global: { scrape_interval: `${INTERVAL}s`, scrape_timeout: `${INTERVAL}s`, evaluation_interval: `${INTERVAL}s` },
    rule_files: [join(dir, RULES_FILE), join(dir, ALERTS_FILE)],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
    scrape_configs: [
      {
        job_name: JOB,
        // instance is the host name, as with file_sd in a real farm.
        static_configs: AGENTS.map((a) => ({ targets: [`127.0.0.1:${a.port}`], labels: { instance: a.host } })),
      },
    ],
  });
}

/** The example Alertmanager configuration with its routes and inhibit rules, receivers emptied, short waits. */
function alertmanagerConfig(): string {
  const config = parse(readFileSync(join(REPO_ROOT, 'alerts/alertmanager.example.yml'), 'utf8')) as {
    global?: unknown;
    route: Record<string, unknown>;
    receivers: { name: string }[];
  };
  delete config.global;
  config.route = { ...config.route, group_wait: '1s', group_interval: '1s' };
  config.receivers = config.receivers.map((r) => ({ name: r.name }));
  return stringify(config);
}

/**
 * Grafana's variable substitution: the "All" selection (allValue ".+") of the farm overview, or one
 * instance (the host dashboard's single-select variable, matched with `instance="$instance"`).
 */
function substitute(expr: string, instance = '.+'): string {
  return expr
    .replace(/\$\{?__rate_interval\}?/g, `${4 * INTERVAL}s`)
    .replace(/\$\{?__interval\}?/g, `${INTERVAL}s`)
    .replace(/\$\{?__range\}?/g, '1m')
    .replace(/\$\{?job\}?/g, '.+')
    .replace(/\$\{?instance\}?/g, instance);
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
}, 90_000);

async function setUp(): Promise<void> {
  const prometheusBin = requireBinary('prometheus');
  const alertmanagerBin = requireBinary('prometheus-alertmanager');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);

  dir = mkdtempSync(join(tmpdir(), 'rdsleak-e2e-'));
  for (const [path, content] of Object.entries(renderMixin(e2eConfig))) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }

  for (const a of AGENTS) a.port = await freePort();
  const agents = AGENTS.map((a) =>
    startAgent(
      a.host,
      process.execPath,
      [
        CLI,
        'serve',
        '--source',
        'simulate',
        '--simulate.profile',
        a.profile,
        '--simulate.speed',
        '600',
        '--simulate.host-name',
        a.host,
        '--simulate.seed',
        String(a.seed),
        '--zombie.grace-period',
        '5m',
        '--web.listen-address',
        `127.0.0.1:${a.port}`,
        '--log.level',
        'warn',
        // One collection per scrape, as docs/metrics.md advises (collection interval = scrape interval).
        '--collection.interval',
        `${INTERVAL}s`,
      ],
      join(dir, `${a.host}.log`),
    ),
  );
  function startAgent(host: string, command: string, args: readonly string[], logFile: string): Managed {
    const p = procs.start(host, command, args, logFile);
    agentProcs.set(host, p);
    return p;
  }

  const amPort = await freePort();
  amUrl = `http://127.0.0.1:${amPort}`;
  writeFileSync(join(dir, 'alertmanager.yml'), alertmanagerConfig());
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

  await Promise.all(agents.map((p, i) => waitReady(p, `http://127.0.0.1:${AGENTS[i]!.port}/metrics`, 30_000)));
  await waitReady(alertmanager, `${amUrl}/-/ready`, 30_000);

  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  writeFileSync(join(dir, 'prometheus.yml'), prometheusConfig(amPort));
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
  const leftovers = procs.alive();
  if (dir && !failed && leftovers.length === 0) rmSync(dir, { recursive: true, force: true });
  else if (dir) console.error(`e2e: logs kept in ${dir}`);
  console.info(`e2e: finished in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  expect(leftovers.map((p) => p.name), 'processes still running after stopAll').toEqual([]);
}, 30_000);

describe('mixin against a real Prometheus and Alertmanager', () => {
  it('has prometheus, prometheus-alertmanager and the built agent, and starts them all on loopback', () => {
    ensureSetup();
    expect(procs.alive().length).toBe(AGENTS.length + 2);
  });

  it('Prometheus scrapes all five agents and evaluates every rule group without error', async () => {
    ensureSetup();
    const deadline = Date.now() + 20_000;
    let problem = '';
    while (Date.now() < deadline) {
      const up = await promQuery(promUrl, `up{job="${JOB}"} == 1`);
      const rules = JSON.parse((await httpGet(`${promUrl}/api/v1/rules`)).body) as {
        data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const groups = rules.data.groups;
      const bad = groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
      problem = `up: ${up.map((s) => s.metric.instance).join(',')}; groups: ${groups.map((g) => g.name).join(',')}; unhealthy: ${JSON.stringify(bad)}`;
      if (up.length === AGENTS.length && groups.length === 3 && bad.length === 0) return;
      await sleep(1000);
    }
    throw new Error(`Prometheus not healthy within 20 s: ${problem}\n${logTail(prometheus)}`);
  }, 30_000);

  it(`${SESSION_ALERT} reaches Alertmanager for the leaky hosts, never for the healthy ones`, async () => {
    ensureSetup();
    const firstSeen = new Map<string, number>();
    const healthyAlerts: AmAlert[] = [];
    for (;;) {
      const now = Date.now();
      const alerts = await alertmanagerAlerts(amUrl);
      for (const a of alerts) {
        if (HEALTHY.includes(a.labels.instance ?? '')) healthyAlerts.push(a);
        if (a.labels.alertname === SESSION_ALERT && LEAKY.includes(a.labels.instance ?? '') && !firstSeen.has(a.labels.instance!)) {
          firstSeen.set(a.labels.instance!, now - promReadyAt);
        }
      }
      expect(healthyAlerts.map((a) => `${a.labels.alertname} ${a.labels.severity} ${a.labels.instance}`), 'alerts for healthy hosts').toEqual([]);
      const allSeen = LEAKY.every((h) => firstSeen.has(h));
      if (allSeen && now - promReadyAt >= MIN_OBSERVATION_MS) break;
      if (!allSeen && now - promReadyAt > ALERT_DEADLINE_MS) {
        const pending = await promQuery(promUrl, `ALERTS{alertname="${SESSION_ALERT}"}`);
        throw new Error(
          `${SESSION_ALERT} did not reach Alertmanager for ${LEAKY.filter((h) => !firstSeen.has(h)).join(', ')} within ${ALERT_DEADLINE_MS / 1000} s; ` +
            `Prometheus ALERTS: ${JSON.stringify(pending.map((s) => s.metric))}`,
        );
      }
      await sleep(1000);
    }
    console.info(`e2e: ${SESSION_ALERT} reached Alertmanager after ${[...firstSeen].map(([h, ms]) => `${h} ${(ms / 1000).toFixed(0)} s`).join(', ')}`);

    // Prometheus agrees over the whole run: firing for both leaky hosts, never for a healthy one.
    const lookback = `${Math.ceil((Date.now() - promReadyAt) / 1000) + 5}s`;
    const firing = await promQuery(promUrl, `max by (instance) (max_over_time(ALERTS{alertname="${SESSION_ALERT}",alertstate="firing"}[${lookback}]))`);
    expect(firing.map((s) => s.metric.instance).sort()).toEqual([...LEAKY].sort());
    const healthyEver = await promQuery(promUrl, `max by (instance, alertname) (max_over_time(ALERTS{instance=~"${HEALTHY.join('|')}"}[${lookback}]))`);
    expect(healthyEver.map((s) => `${s.metric.alertname} ${s.metric.instance}`), 'alerts pending or firing for healthy hosts').toEqual([]);

    // Each branch of the alert on its own: the symptom (highest ID climbing away from the sessions
    // present) and the cause (pinned IDs) both single out the leaky hosts, despite the healthy hosts'
    // session churn.
    const { warning } = e2eConfig.thresholds.sessionIdsNotReused;
    for (const [branch, expr] of [
      ['climbing', sessionIdsClimbingExpr(e2eConfig, warning.gap)],
      ['pinned', sessionIdsPinnedExpr(e2eConfig, warning.pinned)],
    ] as const) {
      const ever = await promQuery(promUrl, `max by (instance) (max_over_time((${expr})[${lookback}:${INTERVAL}s]))`);
      expect(ever.map((s) => s.metric.instance).sort(), `hosts flagged by the ${branch} branch`).toEqual([...LEAKY].sort());
    }
  }, ALERT_DEADLINE_MS + 60_000);

  it('the critical tier inhibits the warning tier of the same alert in Alertmanager', async () => {
    ensureSetup();
    const deadline = Date.now() + 30_000;
    let state = '';
    while (Date.now() < deadline) {
      const alerts = (await alertmanagerAlerts(amUrl)).filter((a) => a.labels.alertname === SESSION_ALERT && LEAKY.includes(a.labels.instance ?? ''));
      const ok = LEAKY.every((h) => {
        const critical = alerts.find((a) => a.labels.instance === h && a.labels.severity === 'critical');
        const warning = alerts.find((a) => a.labels.instance === h && a.labels.severity === 'warning');
        return critical?.status.state === 'active' && warning?.status.state === 'suppressed' && warning.status.inhibitedBy.length > 0;
      });
      state = JSON.stringify(alerts.map((a) => [a.labels.instance, a.labels.severity, a.status.state, a.status.inhibitedBy.length]));
      if (ok) return;
      await sleep(1000);
    }
    throw new Error(`warning tier not inhibited by the critical tier: ${state}`);
  }, 40_000);

  const boards: [string, Dashboard][] = Object.entries(dashboards(e2eConfig)).map(([file, d]) => [d.title || file, d]);
  const hostBoard = boards.find(([, b]) => b.uid.endsWith('host-detail'))![1];
  const multiHostBoards = boards.filter(([, b]) => b !== hostBoard);

  it('the host dashboard selects one instance, the others all of them', () => {
    const instanceVar = (d: Dashboard) => d.templating.list.find((v) => v.name === 'instance')!;
    expect(instanceVar(hostBoard)).toMatchObject({ multi: false, includeAll: false });
    for (const [, d] of multiHostBoards) expect(instanceVar(d)).toMatchObject({ multi: true, includeAll: true, allValue: '.+' });
  });

  it.each(multiHostBoards)('every query of "%s" returns data for all hosts', async (_title, d) => {
    ensureSetup();
    const empty: string[] = [];
    for (const p of d.panels) {
      for (const t of p.targets) {
        const expr = substitute(t.expr);
        const result = t.instant ? await promQuery(promUrl, expr) : await promQuery(promUrl, expr, 30);
        if (result.length === 0) empty.push(`panel "${p.title}" ${t.refId}: ${expr}`);
      }
    }
    expect(empty, 'queries without data').toEqual([]);
    // The variables: label_values(rdsleak_build_info{job=~"$job"}, instance) lists every host.
    const instances = await promQuery(promUrl, substitute(`group by (instance) (rdsleak_build_info{job=~"$job"})`));
    expect(instances.map((s) => s.metric.instance).sort()).toEqual(AGENTS.map((a) => a.host).sort());
  }, 60_000);

  /**
   * Runs every host-detail query for one host. Every series must carry that host's instance label: a
   * series without one (an aggregation that dropped it) or of another host is a problem. With
   * `requireData`, every query must also return data.
   */
  async function checkHostBoard(host: string, requireData: boolean): Promise<string[]> {
    const problems: string[] = [];
    for (const p of hostBoard.panels) {
      for (const t of p.targets) {
        const expr = substitute(t.expr, host);
        const result = t.instant ? await promQuery(promUrl, expr) : await promQuery(promUrl, expr, 30);
        if (requireData && result.length === 0) problems.push(`no data: panel "${p.title}" ${t.refId}: ${expr}`);
        const unlabelled = result.filter((s) => s.metric.instance === undefined);
        if (unlabelled.length > 0) problems.push(`series without an instance label in panel "${p.title}" ${t.refId}: ${expr}`);
        const others = result.filter((s) => s.metric.instance !== undefined && s.metric.instance !== host);
        if (others.length > 0) problems.push(`other hosts in panel "${p.title}": ${others.map((s) => s.metric.instance).join(',')}`);
      }
    }
    return problems;
  }

  it('every host-detail query returns data for one leaky host, and only for that host', async () => {
    ensureSetup();
    expect(await checkHostBoard(LEAKY[0]!, true)).toEqual([]);
  }, 60_000);

  it('every host-detail query returns only the selected host, for every host', async () => {
    ensureSetup();
    // Healthy hosts have no zombies, so some panels are empty there; none may show another host.
    for (const a of AGENTS) expect(await checkHostBoard(a.host, false), a.host).toEqual([]);
  }, 60_000);

  // Last, because it takes a host away: the example configuration's first inhibit rule.
  it('an exporter that goes down inhibits the other alerts of its instance in Alertmanager', async () => {
    ensureSetup();
    const host = LEAKY[1]!;
    const agent = agentProcs.get(host)!;
    process.kill(-agent.child.pid!, 'SIGTERM');
    await agent.exited;
    const deadline = Date.now() + 40_000;
    let state = '';
    while (Date.now() < deadline) {
      const alerts = (await alertmanagerAlerts(amUrl)).filter((a) => a.labels.instance === host);
      const down = alerts.find((a) => a.labels.alertname === 'RdsExporterDown');
      const others = alerts.filter((a) => a.labels.alertname !== 'RdsExporterDown');
      state = JSON.stringify(alerts.map((a) => [a.labels.alertname, a.labels.severity, a.status.state, a.status.inhibitedBy.length]));
      if (down?.status.state === 'active' && others.length > 0 && others.every((a) => a.status.state === 'suppressed' && a.status.inhibitedBy.length > 0)) {
        expect(others.map((a) => a.labels.alertname)).toContain(SESSION_ALERT);
        return;
      }
      await sleep(1000);
    }
    throw new Error(`RdsExporterDown for ${host} did not inhibit its other alerts within 40 s: ${state}`);
  }, 50_000);
});
