import { enumFlag } from '../flags/flag.js';
import type { FlagValues } from '../flags/flag-values.js';
import type { LoggerOptions } from './logger.js';

export const LOG_LEVEL = enumFlag({ name: 'log.level', help: 'Only log messages with the given severity or above.', choices: ['debug', 'info', 'warn', 'error'], default: 'info' });
export const LOG_FORMAT = enumFlag({ name: 'log.format', help: 'Output format of log messages.', choices: ['logfmt', 'json'], default: 'logfmt' });

export const LOG_FLAGS = [LOG_LEVEL, LOG_FORMAT] as const;

export function loggerOptionsFrom(values: FlagValues, destination?: NodeJS.WritableStream): LoggerOptions {
  return { level: values.get(LOG_LEVEL), format: values.get(LOG_FORMAT), ...(destination ? { destination } : {}) };
}
