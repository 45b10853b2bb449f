import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { CollectionService } from '../collection/collection-service.js';
import { ScrapeTimeExposition } from '../collection/scrape-time-exposition.js';
import { errorMessage } from '../errors.js';
import type { MetricsExposition } from '../metrics/scrape-exposition.js';
import type { AnalysisMetricsOptions } from '../metrics/flags.js';
import type { ExporterMetrics } from '../metrics/exporter-metrics.js';
import { VERSION } from '../version.js';
import { MAX_COLLECTION_TIMEOUT_MS } from '../collection/flags.js';
import { basicAuth } from './basic-auth.js';
import type { PasswordVerifier } from './password-verifier.js';
import { STATUS_PATHS, statusRoutes } from './status/status-routes.js';
import { clientCertificateCheck, PLAIN_HTTP, type WebConfig } from './web-config.js';

export interface AppOptions {
  readonly telemetryPath: string;
  readonly metrics: AnalysisMetricsOptions;
  /** Budget when the scrape sends no timeout header. */
  readonly collectionTimeoutMs: number;
  /** Subtracted from X-Prometheus-Scrape-Timeout-Seconds. */
  readonly timeoutMarginMs: number;
  readonly sourceDescription: string;
  readonly simulated: boolean;
  /**
   * TLS is applied by the caller's server; headers, client certificate modes and basic auth here. A
   * function is asked on every request, so a reloaded web config applies to the next request.
   */
  readonly web?: WebConfig | (() => WebConfig);
  /** Where bcrypt runs (default: the process's worker pool). */
  readonly passwordVerifier?: Pick<PasswordVerifier, 'verify'>;
  /** The /api/v1/analysis document (docs/api.md); the status page at `/` reads it. */
  readonly analysisDocument?: () => Promise<unknown>;
  /** What /metrics answers (background collection); default: collect through `service` at each scrape. */
  readonly exposition?: MetricsExposition;
}

/** Methods every endpoint answers; anything else gets 405 with this list in Allow. */
const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/** Per-request security of one web config, built once per config (basic auth keeps its cache in it). */
interface WebGuard {
  readonly config: WebConfig;
  readonly handlers: readonly RequestHandler[];
}

function webGuard(config: WebConfig, verifier: Pick<PasswordVerifier, 'verify'> | undefined): WebGuard {
  const handlers: RequestHandler[] = [];
  const certificateCheck = clientCertificateCheck(config.clientAuth);
  if (certificateCheck) handlers.push(certificateCheck);
  if (config.basicAuthUsers.size > 0) handlers.push(basicAuth(config.basicAuthUsers, verifier));
  return { config, handlers };
}

/** Runs handlers in order, as express would if they had been app.use()d. */
function runChain(handlers: readonly RequestHandler[], ...[req, res, next]: Parameters<RequestHandler>): void {
  const step = (i: number, error?: unknown): void => {
    const handler = handlers[i];
    if (error !== undefined || !handler) {
      next(error);
      return;
    }
    void handler(req, res, (e?: unknown) => step(i + 1, e));
  };
  step(0);
}

/** The scrape's collection deadline: the Prometheus timeout header minus the margin, else the default budget. */
export function scrapeDeadline(header: string | undefined, now: number, options: Pick<AppOptions, 'collectionTimeoutMs' | 'timeoutMarginMs'>): number {
  const seconds = header === undefined ? NaN : Number.parseFloat(header);
  if (!Number.isFinite(seconds) || seconds <= 0) return now + options.collectionTimeoutMs;
  return now + Math.min(Math.max(0, seconds * 1000 - options.timeoutMarginMs), MAX_COLLECTION_TIMEOUT_MS);
}

export function createApp(service: CollectionService, exporterMetrics: ExporterMetrics, options: AppOptions, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  const configured = options.web;
  const currentWeb = typeof configured === 'function' ? configured : () => configured ?? PLAIN_HTTP;
  const knownPaths = new Set<string>([options.telemetryPath, '/health', '/version', ...STATUS_PATHS]);
  let guard = webGuard(currentWeb(), options.passwordVerifier);

  app.use((req, res, next) => {
    const web = currentWeb();
    res.set(web.headers);
    // Before authentication: a method no endpoint answers costs no bcrypt.
    if (knownPaths.has(req.path) && req.method !== 'GET' && req.method !== 'HEAD') {
      res.set('Allow', ALLOWED_METHODS);
      if (req.method === 'OPTIONS') res.status(204).end();
      else res.status(405).type('text/plain').send('method not allowed\n');
      return;
    }
    if (guard.config !== web) guard = webGuard(web, options.passwordVerifier);
    runChain(guard.handlers, req, res, next);
  });

  const exposition = options.exposition ?? new ScrapeTimeExposition(service, exporterMetrics, options.metrics);
  // Exact match: the path is the user's text, never an express route pattern.
  app.use(async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path !== options.telemetryPath) return next();
    try {
      const deadline = scrapeDeadline(req.get('X-Prometheus-Scrape-Timeout-Seconds'), Date.now(), options);
      const { body, contentType } = await exposition.render(deadline);
      // Not res.send(): it hashes every body for an ETag, which no scraper sends back.
      res.status(200);
      res.setHeader('Content-Type', contentType);
      res.setHeader('Content-Length', body.length);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      logger.error({ err: error }, 'rendering metrics failed');
      res.status(500).type('text/plain').send(`error: ${errorMessage(error)}\n`);
    }
  });

  app.get('/health', (_req, res) => {
    const last = service.lastResult;
    res.json({
      status: 'ok',
      source: options.sourceDescription,
      lastCollection: last ? { startedAt: new Date(last.startedAt).toISOString(), durationSeconds: last.durationSeconds, error: last.error } : null,
    });
  });

  app.get('/version', (_req, res) => {
    res.json({ version: VERSION, source: options.sourceDescription, nodejs: process.version, platform: process.platform, arch: process.arch });
  });

  app.use(statusRoutes(options, logger));

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
  app.use(errorHandler(logger));
  return app;
}

/**
 * The last word on any error: a short plain answer, the details in the log only. Express's own handler
 * sends the stack trace with absolute paths unless NODE_ENV=production, which nobody sets on a Windows
 * service.
 */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status = (error as { status?: unknown } | null)?.status;
    const clientError = typeof status === 'number' && status >= 400 && status < 500;
    if (!clientError) logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // The failing part may have been a response header: start from none.
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.status(clientError ? status : 500).type('text/plain').send(clientError ? 'bad request\n' : 'internal server error\n');
  };
}
