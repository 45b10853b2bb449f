import type { Logger } from 'pino';
import { ownFamiliesOnly, type MetricsExposition } from '../metrics/scrape-exposition.js';
import { writeTextfile } from './textfile-writer.js';

export interface TextfileExportOptions {
  readonly directory: string;
  /** From the start of one write to the start of the next. */
  readonly intervalMs: number;
  /** How long a write may wait for the exposition (a collection in scrape mode, the first one in background mode). */
  readonly collectionTimeoutMs: number;
}

/**
 * Textfile mode (--textfile.directory): rewrites rds_leak.prom every interval for a textfile collector
 * (windows_exporter's) on hosts that allow no new port. It reads the same exposition as /metrics: the
 * background collection's latest result (no collection of its own), or in scrape mode a collection
 * through the same CollectionService, so both share one zombie grace-period history.
 */
export class TextfileExport {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly exposition: MetricsExposition,
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
    const rendered = await this.exposition.render(Date.now() + this.options.collectionTimeoutMs);
    const body = ownFamiliesOnly(rendered.body.toString('utf8'));
    const path = await writeTextfile(this.options.directory, body);
    this.logger.debug({ path, bytes: Buffer.byteLength(body) }, 'textfile written');
  }
}
