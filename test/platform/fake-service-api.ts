/**
 * A recording fake of the Win32 service seam (src/platform/windows/service-api.ts): every call with its
 * arguments, in order, and an in-memory SCM whose answers the tests steer.
 */
import type { CallResult, EventLogApi, RegistryApi, RegistryValue, ScmApi, ServiceConfig2, ServiceHostApi, ServiceStatus, ServiceStatusProcess } from '../../src/platform/windows/service-api.js';
import {
  ERROR_SERVICE_ALREADY_RUNNING,
  ERROR_SERVICE_DOES_NOT_EXIST,
  ERROR_SERVICE_EXISTS,
  ERROR_SERVICE_NOT_ACTIVE,
  SERVICE_RUNNING,
  SERVICE_STOPPED,
  SERVICE_WIN32_OWN_PROCESS,
} from '../../src/platform/windows/scm-constants.js';

export type Call = { readonly fn: string; readonly args: readonly unknown[] };

const MANAGER = 0x100n;
const SERVICE = 0x200n;

export class FakeScm implements ScmApi, RegistryApi {
  readonly calls: Call[] = [];
  installed = false;
  state = SERVICE_STOPPED;
  exitCode = 0;
  pid = 0;
  /** Errors to return, by function name (once each). */
  readonly failures = new Map<string, number>();
  /** What happens to the state after StartServiceW / ControlService(STOP) (polled by the command). */
  afterStart: number = SERVICE_RUNNING;
  readonly registry = new Map<string, readonly RegistryValue[]>();

  private record(fn: string, ...args: unknown[]): number {
    this.calls.push({ fn, args });
    const error = this.failures.get(fn) ?? 0;
    this.failures.delete(fn);
    return error;
  }

  openManager(access: number): CallResult<bigint> {
    const error = this.record('OpenSCManagerW', access);
    return error ? { value: null, error } : { value: MANAGER, error: 0 };
  }
  createService(manager: bigint, spec: Parameters<ScmApi['createService']>[1]): CallResult<bigint> {
    let error = this.record('CreateServiceW', manager, spec);
    if (!error && this.installed) error = ERROR_SERVICE_EXISTS;
    if (error) return { value: null, error };
    this.installed = true;
    return { value: SERVICE, error: 0 };
  }
  openService(manager: bigint, name: string, access: number): CallResult<bigint> {
    let error = this.record('OpenServiceW', manager, name, access);
    if (!error && !this.installed) error = ERROR_SERVICE_DOES_NOT_EXIST;
    return error ? { value: null, error } : { value: SERVICE, error: 0 };
  }
  changeConfig2(service: bigint, config: ServiceConfig2): number {
    return this.record('ChangeServiceConfig2W', service, config);
  }
  deleteService(service: bigint): number {
    const error = this.record('DeleteService', service);
    if (!error) this.installed = false;
    return error;
  }
  startService(service: bigint): number {
    const error = this.record('StartServiceW', service);
    if (error) return error;
    if (this.state === SERVICE_RUNNING) return ERROR_SERVICE_ALREADY_RUNNING;
    this.state = this.afterStart;
    this.pid = this.state === SERVICE_RUNNING ? 4242 : 0;
    return 0;
  }
  controlService(service: bigint, control: number): CallResult<ServiceStatus> {
    const error = this.record('ControlService', service, control);
    if (error) return { value: null, error };
    if (this.state === SERVICE_STOPPED) return { value: null, error: ERROR_SERVICE_NOT_ACTIVE };
    this.state = SERVICE_STOPPED;
    this.pid = 0;
    return { value: this.status(), error: 0 };
  }
  queryStatus(service: bigint): CallResult<ServiceStatusProcess> {
    const error = this.record('QueryServiceStatusEx', service);
    return error ? { value: null, error } : { value: this.status(), error: 0 };
  }
  closeServiceHandle(handle: bigint): void {
    this.record('CloseServiceHandle', handle);
  }
  setLocalMachineValues(path: string, values: readonly RegistryValue[]): number {
    const error = this.record('RegSetValueExW', path, values);
    if (!error) this.registry.set(path, values);
    return error;
  }
  deleteLocalMachineKey(path: string): number {
    const error = this.record('RegDeleteTreeW', path);
    if (error) return error;
    return this.registry.delete(path) ? 0 : 2;
  }

  private status(): ServiceStatusProcess {
    return {
      serviceType: SERVICE_WIN32_OWN_PROCESS,
      currentState: this.state,
      controlsAccepted: 0,
      win32ExitCode: this.exitCode ? 1066 : 0,
      serviceSpecificExitCode: this.exitCode,
      checkPoint: 0,
      waitHint: 0,
      processId: this.pid,
      serviceFlags: 0,
    };
  }

  names(): string[] {
    return this.calls.map((c) => c.fn);
  }
}

export class FakeEventLog implements EventLogApi {
  readonly calls: Call[] = [];
  reportError = 0;
  registerEventSource(source: string): CallResult<bigint> {
    this.calls.push({ fn: 'RegisterEventSourceW', args: [source] });
    return { value: 0x300n, error: 0 };
  }
  reportEvent(handle: bigint, type: number, eventId: number, text: string): number {
    this.calls.push({ fn: 'ReportEventW', args: [handle, type, eventId, text] });
    return this.reportError;
  }
  deregisterEventSource(handle: bigint): void {
    this.calls.push({ fn: 'DeregisterEventSource', args: [handle] });
  }
}

/** The SCM side of a running service: records SetServiceStatus and lets the test send controls. */
export class FakeServiceHost implements ServiceHostApi {
  readonly statuses: ServiceStatus[] = [];
  handler: ((control: number, eventType: number) => number) | null = null;
  serviceMain: (() => void) | null = null;
  private finishDispatcher: ((code: number) => void) | null = null;

  startDispatcher(_name: string, serviceMain: () => void): Promise<number> {
    this.serviceMain = serviceMain;
    return new Promise((resolve) => (this.finishDispatcher = resolve));
  }
  registerHandler(_name: string, handler: (control: number, eventType: number) => number): CallResult<bigint> {
    this.handler = handler;
    return { value: 0x400n, error: 0 };
  }
  setStatus(_handle: bigint, status: ServiceStatus): number {
    this.statuses.push(status);
    // The real dispatcher returns once the (only) service reports STOPPED.
    if (status.currentState === SERVICE_STOPPED) this.finishDispatcher?.(0);
    return 0;
  }
  /** A console start: the dispatcher fails at once. */
  failDispatcher(code: number): void {
    this.finishDispatcher?.(code);
  }
}
