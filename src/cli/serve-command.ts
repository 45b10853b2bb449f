import { statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { CollectionService } from '../collection/collection-service.js';
import type { Options } from '../config/options.js';
import { RdsLeakError, UsageError } from '../errors.js';
import { createExporterMetrics } from '../metrics/exporter-metrics.js';
import { TextfileExport } from '../export/textfile-export.js';
import { createApp } from '../server/app.js';
import { loadWebConfig, PLAIN_HTTP } from '../server/web-config.js';
import type { SnapshotSource } from '../sources/source.js';
import { VERSION } from '../version.js';
import { analysisOptions, openSource } from './runtime.js';

export interface RunningServer {
  /** Null when HTTP is off (textfile mode alone). */
  readonly url: string | null;
  readonly source: SnapshotSource;
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

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === '' ? undefined : host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** --textfile.directory must name an existing directory: checked before the source opens. */
function checkTextfileDirectory(directory: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(directory).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError('E_USAGE', `--textfile.directory: ${directory}: ${code === 'ENOENT' ? 'no such directory' : String(error)}`);
  }
  if (!isDirectory) throw new UsageError('E_USAGE', `--textfile.directory: ${directory}: not a directory`);
}

/** Starts the exporter; resolves once it listens (and, in textfile mode, once the first file is written). */
export async function startServer(options: Options, logger: Logger): Promise<RunningServer> {
  // Read the web config first: a mistake in it must stop the agent before any collection starts.
  const web = options.webConfigFile ? loadWebConfig(options.webConfigFile) : PLAIN_HTTP;
  if (options.textfileDirectory !== null) checkTextfileDirectory(options.textfileDirectory);
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
  const metricsOptions = { zombieInfoLimit: options.zombieInfoLimit, includeUserNames: options.includeUserNames };
  let textfile: TextfileExport | null = null;
  if (options.textfileDirectory !== null) {
    textfile = new TextfileExport(service, metrics.registry, { directory: options.textfileDirectory, intervalMs: options.textfileIntervalMs, collectionTimeoutMs: options.collectionTimeoutMs, metrics: metricsOptions }, logger);
    try {
      await textfile.start();
    } catch (error) {
      await source.close();
      throw error;
    }
    logger.info({ directory: options.textfileDirectory, interval_seconds: options.textfileIntervalMs / 1000 }, 'writing the textfile');
  }
  if (options.listenAddress === null) {
    return {
      url: null,
      source,
      async close() {
        await textfile?.stop();
        await source.close();
      },
    };
  }
  const app = createApp(
    service,
    metrics,
    {
      telemetryPath: options.telemetryPath,
      metrics: metricsOptions,
      collectionTimeoutMs: options.collectionTimeoutMs,
      timeoutMarginMs: options.timeoutMarginMs,
      sourceDescription: source.description,
      simulated: source.kind === 'simulate',
      web,
    },
    logger,
  );
  const { host, port } = options.listenAddress;
  let address: AddressInfo;
  const http = web.tls ? createHttpsServer(web.tls, app) : createServer(app);
  try {
    address = await listen(http, host, port);
  } catch (error) {
    await textfile?.stop();
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
  logger.info({ version: VERSION, source: source.description, address: `${shownHost}:${address.port}`, telemetry_path: options.telemetryPath, tls: web.tls !== null, basic_auth: web.basicAuthUsers.size > 0 }, 'listening');
  return {
    url,
    source,
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await textfile?.stop();
      await source.close();
    },
  };
}
