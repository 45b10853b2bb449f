import { errorMessage, RdsLeakError, UsageError } from '../errors.js';
import { loggerOptionsFrom } from '../logging/flags.js';
import { createLogger } from '../logging/logger.js';
import { runAnalyze } from '../captures/analyze-command.js';
import { analysisOptionsFrom } from '../analysis/flags.js';
import { metricsOptionsFrom } from '../metrics/flags.js';
import { REPORT_FORMAT } from '../report/flags.js';
import { VERSION } from '../version.js';
import { parseCommandLine, type Invocation } from './command-line.js';
import { COMMANDS_WITH_FILES, HELP, VERSION_FLAG } from './flags.js';
import { helpText } from './help.js';
import type { Io } from './io.js';
import { reportCommand } from './report-command.js';
import { startServer } from './serve-command.js';
import { snapshotCommand } from './snapshot-command.js';

export type { Io };

/**
 * Runs the CLI. Returns the exit code for one-shot commands; for `serve`, resolves once listening and
 * returns null (the process then lives until a signal).
 */
export async function main(argv: readonly string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number | null> {
  let invocation: Invocation;
  try {
    invocation = parseCommandLine(argv);
  } catch (error) {
    return fail(error, io);
  }
  const { command, positionals, flags } = invocation;
  if (flags.get(HELP)) {
    io.stdout.write(helpText());
    return 0;
  }
  if (flags.get(VERSION_FLAG)) {
    io.stdout.write(`rds-leak-exporter ${VERSION} (node ${process.version}, ${process.platform}/${process.arch})\n`);
    return 0;
  }
  const firstPositional = positionals[0];
  if (firstPositional !== undefined && !COMMANDS_WITH_FILES.includes(command)) return fail(new UsageError('E_USAGE', `unexpected argument "${firstPositional}"`), io);
  const logger = createLogger(loggerOptionsFrom(flags, io.stderr));
  try {
    switch (command) {
      case 'snapshot':
        return await snapshotCommand(flags, logger.child({ command }), io);
      case 'report':
        return await reportCommand(flags, logger.child({ command }), io);
      case 'analyze': {
        if (positionals.length === 0) throw new UsageError('E_USAGE', 'analyze needs at least one capture file (see docs/analyze.md)');
        const metrics = metricsOptionsFrom(flags);
        return await runAnalyze(positionals, flags.get(REPORT_FORMAT), io, {
          zombieLogonTypes: analysisOptionsFrom(flags).zombieLogonTypes,
          includeUserNames: metrics.includeUserNames,
        });
      }
      case 'serve': {
        const server = await startServer(flags, logger, io.stderr);
        const stop = (signal: string) => {
          logger.info({ signal }, 'shutting down');
          server.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
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
