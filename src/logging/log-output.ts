/**
 * Where log records go (--log.file): `stderr` (default), `eventlog` (warnings and errors to the Windows
 * Event Log) or a file path (rotated by size, a bounded number of old files kept: rotating-file-stream).
 * Running as a Windows service, `stderr` (which a service does not have) becomes the service default:
 * warnings and errors to the Event Log plus every record to a rotated file under
 * %ProgramData%\rds-leak-exporter\logs.
 *
 * `destination` receives the formatted records (logfmt or JSON); `alerts` receives pino's JSON lines
 * of warnings and errors (src/logger.ts routes them). Both forward to the current targets, so the
 * service can redirect them after the logger exists.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { RdsLeakError, UsageError, errorMessage } from '../errors.js';
import type { TextSink } from './logger.js';
import { isWindows } from '../platform/os.js';

export const LOG_FILE_STDERR = 'stderr';
export const LOG_FILE_EVENTLOG = 'eventlog';

/** Rotation: a new file past 10 MiB, at most 5 old ones kept (`<name>.1` newest .. `<name>.5`). */
export interface RotationPolicy {
  readonly size: string;
  readonly keep: number;
}
export const DEFAULT_ROTATION: RotationPolicy = { size: '10M', keep: 5 };

export interface AlertSink extends TextSink {
  close(): void;
}

/** Opens the Event Log sink (win32 only: koffi bindings loaded on demand). */
export type OpenEventLog = (fallback: TextSink) => Promise<AlertSink>;

async function openWindowsEventLog(fallback: TextSink): Promise<AlertSink> {
  if (!isWindows()) throw new UsageError('E_USAGE', `--log.file=${LOG_FILE_EVENTLOG} needs Windows (this is ${process.platform})`);
  const [{ loadEventLogApi }, { EventLogSink }, { SERVICE_NAME }] = await Promise.all([
    import('../platform/windows/win32-service-bindings.js'),
    import('../platform/windows/event-log-sink.js'),
    import('../platform/windows/scm-constants.js'),
  ]);
  return new EventLogSink(loadEventLogApi(), SERVICE_NAME, fallback);
}

export function openRotatingFile(path: string, rotation: RotationPolicy = DEFAULT_ROTATION): RotatingFileStream {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new RdsLeakError('E_LOG_FILE', `--log.file: cannot create the directory of ${path}: ${errorMessage(error)}`);
  }
  const stream = createStream(basename(path), { path: dirname(path), size: rotation.size, rotate: rotation.keep });
  return stream;
}

export class LogOutput {
  private text: TextSink;
  private file: RotatingFileStream | null = null;
  private alertSink: AlertSink | null = null;

  readonly destination: TextSink = { write: (line: string) => this.text.write(line) };
  readonly alerts: TextSink = { write: (line: string) => this.alertSink?.write(line) };

  private constructor(
    readonly logFile: string,
    private readonly stderr: TextSink,
    private readonly openEventLog: OpenEventLog,
    private readonly rotation: RotationPolicy,
  ) {
    this.text = stderr;
  }

  static async open(logFile: string, stderr: TextSink, options: { openEventLog?: OpenEventLog; rotation?: RotationPolicy } = {}): Promise<LogOutput> {
    const output = new LogOutput(logFile, stderr, options.openEventLog ?? openWindowsEventLog, options.rotation ?? DEFAULT_ROTATION);
    if (logFile === LOG_FILE_EVENTLOG) await output.useEventLog();
    else if (logFile !== LOG_FILE_STDERR) output.useFile(logFile);
    return output;
  }

  /** Under the SCM: `stderr` means the service default (Event Log + rotated file at `defaultFile`). */
  async useServiceDefaults(defaultFile: string): Promise<void> {
    if (this.logFile !== LOG_FILE_STDERR) return;
    // Each destination without the other rather than none: the Event Log first, so it can tell a file problem.
    let eventLogError: unknown = null;
    try {
      await this.useEventLog();
    } catch (error) {
      eventLogError = error;
    }
    try {
      this.useFile(defaultFile);
    } catch (error) {
      this.alerts.write(`${JSON.stringify({ level: 'error', msg: 'cannot open the log file: logging to the Event Log only', file: defaultFile, err: errorMessage(error) })}\n`);
    }
    if (eventLogError !== null) this.text.write(`rds-leak-exporter: the Event Log is not available, logging to ${defaultFile} only: ${errorMessage(eventLogError)}\n`);
  }

  private useFile(path: string): void {
    const file = openRotatingFile(path, this.rotation);
    file.on('error', (error: Error) => this.stderr.write(`rds-leak-exporter: cannot write the log file ${path}: ${error.message}\n`));
    this.file = file;
    this.text = file;
  }

  private async useEventLog(): Promise<void> {
    this.alertSink = await this.openEventLog(this.stderr);
  }

  /** Flushes and closes the file and the Event Log source (before the process exits). */
  async close(): Promise<void> {
    this.alertSink?.close();
    this.alertSink = null;
    const file = this.file;
    this.file = null;
    this.text = this.stderr;
    if (file) await new Promise<void>((resolve) => file.end(() => resolve()));
  }
}
