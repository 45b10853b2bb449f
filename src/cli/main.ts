import { errorMessage, RdsLeakError, UsageError } from '../errors.js';
import { LOG_FILE, loggerOptionsFrom } from '../logging/flags.js';
import { LOG_FILE_STDERR, LogOutput } from '../logging/log-output.js';
import { serveUntilStopped } from '../platform/serve-host.js';
import { runServiceCommand } from '../platform/windows/service-cli.js';
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
import { isWindows } from '../platform/os.js';

export type { Io };

/**
 * Runs the CLI. Returns the exit code for one-shot commands; for `serve`, resolves once listening and
 * returns null (the process then lives until a signal).
 */
export async function main(argv: readonly string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number | null> {
  // `service ...` manages the Windows service: its own sub-commands, no agent flags (src/platform/windows).
  if (argv[0] === 'service') return runServiceCommand(argv.slice(1), io);
  let invocation: Invocation;
  try {
    invocation = parseCommandLine(argv);
  } catch (error) {
    // Under the SCM a configuration mistake must still reach it and the Event Log (a service has no console).
    if (isWindows() && !argv.some((a) => a === 'snapshot' || a === 'report' || a === 'analyze')) return reportToServiceControl(error, io);
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
  let logOutput: LogOutput;
  try {
    logOutput = await LogOutput.open(flags.get(LOG_FILE), io.stderr);
  } catch (error) {
    return fail(error, io);
  }
  const logger = createLogger(loggerOptionsFrom(flags, { destination: logOutput.destination, alerts: logOutput.alerts }));
  try {
    switch (command) {
      // One-shot commands flush a log file before the process ends (serve closes it when it stops).
      case 'snapshot':
        return await snapshotCommand(flags, logger.child({ command }), io).finally(() => logOutput.close());
      case 'report':
        return await reportCommand(flags, logger.child({ command }), io).finally(() => logOutput.close());
      case 'analyze': {
        if (positionals.length === 0) throw new UsageError('E_USAGE', 'analyze needs at least one capture file (see docs/analyze.md)');
        const metrics = metricsOptionsFrom(flags);
        return await runAnalyze(positionals, flags.get(REPORT_FORMAT), io, {
          zombieLogonTypes: analysisOptionsFrom(flags).zombieLogonTypes,
          includeUserNames: metrics.includeUserNames,
        });
      }
      case 'serve':
        return await serveUntilStopped(
          async () => {
            const server = await startServer(flags, logger, { notices: io.stderr });
            // SIGHUP's default action ends the process: here it re-reads the web config, as exporters do.
            // (On Windows SIGHUP means the console window closes: leave that alone.)
            if (!isWindows()) process.on('SIGHUP', () => server.reloadWebConfig('SIGHUP'));
            return { stop: () => server.close() };
          },
          { logger, logOutput },
        );
    }
  } catch (error) {
    return fail(error, io);
  }
}

/** Reports a failed start to the SCM when it started us (STOPPED with the exit code); else one line as usual. */
async function reportToServiceControl(error: unknown, io: Io): Promise<number | null> {
  try {
    const logOutput = await LogOutput.open(LOG_FILE_STDERR, io.stderr);
    const logger = createLogger({ level: 'info', format: 'logfmt', destination: logOutput.destination, alerts: logOutput.alerts });
    return await serveUntilStopped(() => Promise.reject(error instanceof Error ? error : new Error(String(error))), { logger, logOutput });
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
