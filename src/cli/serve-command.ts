import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { analysisOptionsFrom } from '../analysis/flags.js';
import { HostAnalyzer } from '../analysis/host-analyzer.js';
import { BackgroundCollection } from '../collection/background-collection.js';
import { CollectionService } from '../collection/collection-service.js';
import { collectionSettingsFrom } from '../collection/flags.js';
import { recordCollectionsIn } from '../collection/record-collection.js';
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
  /** The collection loop (background mode); null in scrape mode. */
  readonly background: BackgroundCollection | null;
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
  /** Wraps the source the flags create (tests and benchmarks: a slow or failing host). */
  readonly wrapSource?: (source: SnapshotSource) => SnapshotSource;
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
    if (options.wrapSource) source = options.wrapSource(source);
  } catch (error) {
    liveWeb.close();
    await closeHttpServer(http);
    throw error;
  }
  if (source.notice !== null) {
    (options.notices ?? process.stderr).write(`${source.notice}\n`);
    logger.warn({ source: source.description }, 'serving a SIMULATED RDS host, not real data');
  }
  const metrics = createExporterMetrics(source.description, () => source.ownHandleCount?.() ?? null);
  const service = new CollectionService(
    source,
    new HostAnalyzer(analysisOptionsFrom(flags)),
    {
      // Background collections follow their own interval; the minimum interval is for scrape mode.
      minIntervalMs: collection.mode === 'scrape' ? collection.minIntervalMs : 0,
      onCollected: recordCollectionsIn(metrics),
    },
    logger.child({ component: 'collection' }),
  );
  const metricsOptions = metricsOptionsFrom(flags);
  const background =
    collection.mode === 'background'
      ? new BackgroundCollection(
          service,
          metrics,
          { intervalMs: collection.intervalMs, timeoutMs: collection.timeoutMs, metrics: metricsOptions },
          logger.child({ component: 'collection' }),
        )
      : null;
  background?.start();
  handler = createApp(
    service,
    metrics,
    {
      telemetryPath: settings.telemetryPath,
      metrics: metricsOptions,
      collectionTimeoutMs: collection.timeoutMs,
      timeoutMarginMs: settings.timeoutMarginMs,
      sourceDescription: source.description,
      simulated: source.notice !== null,
      web: () => liveWeb.current,
      ...(background ? { exposition: background } : {}),
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
      collection_mode: collection.mode,
      ...(background ? { collection_interval_ms: collection.intervalMs } : {}),
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
    background,
    reloadWebConfig: (trigger) => liveWeb.reload(trigger),
    async close() {
      liveWeb.close();
      await background?.stop();
      await closeHttpServer(http);
      metrics.close();
      await source.close();
    },
  };
}
