/**
 * The seam between the portable service code (install commands, the service state machine, the Event
 * Log sink; unit-tested on Linux against fakes that record every call) and the win32-only koffi bindings
 * (win32-service-bindings.ts). Handles are BigInt (0n = NULL); a failed call reports GetLastError().
 * Structures are passed as plain objects: the bindings marshal them into the Win32 layouts of
 * service-structs.ts.
 */

export interface CallResult<T> {
  readonly value: T | null;
  /** GetLastError() of the failed call; 0 on success. */
  readonly error: number;
}

/** SERVICE_STATUS (what SetServiceStatus reports). */
export interface ServiceStatus {
  readonly serviceType: number;
  readonly currentState: number;
  readonly controlsAccepted: number;
  readonly win32ExitCode: number;
  readonly serviceSpecificExitCode: number;
  readonly checkPoint: number;
  readonly waitHint: number;
}

/** SERVICE_STATUS_PROCESS (QueryServiceStatusEx). */
export interface ServiceStatusProcess extends ServiceStatus {
  readonly processId: number;
  readonly serviceFlags: number;
}

export interface CreateServiceSpec {
  readonly name: string;
  readonly displayName: string;
  readonly desiredAccess: number;
  readonly serviceType: number;
  readonly startType: number;
  readonly errorControl: number;
  /** The quoted executable path and its arguments. */
  readonly binaryPathName: string;
  /** null: LocalSystem. */
  readonly account: string | null;
}

export interface FailureAction {
  readonly type: number;
  readonly delayMs: number;
}

/** What ChangeServiceConfig2W sets, one level per call. */
export type ServiceConfig2 =
  | { readonly level: 'description'; readonly description: string }
  | { readonly level: 'delayedAutoStart'; readonly delayed: boolean }
  | {
      readonly level: 'failureActions';
      readonly resetPeriodSeconds: number;
      readonly rebootMessage: string | null;
      readonly command: string | null;
      readonly actions: readonly FailureAction[];
    }
  | { readonly level: 'failureActionsFlag'; readonly onNonCrashFailures: boolean }
  | { readonly level: 'preshutdownInfo'; readonly timeoutMs: number };

/** Service Control Manager calls (advapi32) used by `service install|uninstall|start|stop|status`. */
export interface ScmApi {
  openManager(access: number): CallResult<bigint>;
  createService(manager: bigint, spec: CreateServiceSpec): CallResult<bigint>;
  openService(manager: bigint, name: string, access: number): CallResult<bigint>;
  /** ChangeServiceConfig2W; returns the error (0 on success). */
  changeConfig2(service: bigint, config: ServiceConfig2): number;
  deleteService(service: bigint): number;
  startService(service: bigint): number;
  /** ControlService; the status the SCM returns with it, also on failure when it has one. */
  controlService(service: bigint, control: number): CallResult<ServiceStatus>;
  queryStatus(service: bigint): CallResult<ServiceStatusProcess>;
  closeServiceHandle(handle: bigint): void;
}

export type RegistryValue =
  | { readonly name: string; readonly type: 'REG_SZ' | 'REG_EXPAND_SZ'; readonly data: string }
  | { readonly name: string; readonly type: 'REG_DWORD'; readonly data: number };

/** HKLM keys (advapi32 RegCreateKeyExW / RegSetValueExW / RegDeleteTreeW). */
export interface RegistryApi {
  /** Creates HKLM\<path> (if needed) and sets the values; returns the first error (0 on success). */
  setLocalMachineValues(path: string, values: readonly RegistryValue[]): number;
  /** Deletes HKLM\<path> with its subkeys; ERROR_FILE_NOT_FOUND when it was not there. */
  deleteLocalMachineKey(path: string): number;
}

/** Event Log calls (advapi32 RegisterEventSourceW / ReportEventW / DeregisterEventSource). */
export interface EventLogApi {
  registerEventSource(source: string): CallResult<bigint>;
  /** ReportEventW with one insertion string and no SID, category 0, no binary data; returns the error. */
  reportEvent(handle: bigint, type: number, eventId: number, text: string): number;
  deregisterEventSource(handle: bigint): void;
}

/** What a running service needs from the SCM (the dispatcher, its handler and SetServiceStatus). */
export interface ServiceHostApi {
  /**
   * StartServiceCtrlDispatcherW for one own-process service, as an async call (it blocks its thread for
   * the service's whole life). `serviceMain` runs on the JS thread when the SCM starts the service.
   * Resolves with 0 once the dispatcher returns (after STOPPED was reported), or with the error:
   * ERROR_FAILED_SERVICE_CONTROLLER_CONNECT when the process was not started by the SCM.
   */
  startDispatcher(name: string, serviceMain: () => void): Promise<number>;
  /** RegisterServiceCtrlHandlerExW; `handler` returns the HandlerEx result (NO_ERROR, ...). */
  registerHandler(name: string, handler: (control: number, eventType: number) => number): CallResult<bigint>;
  setStatus(handle: bigint, status: ServiceStatus): number;
}
