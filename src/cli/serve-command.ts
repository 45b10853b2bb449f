import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { analysisOptionsFrom } from '../analysis/flags.js';
import { HostAnalyzer } from '../analysis/host-analyzer.js';
import { CollectionService } from '../collection/collection-service.js';
import { collectionSettingsFrom } from '../collection/flags.js';
import { SessionIdHistory } from '../collection/session-id-history.js';
import { analysisDocument } from '../report/analysis-document.js';
import { UsageError } from '../errors.js';
import type { FlagValues } from '../flags/flag-values.js';
import { createExporterMetrics } from '../metrics/exporter-metrics.js';
import { metricsOptionsFrom } from '../metrics/flags.js';
import { createApp } from '../server/app.js';
import { serverSettingsFrom } from '../server/flags.js';
import type { HttpLimits } from '../server/http-limits.js';
import { closeHttpServer, createHttpServer, listen } from '../server/http-server.js';
import { LiveWebConfig, type ReloadOutcome } from '../server/live-web-config.js';
import { sharedPasswordVerifier } from '../server/password-verifier.js';
import { createSource } from '../sources/create-source.js';
import { sourceConfigFrom } from '../sources/flags.js';
import type { SnapshotSource } from '../sources/source.js';
import { VERSION } from '../version.js';

export interface RunningServer {
  readonly url: string;
  readonly source: SnapshotSource;
  /** Re-reads the web config (SIGHUP); a bad file keeps the previous one in force. */
  reloadWebConfig(trigger: string): ReloadOutcome;
  close(): Promise<void>;
}

/** A listen failure is the user's to fix (another exporter on the port, a wrong address): exit 2, one line. */
function listenError(error: unknown, host: string, port: number): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UsageError('E_USAGE', `--web.listen-address: host "${host}" not found`);
  const reason =
    code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'address not available on this host' : String(error);
  return new UsageError('E_LISTEN', `cannot listen on ${host}:${port}: ${reason}`);
}

export interface StartServerOptions {
  /** Where the simulation banner goes (standard error). */
  readonly notices?: NodeJS.WritableStream;
  /** Replaces the HTTP limits (tests). */
  readonly limits?: HttpLimits;
}

/** Starts the exporter; resolves once it listens and serves. */
export async function startServer(flags: FlagValues, logger: Logger, options: StartServerOptions = {}): Promise<RunningServer> {
  const settings = serverSettingsFrom(flags);
  const collection = collectionSettingsFrom(flags);
  // Read the web config first: a mistake in it must stop the agent before any collection starts.
  const liveWeb = LiveWebConfig.load(settings.webConfigFile, logger);
  const web = liveWeb.current;
  const { host, port } = settings.listenAddress;
  // Until the source is open (a simulated host may step through hours first), answer rather than hang.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' }).end('starting\n');
  };
  const http = createHttpServer({ handler: (req, res) => handler(req, res), web: liveWeb, logger, ...(options.limits ? { limits: options.limits } : {}) });
  let address: AddressInfo;
  try {
    // Bind before anything else is printed or opened: a taken port is one line and exit 2.
    address = await listen(http, host, port);
  } catch (error) {
    liveWeb.close();
    throw listenError(error, host, port);
  }
  let source: SnapshotSource;
  try {
    source = await createSource(sourceConfigFrom(flags), logger);
  } catch (error) {
    liveWeb.close();
    await closeHttpServer(http);
    throw error;
  }
  if (source.notice !== null) {
    (options.notices ?? process.stderr).write(`${source.notice}\n`);
    logger.warn({ source: source.description }, 'serving a SIMULATED RDS host, not real data');
  }
  const startedAt = Date.now();
  const history = new SessionIdHistory();
  const metrics = createExporterMetrics(source.description, () => source.ownHandleCount?.() ?? null);
  const service = new CollectionService(
    source,
    new HostAnalyzer(analysisOptionsFrom(flags)),
    {
      minIntervalMs: collection.minIntervalMs,
      // A failed collection is no fresh data: staleness alerts must see the timestamp stop.
      onCollected: (result) => {
        metrics.recordCollection(result.durationSeconds, result.error === null ? result.startedAt + result.durationSeconds * 1000 : null);
        history.record(result.analysis);
      },
    },
    logger.child({ component: 'collection' }),
  );
  const metricsOptions = metricsOptionsFrom(flags);
  const facts = {
    version: VERSION,
    source: source.description,
    simulated: source.notice !== null,
    telemetryPath: settings.telemetryPath,
    userNamesIncluded: metricsOptions.includeUserNames,
    startedAt,
  };
  handler = createApp(
    service,
    metrics,
    {
      telemetryPath: settings.telemetryPath,
      metrics: metricsOptions,
      // The latest collection, whoever asked for it; the first visitor before any scrape starts one.
      analysisDocument: async () => analysisDocument(service.lastResult ?? (await service.collect(Date.now() + collection.timeoutMs)), facts, history.list()),
      collectionTimeoutMs: collection.timeoutMs,
      timeoutMarginMs: settings.timeoutMarginMs,
      sourceDescription: source.description,
      simulated: source.notice !== null,
      web: () => liveWeb.current,
    },
    logger.child({ component: 'http' }),
  );
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${web.tls ? 'https' : 'http'}://${shownHost === '[::]' || shownHost === '0.0.0.0' ? 'localhost' : shownHost}:${address.port}`;
  logger.info(
    {
      version: VERSION,
      source: source.description,
      address: `${shownHost}:${address.port}`,
      telemetry_path: settings.telemetryPath,
      tls: web.tls !== null,
      basic_auth: web.basicAuthUsers.size > 0,
      ...(web.basicAuthUsers.size > 0 ? { bcrypt_worker_threads: sharedPasswordVerifier().offMainThread } : {}),
    },
    'listening',
  );
  liveWeb.watch();
  return {
    url,
    source,
    reloadWebConfig: (trigger) => liveWeb.reload(trigger),
    async close() {
      liveWeb.close();
      await closeHttpServer(http);
      await source.close();
    },
  };
}
