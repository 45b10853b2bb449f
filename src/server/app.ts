import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { CollectionService } from '../collection/collection-service.js';
import { errorMessage } from '../errors.js';
import type { AnalysisMetricsOptions } from '../metrics/analysis-metrics.js';
import { renderExposition } from '../metrics/exposition.js';
import type { ExporterMetrics } from '../metrics/exporter-metrics.js';
import { VERSION } from '../version.js';
import { MAX_COLLECTION_TIMEOUT_MS } from '../config/options.js';
import { basicAuth } from './basic-auth.js';
import { landingPage } from './landing-page.js';
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
  /** TLS is applied by the caller's server; headers and basic auth here. */
  readonly web?: WebConfig;
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

  // Exact match: the path is the user's text, never an express route pattern.
  app.use(async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path !== options.telemetryPath) return next();
    try {
      const deadline = scrapeDeadline(req.get('X-Prometheus-Scrape-Timeout-Seconds'), Date.now(), options);
      const result = await service.collect(deadline);
      const { contentType, body } = await renderExposition({ exporterRegistry: exporterMetrics.registry, analysis: result.analysis, collectionTimedOut: result.timedOut, metrics: options.metrics });
      res.set('Content-Type', contentType).send(body);
    } catch (error) {
      logger.error({ err: errorMessage(error) }, 'rendering metrics failed');
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

  app.get('/', (_req, res) => {
    res.type('html').send(landingPage(options.telemetryPath, options.sourceDescription, options.simulated));
  });

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
  return app;
}
