import type { Logger } from 'pino';
import { analyzeSnapshot, type AnalysisResult } from '../analysis/analyze.js';
import { formatDuration } from '../config/duration.js';
import { EMPTY_HISTORY } from '../analysis/zombie-tracker.js';
import { parseOptions, type Options } from '../config/options.js';
import { RdsLeakError, errorMessage } from '../errors.js';
import { createLogger } from '../logger.js';
import { LogOutput } from '../logging/log-output.js';
import { serveUntilStopped } from '../platform/serve-host.js';
import { runServiceCommand } from '../platform/windows/service-cli.js';
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
  if (argv[0] === 'service') return runServiceCommand(argv.slice(1), io);
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    // Under the SCM a configuration mistake must still reach it and the Event Log (a service has no console).
    if (process.platform === 'win32' && !argv.some((a) => a === 'snapshot' || a === 'report')) return reportToServiceControl(error, io);
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
  let logOutput: LogOutput;
  try {
    logOutput = await LogOutput.open(options.logFile, io.stderr);
  } catch (error) {
    return fail(error, io);
  }
  const logger = createLogger({ level: options.logLevel, format: options.logFormat, destination: logOutput.destination, alerts: logOutput.alerts });
  try {
    switch (options.command) {
      case 'snapshot':
        // One-shot commands flush a log file before the process ends (serve closes it when it stops).
        return await snapshotCommand(options, logger, io).finally(() => logOutput.close());
      case 'report':
        return await reportCommand(options, logger, io).finally(() => logOutput.close());
      case 'serve':
        return await serveUntilStopped(async () => {
          const server = await startServer(options, logger);
          return { stop: () => server.close() };
        }, { logger, logOutput });
    }
  } catch (error) {
    return fail(error, io);
  }
}

/** Reports a failed start to the SCM when it started us (STOPPED with the exit code); else one line as usual. */
async function reportToServiceControl(error: unknown, io: Io): Promise<number | null> {
  try {
    const logOutput = await LogOutput.open('stderr', io.stderr);
    const logger = createLogger({ level: 'info', format: 'logfmt', destination: logOutput.destination, alerts: logOutput.alerts });
    return await serveUntilStopped(() => Promise.reject(error), { logger, logOutput });
  } catch {
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
