import type { Logger } from 'pino';
import { analyzeSnapshot, type AnalysisResult } from '../analysis/analyze.js';
import { formatDuration } from '../config/duration.js';
import { EMPTY_HISTORY } from '../analysis/zombie-tracker.js';
import { parseOptions, type Options } from '../config/options.js';
import { RdsLeakError, errorMessage } from '../errors.js';
import { createLogger } from '../logger.js';
import { renderJsonReport, renderTextReport, reportExitCode, REPORT_EXIT } from '../report/report.js';
import { FileSource } from '../sources/file/file-source.js';
import { serializeSnapshot } from '../sources/file/snapshot-file.js';
import { VERSION } from '../version.js';
import { helpText } from './help.js';
import { analysisOptions, openSource } from './runtime.js';
import { startServer } from './serve-command.js';

export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

async function snapshotCommand(options: Options, logger: Logger, io: Io): Promise<number> {
  const source = await openSource(options, logger);
  try {
    const snapshot = await source.collect({ deadline: Date.now() + options.collectionTimeoutMs });
    io.stdout.write(serializeSnapshot(snapshot));
    return 0;
  } finally {
    await source.close();
  }
}

async function reportCommand(options: Options, logger: Logger, io: Io): Promise<number> {
  const source = await openSource(options, logger);
  const collect = () => source.collect({ deadline: Date.now() + options.collectionTimeoutMs });
  try {
    let history = EMPTY_HISTORY;
    let result: AnalysisResult | null = null;
    if (source instanceof FileSource) {
      // A recorded sequence is replayed whole, so the recording's own clock applies the grace period.
      for (let i = 0; i < source.length; i++) {
        result = analyzeSnapshot(await collect(), history, analysisOptions(options));
        history = result.history;
      }
    } else {
      result = analyzeSnapshot(await collect(), history, analysisOptions(options));
      const pending = result.analysis.pendingCandidates;
      if (pending > 0 && options.gracePeriodMs > 0) {
        // Orphaned logon sessions are zombies only if they stay so for the grace period: a logoff in
        // progress must not make a monitoring check fail. Wait it out (in the source's time) and look again.
        const waitMs = options.gracePeriodMs / (source.timeScale ?? 1);
        io.stderr.write(
          `rds-leak-exporter: ${pending} logon session${pending > 1 ? 's look' : ' looks'} orphaned; waiting ${formatDuration(Math.ceil(waitMs / 1000) * 1000)} (the grace period) to confirm (--zombie.grace-period=0s skips this)\n`,
        );
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        result = analyzeSnapshot(await collect(), result.history, analysisOptions(options));
      }
    }
    if (!result) return REPORT_EXIT.error;
    io.stdout.write(options.reportFormat === 'json' ? renderJsonReport(result.analysis) : renderTextReport(result.analysis));
    return reportExitCode(result.analysis);
  } finally {
    await source.close();
  }
}

/**
 * Runs the CLI. Returns the exit code for one-shot commands; for `serve`, resolves once listening and
 * returns null (the process then lives until a signal).
 */
export async function main(argv: readonly string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number | null> {
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    return fail(error, io);
  }
  if (options.help) {
    io.stdout.write(helpText());
    return 0;
  }
  if (options.version) {
    io.stdout.write(`rds-leak-exporter ${VERSION} (node ${process.version}, ${process.platform}/${process.arch})\n`);
    return 0;
  }
  const logger = createLogger({ level: options.logLevel, format: options.logFormat, destination: io.stderr });
  try {
    switch (options.command) {
      case 'snapshot':
        return await snapshotCommand(options, logger, io);
      case 'report':
        return await reportCommand(options, logger, io);
      case 'serve': {
        const server = await startServer(options, logger);
        const stop = (signal: string) => {
          logger.info({ signal }, 'shutting down');
          server.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
        // SIGHUP's default action ends the process: here it re-reads the web config, as exporters do.
        process.on('SIGHUP', () => server.reloadWebConfig('SIGHUP'));
        return null;
      }
    }
  } catch (error) {
    return fail(error, io);
  }
}

/** One line for known errors (exit 2 for usage); a stack only for bugs. */
function fail(error: unknown, io: Io): number {
  if (error instanceof RdsLeakError) {
    io.stderr.write(`rds-leak-exporter: ${error.message}\n`);
    return error.exitCode;
  }
  io.stderr.write(`rds-leak-exporter: internal error: ${errorMessage(error)}\n${error instanceof Error ? (error.stack ?? '') : ''}\n`);
  return 1;
}
