/**
 * Every error code the agent uses, declared once with its exit status, what it means and what to do
 * (fastify's lib/errors.js is the model). docs/errors.md is generated from this table, and a test checks
 * that every code is thrown somewhere and every code thrown is here. The same condition therefore always
 * exits with the same status: 2 for a mistake of the user, 1 for a failure of the host or the agent.
 */
export const ERROR_CATALOG = {
  E_USAGE: {
    exitCode: 2,
    meaning: 'A flag, command or argument on the command line is wrong (unknown, repeated, out of range, missing a value).',
    action: 'Read the message: it names the flag. `rds-leak-exporter --help` lists every flag with its range.',
  },
  E_CONFIG: {
    exitCode: 2,
    meaning: 'The `--config.file` YAML or the `--web.config.file` cannot be read or holds a wrong key or value.',
    action: 'Fix the file at the line the message names. Keys are flag names without the leading `--`.',
  },
  E_LISTEN: {
    exitCode: 2,
    meaning: 'The agent cannot listen on `--web.listen-address` (address in use, not on this host, permission denied).',
    action: 'Stop the other process on the port or choose another address; on Windows check `netstat -ano | findstr :10189`.',
  },
  E_SNAPSHOT_READ: {
    exitCode: 2,
    meaning: 'A snapshot file for `--source file` cannot be read (missing, not a regular file, empty directory).',
    action: 'Check the path given to `--file.path`; directories are read for `*.json` files in name order.',
  },
  E_SNAPSHOT_INVALID: {
    exitCode: 2,
    meaning: 'A snapshot file is not valid JSON or does not follow the snapshot schema; the message names file, line and field.',
    action: 'Record the snapshot again with `rds-leak-exporter snapshot`, or fix the named field.',
  },
  E_CAPTURE_READ: {
    exitCode: 2,
    meaning: 'A capture file given to `analyze` cannot be read (missing, a directory, no permission, or over 256 MiB).',
    action: 'Check the path; give one file per command output (docs/analyze.md).',
  },
  E_CAPTURE_UNRECOGNISED: {
    exitCode: 2,
    meaning: 'A file given to `analyze` is not output of a supported tool, is not the tool its name announces, or no record could be read from it.',
    action: 'Send the plain output of logonsessions, handle, qwinsta/quser or klist sessions, one command per file (docs/analyze.md).',
  },
  E_TEXTFILE_WRITE: {
    exitCode: 1,
    meaning: '`rds_leak.prom` could not be written or renamed in `--textfile.directory` (the rename is retried for about 1.3 s while a reader holds the file). Fatal only for the first write at start; later failures are logged and retried at the next interval.',
    action: 'Check the directory\'s permissions and free space (the service runs as LocalSystem).',
  },
  E_SOURCE_UNAVAILABLE: {
    exitCode: 2,
    meaning: 'The chosen source cannot run here: `--source windows` off Windows, or the native bindings (koffi) cannot load.',
    action: 'Use `--source simulate` or `--source file` off Windows; on Windows reinstall so the koffi addon is present.',
  },
  E_SERVICE_ACCESS_DENIED: {
    exitCode: 2,
    meaning: '`service install|uninstall|start|stop|configure` was refused by the Service Control Manager: the prompt is not elevated.',
    action: 'Run it from an elevated prompt (Run as administrator), or deploy with the MSI.',
  },
  E_SERVICE_EXISTS: {
    exitCode: 2,
    meaning: '`service install`: the service rds-leak-exporter is already installed, or still marked for deletion.',
    action: '`rds-leak-exporter service uninstall` first; if it is marked for deletion, close services.msc and try again.',
  },
  E_SERVICE_MISSING: {
    exitCode: 2,
    meaning: 'The service rds-leak-exporter is not installed (or already marked for deletion).',
    action: '`rds-leak-exporter service install`, or install the MSI.',
  },
  E_SERVICE_CALL: {
    exitCode: 1,
    meaning: 'A Service Control Manager call failed (the Win32 error is printed), or the service did not reach RUNNING or STOPPED in time.',
    action: 'Look in the Event Log (Application, source rds-leak-exporter) and the log file under %ProgramData%\\rds-leak-exporter\\logs.',
  },
  E_LOG_FILE: {
    exitCode: 2,
    meaning: 'The directory of the `--log.file` path cannot be created or written.',
    action: 'Fix the path or its permissions, or use `--log.file=stderr` / `eventlog`.',
  },
  E_NATIVE_CALL: {
    exitCode: 1,
    meaning: 'A Windows API call of one collector failed (e.g. WTSEnumerateSessions, LsaEnumerateLogonSessions, NtQuerySystemInformation).',
    action: 'The collector reports `rdsleak_collector_success 0` and the rest is still served. Check that the agent runs as LocalSystem or elevated; see docs/windows-verification.md.',
  },
  E_NATIVE_DECODE: {
    exitCode: 1,
    meaning: 'Memory returned by a Windows API call does not have the expected layout (out of range, impossible value).',
    action: 'The collector is marked failed. Report it with `rds-leak-exporter snapshot` output and the Windows build number.',
  },
  E_AGENT_ANSWER: {
    exitCode: 2,
    meaning: '`report`: the running agent answered but its answer cannot be used (credentials refused, a certificate other than the one in `--web.config.file`, an error status, or not the analysis JSON).',
    action: 'With basic auth give `--agent.basic-auth-user` and the password in RDSLEAK_AGENT_PASSWORD; check the agent\'s log; `--agent.url` names another agent.',
  },
} as const satisfies Record<string, { exitCode: 1 | 2; meaning: string; action: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Codes of the user's own mistakes (exit 2): printed as one line, never with a stack trace. */
export type UsageErrorCode = { [C in ErrorCode]: (typeof ERROR_CATALOG)[C]['exitCode'] extends 2 ? C : never }[ErrorCode];

export class RdsLeakError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RdsLeakError';
    this.code = code;
    this.exitCode = ERROR_CATALOG[code].exitCode;
  }
}

/** A mistake of the user (flag, config file, input file): exit code 2, one line, no stack. */
export class UsageError extends RdsLeakError {
  constructor(code: UsageErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'UsageError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The table of docs/errors.md (between its `errors` markers), generated so it cannot drift. */
export function errorsMarkdownTable(): string {
  const rows = ['| code | exit status | meaning | what to do |', '|---|---|---|---|'];
  for (const [code, e] of Object.entries(ERROR_CATALOG)) rows.push(`| \`${code}\` | ${e.exitCode} | ${e.meaning} | ${e.action} |`);
  return `${rows.join('\n')}\n`;
}
