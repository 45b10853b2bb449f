import { Router } from 'express';
import type { Logger } from 'pino';
import { errorMessage } from '../../errors.js';
import { ANALYSIS_API_PATH, STATUS_SCRIPT_PATH, STATUS_STYLE_PATH, statusPage, type StatusPageOptions } from './status-page.js';
import { STATUS_SCRIPT } from './status-script.js';
import { STATUS_STYLE } from './status-style.js';

/** Paths these routes answer (the app answers other methods on them with 405). */
export const STATUS_PATHS = ['/', ANALYSIS_API_PATH, STATUS_SCRIPT_PATH, STATUS_STYLE_PATH] as const;

export interface StatusRoutesOptions extends StatusPageOptions {
  /**
   * The /api/v1/analysis document (docs/api.md), built by the caller from the agent's latest
   * collection; absent, the API path is not served.
   */
  readonly analysisDocument?: () => Promise<unknown>;
}

/** The status page at `/`, its script and stylesheet, and the JSON API it reads. */
export function statusRoutes(options: StatusRoutesOptions, logger: Logger): Router {
  const router = Router();
  const page = statusPage(options);
  router.get('/', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(page);
  });
  router.get(STATUS_SCRIPT_PATH, (_req, res) => {
    res.type('application/javascript').send(STATUS_SCRIPT);
  });
  router.get(STATUS_STYLE_PATH, (_req, res) => {
    res.type('text/css').send(STATUS_STYLE);
  });
  const document = options.analysisDocument;
  if (document) {
    router.get(ANALYSIS_API_PATH, async (_req, res) => {
      try {
        res.set('Cache-Control', 'no-store').json(await document());
      } catch (error) {
        logger.error({ err: error }, 'building the analysis document failed');
        res.status(500).type('text/plain').send(`error: ${errorMessage(error)}\n`);
      }
    });
  }
  return router;
}
