import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { CollectionService } from '../collection/collection-service.js';
import type { Options } from '../config/options.js';
import { RdsLeakError, UsageError } from '../errors.js';
import { createExporterMetrics } from '../metrics/exporter-metrics.js';
import { createApp } from '../server/app.js';
import type { HttpLimits } from '../server/http-limits.js';
import { closeHttpServer, createHttpServer, listen } from '../server/http-server.js';
import { LiveWebConfig, type ReloadOutcome } from '../server/live-web-config.js';
import { sharedPasswordVerifier } from '../server/password-verifier.js';
import type { SnapshotSource } from '../sources/source.js';
import { VERSION } from '../version.js';
import { analysisOptions, openSource } from './runtime.js';

export interface RunningServer {
  readonly url: string;
  readonly source: SnapshotSource;
  /** Re-reads --web.config.file (SIGHUP); a bad file leaves the previous config in force. */
  reloadWebConfig(trigger: string): ReloadOutcome;
  close(): Promise<void>;
}

function simulationBanner(options: Options, source: SnapshotSource): string {
  const s = options.simulate;
  return [
    '******************************************************************************',
    '*  SIMULATED RDS HOST - not real data.                                        *',
    `*  ${`source ${source.description}, host ${s.hostName}, speed ${s.speed}x, seed ${s.seed}`.padEnd(74)}*`,
    '*  Use --source windows on a Windows RDS host for real measurements.         *',
    '******************************************************************************',
  ].join('\n');
}

/** Starts the exporter; resolves once it listens. `limits` replaces the HTTP limits (tests). */
export async function startServer(options: Options, logger: Logger, limits?: HttpLimits): Promise<RunningServer> {
  // Read the web config first: a mistake in it must stop the agent before any collection starts.
  const liveWeb = LiveWebConfig.load(options.webConfigFile, logger);
  const web = liveWeb.current;
  const source = await openSource(options, logger);
  if (source.kind === 'simulate') {
    process.stderr.write(`${simulationBanner(options, source)}\n`);
    logger.warn({ source: source.description }, 'serving a SIMULATED RDS host, not real data');
  }
  const metrics = createExporterMetrics(source.description, () => source.ownHandleCount?.() ?? null);
  const service = new CollectionService(
    source,
    {
      analysis: analysisOptions(options),
      minIntervalMs: options.minIntervalMs,
      // A failed collection is no fresh data: staleness alerts must see the timestamp stop.
      onCollected: (result) => metrics.recordCollection(result.durationSeconds, result.error === null ? result.startedAt + result.durationSeconds * 1000 : null),
    },
    logger,
  );
  const app = createApp(
    service,
    metrics,
    {
      telemetryPath: options.telemetryPath,
      metrics: { zombieInfoLimit: options.zombieInfoLimit, includeUserNames: options.includeUserNames },
      collectionTimeoutMs: options.collectionTimeoutMs,
      timeoutMarginMs: options.timeoutMarginMs,
      sourceDescription: source.description,
      simulated: source.kind === 'simulate',
      web: () => liveWeb.current,
    },
    logger,
  );
  const { host, port } = options.listenAddress;
  let address: AddressInfo;
  const http = createHttpServer({ handler: app, web: liveWeb, logger, ...(limits ? { limits } : {}) });
  try {
    address = await listen(http, host, port);
  } catch (error) {
    await source.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new UsageError('E_USAGE', `--web.listen-address: host "${host}" not found`);
    }
    const reason = code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'address not available on this host' : String(error);
    throw new RdsLeakError('E_LISTEN', `cannot listen on ${host}:${port}: ${reason}`, { exitCode: 1 });
  }
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${web.tls ? 'https' : 'http'}://${shownHost === '[::]' || shownHost === '0.0.0.0' ? 'localhost' : shownHost}:${address.port}`;
  logger.info({ version: VERSION, source: source.description, address: `${shownHost}:${address.port}`, telemetry_path: options.telemetryPath, tls: web.tls !== null, basic_auth: web.basicAuthUsers.size > 0, ...(web.basicAuthUsers.size > 0 ? { bcrypt_worker_threads: sharedPasswordVerifier().offMainThread } : {}) }, 'listening');
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
