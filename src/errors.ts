/**
 * Errors with stable codes. `exitCode` 2 marks a usage error: the CLI prints the message alone, never a
 * stack trace.
 */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_SNAPSHOT_INVALID'
  | 'E_SNAPSHOT_READ'
  | 'E_SOURCE_UNAVAILABLE'
  | 'E_LISTEN'
  | 'E_NATIVE_DECODE'
  | 'E_NATIVE_CALL'
  | 'E_COLLECTOR_TIMEOUT'
  | 'E_TEXTFILE_WRITE';

export class RdsLeakError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RdsLeakError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A mistake of the user (flag, config file, input file): exit code 2, one line, no stack. */
export class UsageError extends RdsLeakError {
  constructor(code: Extract<ErrorCode, 'E_USAGE' | 'E_CONFIG' | 'E_SNAPSHOT_INVALID' | 'E_SNAPSHOT_READ' | 'E_SOURCE_UNAVAILABLE'>, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, exitCode: 2 });
    this.name = 'UsageError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
