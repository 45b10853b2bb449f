/**
 * `rds-leak-exporter service install|uninstall|start|stop|status`: registers and drives the Windows
 * service through the Service Control Manager (advapi32), with no sc.exe or wrapper. Portable: every
 * Win32 call goes through {@link ServiceCommandApi}, so the exact calls are unit-tested on Linux; the
 * koffi bindings are loaded only on win32.
 *
 * Exit status: 0 done; 1 a Win32 call failed; 2 usage, not elevated, already installed, not installed;
 * `status` exits 0 when RUNNING and 3 when installed but not running (as LSB init scripts do).
 */
import { parseArgs } from 'node:util';
import { RdsLeakError, UsageError, errorMessage } from '../../errors.js';
import type { RegistryApi, ScmApi, ServiceStatusProcess } from './service-api.js';
import {
  DELETE,
  ERROR_ACCESS_DENIED,
  ERROR_FILE_NOT_FOUND,
  ERROR_INVALID_LEVEL,
  ERROR_SERVICE_ALREADY_RUNNING,
  ERROR_SERVICE_DOES_NOT_EXIST,
  ERROR_SERVICE_EXISTS,
  ERROR_SERVICE_MARKED_FOR_DELETE,
  ERROR_SERVICE_NOT_ACTIVE,
  SC_MANAGER_CONNECT,
  SC_MANAGER_CREATE_SERVICE,
  SERVICE_CHANGE_CONFIG,
  SERVICE_CONTROL_STOP,
  SERVICE_NAME,
  SERVICE_QUERY_STATUS,
  SERVICE_RUNNING,
  SERVICE_START,
  SERVICE_STATE_NAMES,
  SERVICE_STOP,
  SERVICE_STOPPED,
} from './scm-constants.js';
import {
  createServiceSpec,
  defaultConfigPath,
  EVENT_SOURCE_KEY,
  eventSourceValues,
  serviceArguments,
  serviceCommandLine,
  serviceConfiguration,
  START_WAIT_HINT_MS,
  STOP_WAIT_HINT_MS,
} from './service-spec.js';

export const SERVICE_ACTIONS = ['install', 'uninstall', 'start', 'stop', 'status', 'configure'] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

export interface ServiceCommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export interface ServiceCommandApi {
  readonly scm: ScmApi;
  readonly registry: RegistryApi;
}

/** What the command needs from its surroundings; tests replace all of it. */
export interface ServiceCommandContext {
  /** The command line that starts this program: [executable] or [node.exe, script]. */
  readonly program: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly sleep: (ms: number) => Promise<void>;
  readonly fileExists: (path: string) => boolean;
}

export const SERVICE_USAGE = `Usage: rds-leak-exporter service <install|uninstall|start|stop|status|configure> [flags]
  install    register the Windows service (LocalSystem, delayed automatic start, restart on failure,
             Event Log source); it runs: serve --config.file <path>
    --config.file=<path>   default: %ProgramData%\\rds-leak-exporter\\config.yaml
  uninstall  stop the service if it runs, then remove it and its Event Log source
  start      start the service and wait until it is RUNNING
  stop       stop the service and wait until it is STOPPED
  status     print its state; exit 0 RUNNING, 3 not running, 2 not installed
  configure  apply install's settings to an existing service (for installers that create it themselves)
`;

const POLL_MS = 250;

function callFailed(what: string, error: number): RdsLeakError {
  if (error === ERROR_ACCESS_DENIED) {
    return new RdsLeakError('E_SERVICE_ACCESS_DENIED', `${what}: access denied (run from an elevated prompt: Run as administrator)`);
  }
  return new RdsLeakError('E_SERVICE_CALL', `${what} failed (Win32 error ${error})`);
}

const notInstalled = () => new RdsLeakError('E_SERVICE_MISSING', `service ${SERVICE_NAME} is not installed`);

function parse(argv: readonly string[]): { action: ServiceAction; configFile: string | null } {
  let parsed: { values: { 'config.file'?: string | undefined }; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: { 'config.file': { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError('E_USAGE', `service: ${errorMessage(error).split('\n')[0]}`);
  }
  const [action, ...extra] = parsed.positionals;
  if (action === undefined) throw new UsageError('E_USAGE', `service: missing action (expected ${SERVICE_ACTIONS.join(', ')})`);
  if (!(SERVICE_ACTIONS as readonly string[]).includes(action)) throw new UsageError('E_USAGE', `service: unknown action "${action}" (expected ${SERVICE_ACTIONS.join(', ')})`);
  if (extra.length > 0) throw new UsageError('E_USAGE', `service ${action}: unexpected argument "${extra[0]}"`);
  const configFile = parsed.values['config.file'] ?? null;
  if (configFile !== null && action !== 'install') throw new UsageError('E_USAGE', `service ${action}: --config.file applies to install only`);
  return { action: action as ServiceAction, configFile };
}

/** Opens the SCM and the service, runs `body`, closes both. */
async function withService<T>(api: ServiceCommandApi, access: number, body: (service: bigint) => Promise<T>): Promise<T> {
  const manager = api.scm.openManager(SC_MANAGER_CONNECT);
  if (manager.value === null) throw callFailed('OpenSCManagerW', manager.error);
  try {
    const service = api.scm.openService(manager.value, SERVICE_NAME, access);
    if (service.value === null) throw service.error === ERROR_SERVICE_DOES_NOT_EXIST ? notInstalled() : callFailed(`OpenServiceW(${SERVICE_NAME})`, service.error);
    try {
      return await body(service.value);
    } finally {
      api.scm.closeServiceHandle(service.value);
    }
  } finally {
    api.scm.closeServiceHandle(manager.value);
  }
}

function query(api: ServiceCommandApi, service: bigint): ServiceStatusProcess {
  const status = api.scm.queryStatus(service);
  if (status.value === null) throw callFailed('QueryServiceStatusEx', status.error);
  return status.value;
}

/** Polls until the service reaches `state` (or STOPPED, which ends a start too); null on timeout. */
async function waitForState(api: ServiceCommandApi, ctx: ServiceCommandContext, service: bigint, state: number, timeoutMs: number): Promise<ServiceStatusProcess | null> {
  for (let waited = 0; ; waited += POLL_MS) {
    const status = query(api, service);
    if (status.currentState === state || status.currentState === SERVICE_STOPPED) return status;
    if (waited >= timeoutMs) return null;
    await ctx.sleep(POLL_MS);
  }
}

const stateName = (state: number): string => SERVICE_STATE_NAMES[state] ?? `state ${state}`;

/** The settings CreateServiceW cannot take (ChangeServiceConfig2W) and the Event Log source. */
function configureService(api: ServiceCommandApi, io: ServiceCommandIo, service: bigint, executable: string): void {
  for (const config of serviceConfiguration()) {
    const error = api.scm.changeConfig2(service, config);
    if (error === ERROR_INVALID_LEVEL) {
      // Windows has every level since Vista; Wine lacks some (delayed start, failure actions flag).
      io.stderr.write(`rds-leak-exporter: warning: this system does not support the ${config.level} setting (ChangeServiceConfig2W: Win32 error 124); going on without it\n`);
    } else if (error !== 0) throw callFailed(`ChangeServiceConfig2W(${config.level})`, error);
  }
  const error = api.registry.setLocalMachineValues(EVENT_SOURCE_KEY, eventSourceValues(executable));
  if (error !== 0) throw callFailed(`registering the Event Log source (HKLM\\${EVENT_SOURCE_KEY})`, error);
}

/**
 * Applies the same settings to a service created by someone else (the MSI's ServiceInstall, which
 * cannot express failure actions, delayed start or an event source): run by the MSI after install.
 */
async function configure(api: ServiceCommandApi, ctx: ServiceCommandContext, io: ServiceCommandIo): Promise<number> {
  const [executable] = ctx.program;
  if (executable === undefined) throw new RdsLeakError('E_SERVICE_CALL', 'cannot tell the path of this executable');
  // SERVICE_START too: failure actions that restart the service need it.
  await withService(api, SERVICE_CHANGE_CONFIG | SERVICE_START, (service) => Promise.resolve(configureService(api, io, service, executable)));
  io.stdout.write(`configured service ${SERVICE_NAME}: delayed automatic start, restart on failure, preshutdown, Event Log source\n`);
  return 0;
}

async function install(api: ServiceCommandApi, ctx: ServiceCommandContext, io: ServiceCommandIo, configFile: string | null): Promise<number> {
  const configPath = configFile ?? defaultConfigPath(ctx.env);
  const [executable, ...programArgs] = ctx.program;
  if (executable === undefined) throw new RdsLeakError('E_SERVICE_CALL', 'cannot tell the path of this executable');
  const commandLine = serviceCommandLine(executable, [...programArgs, ...serviceArguments(configPath)]);
  const manager = api.scm.openManager(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE);
  if (manager.value === null) throw callFailed('OpenSCManagerW', manager.error);
  try {
    const created = api.scm.createService(manager.value, createServiceSpec(commandLine));
    if (created.value === null) {
      if (created.error === ERROR_SERVICE_EXISTS) throw new RdsLeakError('E_SERVICE_EXISTS', `service ${SERVICE_NAME} is already installed (service uninstall removes it)`);
      if (created.error === ERROR_SERVICE_MARKED_FOR_DELETE) {
        throw new RdsLeakError('E_SERVICE_EXISTS', `service ${SERVICE_NAME} is marked for deletion: close the Services console (services.msc) and try again`);
      }
      throw callFailed('CreateServiceW', created.error);
    }
    const service = created.value;
    try {
      configureService(api, io, service, executable);
    } catch (failure) {
      // Leave nothing half-configured behind: a later install must start from scratch.
      api.scm.deleteService(service);
      throw failure;
    } finally {
      api.scm.closeServiceHandle(service);
    }
  } finally {
    api.scm.closeServiceHandle(manager.value);
  }
  io.stdout.write(`installed service ${SERVICE_NAME}: ${commandLine}\n`);
  if (!ctx.fileExists(configPath)) io.stderr.write(`rds-leak-exporter: note: ${configPath} does not exist yet; create it before starting the service\n`);
  io.stdout.write(`start it with: rds-leak-exporter service start\n`);
  return 0;
}

async function stopAndWait(api: ServiceCommandApi, ctx: ServiceCommandContext, io: ServiceCommandIo, service: bigint): Promise<void> {
  const result = api.scm.controlService(service, SERVICE_CONTROL_STOP);
  if (result.value === null && result.error === ERROR_SERVICE_NOT_ACTIVE) {
    io.stdout.write(`service ${SERVICE_NAME} is not running\n`);
    return;
  }
  if (result.value === null) throw callFailed('ControlService(STOP)', result.error);
  const stopped = await waitForState(api, ctx, service, SERVICE_STOPPED, STOP_WAIT_HINT_MS + 5_000);
  if (stopped === null) throw new RdsLeakError('E_SERVICE_CALL', `service ${SERVICE_NAME} did not stop within ${(STOP_WAIT_HINT_MS + 5_000) / 1000} s`);
  io.stdout.write(`service ${SERVICE_NAME} stopped\n`);
}

async function uninstall(api: ServiceCommandApi, ctx: ServiceCommandContext, io: ServiceCommandIo): Promise<number> {
  await withService(api, DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS, async (service) => {
    if (query(api, service).currentState !== SERVICE_STOPPED) await stopAndWait(api, ctx, io, service);
    const error = api.scm.deleteService(service);
    if (error === ERROR_SERVICE_MARKED_FOR_DELETE) throw new RdsLeakError('E_SERVICE_MISSING', `service ${SERVICE_NAME} is already marked for deletion`);
    if (error !== 0) throw callFailed('DeleteService', error);
  });
  const error = api.registry.deleteLocalMachineKey(EVENT_SOURCE_KEY);
  if (error !== 0 && error !== ERROR_FILE_NOT_FOUND) io.stderr.write(`rds-leak-exporter: warning: could not remove the Event Log source HKLM\\${EVENT_SOURCE_KEY} (Win32 error ${error})\n`);
  io.stdout.write(`uninstalled service ${SERVICE_NAME}\n`);
  return 0;
}

async function start(api: ServiceCommandApi, ctx: ServiceCommandContext, io: ServiceCommandIo): Promise<number> {
  return withService(api, SERVICE_START | SERVICE_QUERY_STATUS, async (service) => {
    const error = api.scm.startService(service);
    if (error === ERROR_SERVICE_ALREADY_RUNNING) {
      io.stdout.write(`service ${SERVICE_NAME} is already running\n`);
      return 0;
    }
    if (error !== 0) throw callFailed('StartServiceW', error);
    const status = await waitForState(api, ctx, service, SERVICE_RUNNING, START_WAIT_HINT_MS);
    if (status === null) throw new RdsLeakError('E_SERVICE_CALL', `service ${SERVICE_NAME} is not RUNNING after ${START_WAIT_HINT_MS / 1000} s`);
    if (status.currentState !== SERVICE_RUNNING) {
      const code = status.serviceSpecificExitCode || status.win32ExitCode;
      throw new RdsLeakError('E_SERVICE_CALL', `service ${SERVICE_NAME} stopped while starting (exit code ${code}); see the Event Log (source ${SERVICE_NAME}) or its log file`);
    }
    io.stdout.write(`service ${SERVICE_NAME} is RUNNING (pid ${status.processId})\n`);
    return 0;
  });
}

async function stop(api: ServiceCommandApi, ctx: ServiceCommandContext, io: ServiceCommandIo): Promise<number> {
  await withService(api, SERVICE_STOP | SERVICE_QUERY_STATUS, (service) => stopAndWait(api, ctx, io, service));
  return 0;
}

async function status(api: ServiceCommandApi, io: ServiceCommandIo): Promise<number> {
  return withService(api, SERVICE_QUERY_STATUS, (service) => {
    const s = query(api, service);
    io.stdout.write(`${SERVICE_NAME}: ${stateName(s.currentState)}${s.processId ? ` (pid ${s.processId})` : ''}${s.currentState === SERVICE_STOPPED && (s.win32ExitCode || s.serviceSpecificExitCode) ? ` exit code ${s.serviceSpecificExitCode || s.win32ExitCode}` : ''}\n`);
    return Promise.resolve(s.currentState === SERVICE_RUNNING ? 0 : 3);
  });
}

/** Runs one service action with the given Win32 seam. Errors are thrown as RdsLeakError (one line each). */
export async function runServiceAction(argv: readonly string[], io: ServiceCommandIo, api: ServiceCommandApi, ctx: ServiceCommandContext): Promise<number> {
  const { action, configFile } = parse(argv);
  switch (action) {
    case 'install':
      return install(api, ctx, io, configFile);
    case 'uninstall':
      return uninstall(api, ctx, io);
    case 'configure':
      return configure(api, ctx, io);
    case 'start':
      return start(api, ctx, io);
    case 'stop':
      return stop(api, ctx, io);
    case 'status':
      return status(api, io);
  }
}
