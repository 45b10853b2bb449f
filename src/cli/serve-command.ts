import { statSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { UsageError } from '../errors.js';
import { TEXTFILE_DIRECTORY, TEXTFILE_INTERVAL } from '../export/flags.js';
import { TextfileExport } from '../export/textfile-export.js';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { analysisOptionsFrom } from '../analysis/flags.js';
import { HostAnalyzer } from '../analysis/host-analyzer.js';
import { BackgroundCollection } from '../collection/background-collection.js';
import { ScrapeTimeExposition } from '../collection/scrape-time-exposition.js';
import type { MetricsExposition } from '../metrics/scrape-exposition.js';
import { CollectionService } from '../collection/collection-service.js';
import { collectionSettingsFrom, stateFilePath } from '../collection/flags.js';
import { CandidateStateFile } from '../collection/state-file.js';
import { hostname } from 'node:os';
import { SessionIdHistory } from '../collection/session-id-history.js';
import { analysisDocument } from '../report/analysis-document.js';
import { recordCollectionsIn } from '../collection/record-collection.js';
import type { FlagValues } from '../flags/flag-values.js';
import { createExporterMetrics } from '../metrics/exporter-metrics.js';
import { metricsOptionsFrom } from '../metrics/flags.js';
import { createApp } from '../server/app.js';
import { serverSettingsFrom } from '../server/flags.js';
import type { HttpLimits } from '../server/http-limits.js';
import { closeHttpServer, createHttpServer, listen, listenError } from '../server/http-server.js';
import { startFarmServer } from '../server/farm-server.js';
import { SIMULATE_HOSTS } from '../sources/simulate/flags.js';
import { LiveWebConfig, type ReloadOutcome } from '../server/live-web-config.js';
import { sharedPasswordVerifier } from '../server/password-verifier.js';
import { createSource } from '../sources/create-source.js';
import { sourceConfigFrom } from '../sources/flags.js';
import type { SnapshotSource } from '../sources/source.js';
import { VERSION } from '../version.js';
import { CONFIG_FILE } from './flags.js';

export interface RunningServer {
  /** Null when HTTP is off (textfile mode alone). */
  readonly url: string | null;
  /** Absent for a simulated farm (--simulate.hosts), whose hosts each have their own source. */
  readonly source?: SnapshotSource;
  /** The collection loop (background mode); null in scrape mode or for a simulated farm. */
  readonly background?: BackgroundCollection | null;
  /** Re-reads the web config (SIGHUP); a bad file keeps the previous one in force. */
  reloadWebConfig(trigger: string): ReloadOutcome;
  close(): Promise<void>;
}

export interface StartServerOptions {
  /** Where the simulation banner goes (standard error). */
  readonly notices?: NodeJS.WritableStream;
  /** Replaces the HTTP limits (tests). */
  readonly limits?: HttpLimits;
  /** Wraps the source the flags create (tests and benchmarks: a slow or failing host). */
  readonly wrapSource?: (source: SnapshotSource) => SnapshotSource;
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

/** Starts the exporter; resolves once it listens and serves. */
export async function startServer(flags: FlagValues, logger: Logger, options: StartServerOptions = {}): Promise<RunningServer> {
  if (sourceConfigFrom(flags).kind === 'simulate' && flags.get(SIMULATE_HOSTS) > 0) {
    const farm = await startFarmServer(flags, logger, options.notices);
    // The farm reads its web config once: it is a test and demo tool, not an agent.
    return { url: farm.url, reloadWebConfig: () => 'unchanged', close: () => farm.close() };
  }
  const settings = serverSettingsFrom(flags);
  const collection = collectionSettingsFrom(flags);
  const textfileDirectory = flags.get(TEXTFILE_DIRECTORY);
  if (settings.listenAddress === null && textfileDirectory === null) {
    throw new UsageError('E_USAGE', '--web.listen-address: empty turns the HTTP listener off, which needs --textfile.directory');
  }
  if (textfileDirectory !== null) checkTextfileDirectory(textfileDirectory);
  // Read the web config first: a mistake in it must stop the agent before any collection starts.
  const liveWeb = LiveWebConfig.load(settings.webConfigFile, logger);
  const web = liveWeb.current;
  // Until the source is open (a simulated host may step through hours first), answer rather than hang.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' }).end('starting\n');
  };
  let http: Server | null = null;
  let address: AddressInfo | null = null;
  if (settings.listenAddress !== null) {
    const { host, port } = settings.listenAddress;
    http = createHttpServer({ handler: (req, res) => handler(req, res), web: liveWeb, logger, ...(options.limits ? { limits: options.limits } : {}) });
    try {
      // Bind before anything else is printed or opened: a taken port is one line and exit 2.
      address = await listen(http, host, port);
    } catch (error) {
      liveWeb.close();
      throw listenError(error, host, port);
    }
  }
  const closeHttp = async () => {
    liveWeb.close();
    if (http) await closeHttpServer(http);
  };
  let source: SnapshotSource;
  try {
    source = await createSource(sourceConfigFrom(flags), logger);
    if (options.wrapSource) source = options.wrapSource(source);
  } catch (error) {
    await closeHttp();
    throw error;
  }
  if (source.notice !== null) {
    (options.notices ?? process.stderr).write(`${source.notice}\n`);
    logger.warn({ source: source.description }, 'serving a SIMULATED RDS host, not real data');
  }
  const startedAt = Date.now();
  const history = new SessionIdHistory();
  const metrics = createExporterMetrics(source.description, () => source.ownHandleCount?.() ?? null);
  const record = recordCollectionsIn(metrics);
  // Only a host observed in real time has a history worth keeping: a simulation starts afresh each run.
  const statePath = source.clock.kind === 'live' && source.clock.scale === 1 ? stateFilePath(flags, flags.get(CONFIG_FILE)) : null;
  const state = statePath === null ? null : new CandidateStateFile(statePath, hostname(), logger.child({ component: 'state' }));
  const analyzer = new HostAnalyzer(analysisOptionsFrom(flags), state?.load() ?? undefined);
  const service = new CollectionService(
    source,
    analyzer,
    {
      // Background collections follow their own interval; the minimum interval is for scrape mode.
      minIntervalMs: collection.mode === 'scrape' ? collection.minIntervalMs : 0,
      onCollected: (result) => {
        record(result);
        if (result.analysis) state?.save(analyzer.memory, Date.now());
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
  // One exposition for /metrics and the textfile: the background result, or a collection per read.
  const exposition: MetricsExposition = background ?? new ScrapeTimeExposition(service, metrics, metricsOptions);
  let textfile: TextfileExport | null = null;
  if (textfileDirectory !== null) {
    textfile = new TextfileExport(
      exposition,
      { directory: textfileDirectory, intervalMs: flags.get(TEXTFILE_INTERVAL), collectionTimeoutMs: collection.timeoutMs },
      logger.child({ component: 'textfile' }),
    );
    try {
      await textfile.start();
    } catch (error) {
      await closeHttp();
      await background?.stop();
      metrics.close();
      await source.close();
      throw error;
    }
    logger.info({ directory: textfileDirectory, interval_seconds: flags.get(TEXTFILE_INTERVAL) / 1000 }, 'writing the textfile');
  }
  const stop = async () => {
    await closeHttp();
    await background?.stop();
    await textfile?.stop();
    metrics.close();
    await source.close();
  };
  if (http === null || address === null) return { url: null, source, background, reloadWebConfig: () => 'no-file', close: stop };
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
      exposition,
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
    close: stop,
  };
}
