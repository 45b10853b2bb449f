import { enumFlag, textFlag } from '../flags/flag.js';
import type { FlagValues } from '../flags/flag-values.js';
import { LOG_FILE_STDERR } from './log-output.js';
import type { LoggerOptions, TextSink } from './logger.js';

export const LOG_LEVEL = enumFlag({ name: 'log.level', help: 'Only log messages with the given severity or above.', choices: ['debug', 'info', 'warn', 'error'], default: 'info' });
export const LOG_FORMAT = enumFlag({ name: 'log.format', help: 'Output format of log messages.', choices: ['logfmt', 'json'], default: 'logfmt' });

export const LOG_FILE = textFlag({
  name: 'log.file',
  help:
    'Where logs go: stderr, eventlog (warnings and errors also to the Windows Event Log, source rds-leak-exporter), or a file path (rotated at 10 MiB, 5 old files kept). ' +
    'Under the Windows service, stderr means eventlog plus %ProgramData%\\rds-leak-exporter\\logs\\rds-leak-exporter.log.',
  default: LOG_FILE_STDERR,
  placeholder: '<stderr|eventlog|path>',
  check: (v) => (v.trim() === '' ? 'expected stderr, eventlog or a file path' : null),
});

export const LOG_FLAGS = [LOG_LEVEL, LOG_FORMAT, LOG_FILE] as const;

export function loggerOptionsFrom(values: FlagValues, output: { destination?: TextSink; alerts?: TextSink } = {}): LoggerOptions {
  return { level: values.get(LOG_LEVEL), format: values.get(LOG_FORMAT), ...output };
}
