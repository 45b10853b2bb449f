import logfmt from 'logfmt';
import { pino, type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly format: 'logfmt' | 'json';
  /** Defaults to standard error, as Prometheus exporters log. */
  readonly destination?: TextSink;
  /** Also receives warnings and errors as pino JSON lines (the Windows Event Log: src/logging/log-output.ts). */
  readonly alerts?: TextSink;
}

export interface TextSink {
  write(line: string): unknown;
}

/** Re-encodes pino's JSON lines as logfmt (`ts=... level=info msg=...`), synchronously: no worker thread. */
function logfmtStream(out: TextSink): DestinationStream {
  return {
    write(line: string) {
      const record = JSON.parse(line) as Record<string, unknown>;
      const { time, level, msg, ...rest } = record;
      const ordered: Record<string, unknown> = { ts: time, level, msg };
      for (const [k, v] of Object.entries(rest)) ordered[k] = typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
      out.write(`${logfmt.stringify(ordered)}\n`);
    },
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? process.stderr;
  const formatted = options.format === 'json' ? (out) : logfmtStream(out);
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.alerts
      ? pino.multistream([
          { level: 'debug', stream: formatted },
          { level: 'warn', stream: options.alerts },
        ])
      : formatted,
  );
}
