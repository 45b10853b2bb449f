import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CollectionService } from '../collection/collection-service.js';
import type { AnalysisMetricsOptions } from '../metrics/flags.js';
import { renderExposition } from '../metrics/exposition.js';
import { writeTextfile } from './textfile-writer.js';

export interface TextfileExportOptions {
  readonly directory: string;
  /** From the start of one collection to the start of the next. */
  readonly intervalMs: number;
  /** Budget of each collection. */
  readonly collectionTimeoutMs: number;
  readonly metrics: AnalysisMetricsOptions;
}

/**
 * Textfile mode (--textfile.directory): collects every interval and rewrites rds_leak.prom for a textfile
 * collector (windows_exporter's) on hosts that allow no new port. Collections go through the same
 * CollectionService as HTTP scrapes, so both share one collection and one zombie grace-period history.
 */
export class TextfileExport {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly service: CollectionService,
    private readonly exporterRegistry: Registry,
    private readonly options: TextfileExportOptions,
    private readonly logger: Logger,
  ) {}

  /** Writes the file once (a failure here is thrown: the directory is unusable), then every interval. */
  async start(): Promise<void> {
    await this.writeOnce();
    this.schedule(this.options.intervalMs);
  }

  /** Stops the loop and waits for a write in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      this.running = this.writeOnce()
        .catch((error: unknown) => this.logger.error({ err: error, directory: this.options.directory }, 'writing the textfile failed'))
        .finally(() => {
          this.running = null;
          this.schedule(Math.max(0, this.options.intervalMs - (Date.now() - started)));
        });
    }, delayMs);
  }

  private async writeOnce(): Promise<void> {
    const result = await this.service.collect(Date.now() + this.options.collectionTimeoutMs);
    const { body } = await renderExposition({
      exporterRegistry: this.exporterRegistry,
      analysis: result.analysis,
      collectionTimedOut: result.timedOut,
      metrics: this.options.metrics,
      ownMetricsOnly: true,
    });
    const path = await writeTextfile(this.options.directory, body);
    this.logger.debug({ path, bytes: Buffer.byteLength(body) }, 'textfile written');
  }
}
