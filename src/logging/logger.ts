import logfmt from 'logfmt';
import { pino, type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly format: 'logfmt' | 'json';
  /** Defaults to standard error, as Prometheus exporters log. */
  readonly destination?: NodeJS.WritableStream;
}

/** Re-encodes pino's JSON lines as logfmt (`ts=... level=info msg=...`), synchronously: no worker thread. */
function logfmtStream(out: NodeJS.WritableStream): DestinationStream {
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
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.format === 'json' ? (out as DestinationStream) : logfmtStream(out),
  );
}
