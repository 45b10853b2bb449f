/**
 * The simulated farm's HTTP server (`--simulate.hosts N`): N simulated hosts on one port.
 *
 * - `<telemetry path>?host=NAME`: that host's metrics, as its own agent would serve them (collection and
 *   analysis at scrape time, with its own candidate history, collection counter and build info).
 * - `/farm/targets`: Prometheus HTTP service discovery (`http_sd_configs`): one target group per farm
 *   and site, whose targets are the host names, labelled `farm` and `site`. Relabelling turns the target
 *   into the `host` URL parameter and the `instance` label (docs/scaling.md).
 *
 * Prometheus's process and Node.js metrics are not served per host: the hosts share one process.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { CollectionService } from '../collection/collection-service.js';
import type { AnalysisOptions } from '../analysis/flags.js';
import { analysisOptionsFrom } from '../analysis/flags.js';
import { HostAnalyzer } from '../analysis/host-analyzer.js';
import { collectionSettingsFrom } from '../collection/flags.js';
import type { FlagValues } from '../flags/flag-values.js';
import { buildAnalysisRegistry } from '../metrics/analysis-metrics.js';
import { metricsOptionsFrom, type AnalysisMetricsOptions } from '../metrics/flags.js';
import { farmConfigFrom } from '../sources/simulate/flags.js';
import { serverSettingsFrom } from './flags.js';
import { listen, listenError } from './http-server.js';
import { createExporterMetrics, type ExporterMetrics } from '../metrics/exporter-metrics.js';
import { openFileDescriptors } from '../metrics/own-handles.js';
import { UsageError } from '../errors.js';
import { SimulatedFarm, type FarmHost } from '../sources/simulate/farm.js';
import { VERSION } from '../version.js';
import { scrapeDeadline } from './app.js';
import { basicAuth } from './basic-auth.js';
import { PLAIN_HTTP, clientCertificateCheck, loadWebConfig, type WebConfig } from './web-config.js';

/** Host names of a simulated farm: rds-sim-001, rds-sim-002, ... */
export const FARM_HOST_PREFIX = 'rds-sim';
/** The HTTP service discovery endpoint. */
export const FARM_TARGETS_PATH = '/farm/targets';

export interface FarmAppOptions {
  readonly telemetryPath: string;
  readonly metrics: AnalysisMetricsOptions;
  readonly analysis: AnalysisOptions;
  readonly minIntervalMs: number;
  readonly collectionTimeoutMs: number;
  readonly timeoutMarginMs: number;
  readonly web?: WebConfig;
}

interface HostAgent {
  readonly host: FarmHost;
  readonly service: CollectionService;
  readonly metrics: ExporterMetrics;
}

/** One target group per farm and site, in http_sd format. */
export function farmTargets(hosts: readonly FarmHost[]): { targets: string[]; labels: Record<string, string> }[] {
  const groups = new Map<string, { targets: string[]; labels: Record<string, string> }>();
  for (const h of hosts) {
    const key = `${h.farm}/${h.site}`;
    let group = groups.get(key);
    if (!group) {
      group = { targets: [], labels: { farm: h.farm, site: h.site } };
      groups.set(key, group);
    }
    group.targets.push(h.name);
  }
  return [...groups.values()];
}

export function createFarmApp(farm: SimulatedFarm, options: FarmAppOptions, logger: Logger): Express {
  const agents = new Map<string, HostAgent>();
  for (const host of farm.hosts) {
    const source = farm.source(host.name);
    if (!source) continue;
    // Every host reports the process's own descriptors: the one process that serves it.
    const metrics = createExporterMetrics(source.description, openFileDescriptors, { processMetrics: false });
    const service = new CollectionService(
      source,
      new HostAnalyzer(options.analysis),
      {
        minIntervalMs: options.minIntervalMs,
        onCollected: (result) => metrics.recordCollection(result.durationSeconds, result.error === null ? result.startedAt + result.durationSeconds * 1000 : null),
      },
      logger.child({ host: host.name }),
    );
    agents.set(host.name, { host, service, metrics });
  }

  const app = express();
  app.disable('x-powered-by');
  const web = options.web ?? PLAIN_HTTP;
  if (Object.keys(web.headers).length > 0) {
    app.use((_req, res, next) => {
      res.set(web.headers);
      next();
    });
  }
  const certificateCheck = clientCertificateCheck(web.clientAuth);
  if (certificateCheck) app.use(certificateCheck);
  if (web.basicAuthUsers.size > 0) app.use(basicAuth(web.basicAuthUsers));

  app.use(async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path !== options.telemetryPath) return next();
    const name = req.query.host;
    const agent = typeof name === 'string' ? agents.get(name) : undefined;
    if (!agent) {
      res.status(404).type('text/plain').send(`unknown or missing host parameter: use ${options.telemetryPath}?host=NAME with a name from ${FARM_TARGETS_PATH}\n`);
      return;
    }
    try {
      const deadline = scrapeDeadline(req.get('X-Prometheus-Scrape-Timeout-Seconds'), Date.now(), options);
      const result = await agent.service.collect(deadline);
      const merged = Registry.merge([agent.metrics.registry, buildAnalysisRegistry(result.analysis, options.metrics, result.timedOut)]);
      res.set('Content-Type', merged.contentType).send(await merged.metrics());
    } catch (error) {
      logger.error({ err: error, host: agent.host.name }, 'rendering metrics failed');
      res.status(500).type('text/plain').send('internal server error\n');
    }
  });

  app.get(FARM_TARGETS_PATH, (_req, res) => {
    res.json(farmTargets(farm.hosts));
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', source: 'simulate:farm', hosts: farm.hosts.length });
  });

  app.get('/version', (_req, res) => {
    res.json({ version: VERSION, source: 'simulate:farm', nodejs: process.version, platform: process.platform, arch: process.arch });
  });

  app.get('/', (_req, res) => {
    res
      .type('text/plain')
      .send(
        `rds-leak-exporter ${VERSION}: SIMULATED farm of ${farm.hosts.length} hosts, not real data.\n` +
          `${options.telemetryPath}?host=NAME  metrics of one host\n${FARM_TARGETS_PATH}  the hosts, for Prometheus http_sd_configs (docs/scaling.md)\n`,
      );
  });

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
  return app;
}

export interface RunningFarm {
  readonly url: string;
  readonly farm: SimulatedFarm;
  close(): Promise<void>;
}

/** Starts the farm server of `--simulate.hosts N`; resolves once it listens. */
export async function startFarmServer(flags: FlagValues, logger: Logger, notices: NodeJS.WritableStream = process.stderr): Promise<RunningFarm> {
  const settings = serverSettingsFrom(flags);
  const collection = collectionSettingsFrom(flags);
  const web = settings.webConfigFile ? loadWebConfig(settings.webConfigFile) : PLAIN_HTTP;
  const s = farmConfigFrom(flags, FARM_HOST_PREFIX);
  const farm = new SimulatedFarm(s);
  const app = createFarmApp(
    farm,
    {
      telemetryPath: settings.telemetryPath,
      metrics: metricsOptionsFrom(flags),
      analysis: analysisOptionsFrom(flags),
      minIntervalMs: collection.minIntervalMs,
      collectionTimeoutMs: collection.timeoutMs,
      timeoutMarginMs: settings.timeoutMarginMs,
      web,
    },
    logger,
  );
  const http: Server = web.tls ? createHttpsServer(web.tls, app) : createServer(app);
  if (settings.listenAddress === null) throw new UsageError('E_USAGE', '--web.listen-address: a simulated farm needs an address to listen on');
  const { host, port } = settings.listenAddress;
  let address: AddressInfo;
  try {
    address = await listen(http, host, port);
  } catch (error) {
    throw listenError(error, host, port);
  }
  const leaky = farm.hosts.filter((h) => h.leaky).length;
  notices.write(`SIMULATED RDS FARM - not real data: ${s.hosts} hosts (${leaky} leaky), ${s.farms} farm(s), ${s.sites} site(s) each, speed ${s.speed}x\n`);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${web.tls ? 'https' : 'http'}://${shownHost === '[::]' || shownHost === '0.0.0.0' ? 'localhost' : shownHost}:${address.port}`;
  logger.info({ version: VERSION, hosts: s.hosts, leaky, address: `${shownHost}:${address.port}`, targets: FARM_TARGETS_PATH }, 'serving a SIMULATED farm');
  return {
    url,
    farm,
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await farm.close();
    },
  };
}
