/**
 * What `service install` registers, as data (portable: unit-tested on Linux; the MSI declares the same
 * service name, account and arguments). One declaration per fact: the failure policy, the timeouts and
 * the Event Log source are read from here by the install command and the docs test.
 */
import { win32 } from 'node:path';
import type { CreateServiceSpec, RegistryValue, ServiceConfig2 } from './service-api.js';
import {
  EVENTLOG_ERROR_TYPE,
  EVENTLOG_INFORMATION_TYPE,
  EVENTLOG_WARNING_TYPE,
  SC_ACTION_RESTART,
  SERVICE_ALL_ACCESS,
  SERVICE_AUTO_START,
  SERVICE_DESCRIPTION,
  SERVICE_DISPLAY_NAME,
  SERVICE_ERROR_NORMAL,
  SERVICE_NAME,
  SERVICE_WIN32_OWN_PROCESS,
} from './scm-constants.js';

/** Restart after 1 min, again after 1 min, then every 5 min; the count resets after a day without failure. */
export const FAILURE_RESTART_DELAYS_MS = [60_000, 60_000, 300_000] as const;
export const FAILURE_RESET_PERIOD_SECONDS = 86_400;
/** How long Windows waits for the service at shutdown before SHUTDOWN (PRESHUTDOWN timeout). */
export const PRESHUTDOWN_TIMEOUT_MS = 15_000;
/** The wait hint reported while starting and while stopping; the stop is cut short before it ends. */
export const START_WAIT_HINT_MS = 30_000;
export const STOP_WAIT_HINT_MS = 10_000;

/** The message-table DLL (npm run build:messages) shipped next to the executable. */
export const EVENT_MESSAGE_DLL = 'rds-leak-exporter-messages.dll';
export const EVENT_SOURCE_KEY = `SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\${SERVICE_NAME}`;

/** The config file the service reads unless `--config.file` is given to `service install`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const programData = env.ProgramData ?? env.PROGRAMDATA ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData';
  return win32.join(programData, SERVICE_NAME, 'config.yaml');
}

/** Where the service writes its rotated log file when `--log.file` is not given. */
export function defaultServiceLogPath(env: NodeJS.ProcessEnv): string {
  const programData = env.ProgramData ?? env.PROGRAMDATA ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData';
  return win32.join(programData, SERVICE_NAME, 'logs', `${SERVICE_NAME}.log`);
}

/** One command-line argument quoted as CommandLineToArgvW reads it back. */
export function quoteArgument(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  // Backslashes are literal except before a quote: double those, and any at the end.
  const escaped = arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1');
  return `"${escaped}"`;
}

/** The service's ImagePath: the executable always quoted (a path with spaces must not be split), then the arguments. */
export function serviceCommandLine(executable: string, args: readonly string[]): string {
  return [`"${executable}"`, ...args.map(quoteArgument)].join(' ');
}

export function serviceArguments(configPath: string, extra: readonly string[] = []): string[] {
  return ['serve', '--config.file', configPath, ...extra];
}

export function createServiceSpec(binaryPathName: string): CreateServiceSpec {
  return {
    name: SERVICE_NAME,
    displayName: SERVICE_DISPLAY_NAME,
    desiredAccess: SERVICE_ALL_ACCESS,
    serviceType: SERVICE_WIN32_OWN_PROCESS,
    startType: SERVICE_AUTO_START,
    errorControl: SERVICE_ERROR_NORMAL,
    binaryPathName,
    account: null,
  };
}

/** The ChangeServiceConfig2W calls of `service install`, in order. */
export function serviceConfiguration(): ServiceConfig2[] {
  return [
    { level: 'description', description: SERVICE_DESCRIPTION },
    { level: 'delayedAutoStart', delayed: true },
    {
      level: 'failureActions',
      resetPeriodSeconds: FAILURE_RESET_PERIOD_SECONDS,
      rebootMessage: null,
      command: null,
      actions: FAILURE_RESTART_DELAYS_MS.map((delayMs) => ({ type: SC_ACTION_RESTART, delayMs })),
    },
    // Also restart when the process exits with an error after reporting STOPPED (a failed start).
    { level: 'failureActionsFlag', onNonCrashFailures: true },
    { level: 'preshutdownInfo', timeoutMs: PRESHUTDOWN_TIMEOUT_MS },
  ];
}

/** The Event Log source's registry values: the message DLL next to the executable, all three types. */
export function eventSourceValues(executable: string): RegistryValue[] {
  return [
    { name: 'EventMessageFile', type: 'REG_EXPAND_SZ', data: win32.join(win32.dirname(executable), EVENT_MESSAGE_DLL) },
    { name: 'TypesSupported', type: 'REG_DWORD', data: EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE },
  ];
}
