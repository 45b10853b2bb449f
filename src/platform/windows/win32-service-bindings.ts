/**
 * win32-only koffi bindings of the service seam (service-api.ts): the SCM, the registry and the Event
 * Log in advapi32. Loaded with a dynamic import only when process.platform === 'win32' (Windows, or
 * Windows Node under Wine). Structures are encoded by service-structs.ts into Buffers passed as
 * `void *`; every Buffer a structure points to is kept referenced until the call returns.
 * Type names are global per koffi instance: ours carry the RDSLEAK_SVC_ prefix and are defined once.
 *
 * Verified under Wine 8 (npm run test:wine): the dispatcher, ServiceMain and HandlerEx callbacks,
 * SetServiceStatus, Create/Open/Start/Control/Delete service, QueryServiceStatusEx. Wine only stubs
 * failure actions and the Event Log (see docs/windows-verification.md).
 */
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import { RdsLeakError } from '../../errors.js';
import type { CallResult, EventLogApi, RegistryApi, ScmApi, ServiceConfig2, ServiceHostApi, ServiceStatus } from './service-api.js';
import {
  ERROR_FAILED_SERVICE_CONTROLLER_CONNECT,
  HKEY_LOCAL_MACHINE,
  KEY_WRITE,
  REG_DWORD,
  REG_EXPAND_SZ,
  REG_SZ,
  SC_STATUS_PROCESS_INFO,
  SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
  SERVICE_CONFIG_DESCRIPTION,
  SERVICE_CONFIG_FAILURE_ACTIONS,
  SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
  SERVICE_CONFIG_PRESHUTDOWN_INFO,
} from './scm-constants.js';
import {
  decodeServiceStatus,
  decodeServiceStatusProcess,
  encodeDword,
  encodeFailureActions,
  encodePointer,
  encodeScActions,
  encodeServiceStatus,
  encodeServiceTable,
  SERVICE_STATUS_PROCESS_SIZE,
  SERVICE_STATUS_SIZE,
  wideString,
} from './service-structs.js';
import { isWindows } from '../os.js';

type Ptr = bigint | null;
/** A koffi-bound function, typed at the boundary so no `any` leaks out of this file. */
type Fn<A extends unknown[], R> = ((...args: A) => R) & { async: (...args: [...A, (err: unknown, result: R) => void]) => void };

function bind<A extends unknown[], R>(lib: LibraryHandle, definition: string): Fn<A, R> {
  return lib.func(definition);
}

function proto(name: string, definition: string): TypeObject {
  try {
    return koffi.type(name);
  } catch {
    return koffi.proto(definition);
  }
}

const toBig = (p: Ptr | number | undefined): bigint => (p === null || p === undefined ? 0n : BigInt(p));
const handleResult = (h: Ptr, lastError: () => number): CallResult<bigint> => (h === null || h === 0n ? { value: null, error: lastError() } : { value: toBig(h), error: 0 });

interface Libraries {
  readonly advapi32: LibraryHandle;
  readonly GetLastError: Fn<[], number>;
}

let libraries: Libraries | undefined;

function load(): Libraries {
  if (!isWindows()) {
    throw new RdsLeakError('E_SOURCE_UNAVAILABLE', `the Windows service bindings need win32, this is ${process.platform}`);
  }
  if (!libraries) {
    const kernel32 = koffi.load('kernel32.dll');
    libraries = { advapi32: koffi.load('advapi32.dll'), GetLastError: bind<[], number>(kernel32, 'uint32_t GetLastError()') };
  }
  return libraries;
}

export function loadScmApi(): ScmApi {
  const { advapi32, GetLastError } = load();
  const OpenSCManagerW = bind<[null, null, number], Ptr>(advapi32, 'void *OpenSCManagerW(const char16_t *machine, const char16_t *database, uint32_t access)');
  const CreateServiceW = bind<[bigint, string, string, number, number, number, number, string, null, null, null, string | null, null], Ptr>(
    advapi32,
    'void *CreateServiceW(void *scm, const char16_t *name, const char16_t *display, uint32_t access, uint32_t type, uint32_t start, uint32_t errorControl, const char16_t *path, const char16_t *group, void *tagId, const char16_t *dependencies, const char16_t *account, const char16_t *password)',
  );
  const OpenServiceW = bind<[bigint, string, number], Ptr>(advapi32, 'void *OpenServiceW(void *scm, const char16_t *name, uint32_t access)');
  const ChangeServiceConfig2W = bind<[bigint, number, Buffer], number>(advapi32, 'int32_t ChangeServiceConfig2W(void *service, uint32_t level, void *info)');
  const DeleteService = bind<[bigint], number>(advapi32, 'int32_t DeleteService(void *service)');
  const StartServiceW = bind<[bigint, number, null], number>(advapi32, 'int32_t StartServiceW(void *service, uint32_t argc, void *argv)');
  const ControlService = bind<[bigint, number, Buffer], number>(advapi32, 'int32_t ControlService(void *service, uint32_t control, void *status)');
  const QueryServiceStatusEx = bind<[bigint, number, Buffer, number, number[]], number>(
    advapi32,
    'int32_t QueryServiceStatusEx(void *service, uint32_t level, void *buffer, uint32_t size, _Out_ uint32_t *needed)',
  );
  const CloseServiceHandle = bind<[bigint], number>(advapi32, 'int32_t CloseServiceHandle(void *handle)');
  const ok = (result: number): number => (result ? 0 : GetLastError());

  return {
    openManager: (access) => handleResult(OpenSCManagerW(null, null, access), GetLastError),
    createService: (manager, s) =>
      handleResult(CreateServiceW(manager, s.name, s.displayName, s.desiredAccess, s.serviceType, s.startType, s.errorControl, s.binaryPathName, null, null, null, s.account, null), GetLastError),
    openService: (manager, name, access) => handleResult(OpenServiceW(manager, name, access), GetLastError),
    changeConfig2(service: bigint, config: ServiceConfig2): number {
      switch (config.level) {
        case 'description': {
          const text = wideString(config.description);
          return ok(ChangeServiceConfig2W(service, SERVICE_CONFIG_DESCRIPTION, encodePointer(koffi.address(text))));
        }
        case 'delayedAutoStart':
          return ok(ChangeServiceConfig2W(service, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, encodeDword(config.delayed ? 1 : 0)));
        case 'failureActions': {
          const actions = encodeScActions(config.actions);
          const reboot = config.rebootMessage === null ? null : wideString(config.rebootMessage);
          const command = config.command === null ? null : wideString(config.command);
          const info = encodeFailureActions(config.resetPeriodSeconds, config.actions.length, {
            rebootMessage: reboot ? koffi.address(reboot) : 0n,
            command: command ? koffi.address(command) : 0n,
            actions: koffi.address(actions),
          });
          const result = ok(ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS, info));
          // Referenced until here: the structure points into these buffers.
          void [actions, reboot, command];
          return result;
        }
        case 'failureActionsFlag':
          return ok(ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, encodeDword(config.onNonCrashFailures ? 1 : 0)));
        case 'preshutdownInfo':
          return ok(ChangeServiceConfig2W(service, SERVICE_CONFIG_PRESHUTDOWN_INFO, encodeDword(config.timeoutMs)));
      }
    },
    deleteService: (service) => ok(DeleteService(service)),
    startService: (service) => ok(StartServiceW(service, 0, null)),
    controlService(service: bigint, control: number): CallResult<ServiceStatus> {
      const out = Buffer.alloc(SERVICE_STATUS_SIZE);
      return ControlService(service, control, out) ? { value: decodeServiceStatus(out), error: 0 } : { value: null, error: GetLastError() };
    },
    queryStatus(service: bigint) {
      const out = Buffer.alloc(SERVICE_STATUS_PROCESS_SIZE);
      const needed = [0];
      return QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, out, out.length, needed) ? { value: decodeServiceStatusProcess(out), error: 0 } : { value: null, error: GetLastError() };
    },
    closeServiceHandle: (handle) => void CloseServiceHandle(handle),
  };
}

export function loadRegistryApi(): RegistryApi {
  const { advapi32 } = load();
  const RegCreateKeyExW = bind<[bigint, string, number, null, number, number, null, Ptr[], number[]], number>(
    advapi32,
    'int32_t RegCreateKeyExW(void *key, const char16_t *subKey, uint32_t reserved, const char16_t *cls, uint32_t options, uint32_t sam, void *security, _Out_ void **result, _Out_ uint32_t *disposition)',
  );
  const RegSetValueExW = bind<[bigint, string, number, number, Buffer, number], number>(
    advapi32,
    'int32_t RegSetValueExW(void *key, const char16_t *name, uint32_t reserved, uint32_t type, void *data, uint32_t size)',
  );
  const RegCloseKey = bind<[bigint], number>(advapi32, 'int32_t RegCloseKey(void *key)');
  const RegDeleteTreeW = bind<[bigint, string], number>(advapi32, 'int32_t RegDeleteTreeW(void *key, const char16_t *subKey)');
  return {
    setLocalMachineValues(path, values): number {
      const out: Ptr[] = [null];
      const created = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, null, 0, KEY_WRITE, null, out, [0]);
      if (created !== 0) return created;
      const key = toBig(out[0]);
      try {
        for (const v of values) {
          const data = v.type === 'REG_DWORD' ? encodeDword(v.data) : wideString(v.data);
          const type = v.type === 'REG_DWORD' ? REG_DWORD : v.type === 'REG_EXPAND_SZ' ? REG_EXPAND_SZ : REG_SZ;
          const error = RegSetValueExW(key, v.name, 0, type, data, data.length);
          if (error !== 0) return error;
        }
        return 0;
      } finally {
        RegCloseKey(key);
      }
    },
    deleteLocalMachineKey: (path) => RegDeleteTreeW(HKEY_LOCAL_MACHINE, path),
  };
}

export function loadEventLogApi(): EventLogApi {
  const { advapi32, GetLastError } = load();
  const RegisterEventSourceW = bind<[null, string], Ptr>(advapi32, 'void *RegisterEventSourceW(const char16_t *server, const char16_t *source)');
  const ReportEventW = bind<[bigint, number, number, number, null, number, number, Buffer, null], number>(
    advapi32,
    'int32_t ReportEventW(void *log, uint16_t type, uint16_t category, uint32_t eventId, void *sid, uint16_t numStrings, uint32_t dataSize, void *strings, void *data)',
  );
  const DeregisterEventSource = bind<[bigint], number>(advapi32, 'int32_t DeregisterEventSource(void *log)');
  return {
    registerEventSource: (source) => handleResult(RegisterEventSourceW(null, source), GetLastError),
    reportEvent(handle, type, eventId, text): number {
      const str = wideString(text);
      const strings = encodePointer(koffi.address(str));
      const result = ReportEventW(handle, type, 0, eventId, null, 1, 0, strings, null) ? 0 : GetLastError();
      void str;
      return result;
    },
    deregisterEventSource: (handle) => void DeregisterEventSource(handle),
  };
}

export function loadServiceHostApi(): ServiceHostApi {
  const { advapi32, GetLastError } = load();
  const ServiceMainProto = proto('RDSLEAK_SVC_ServiceMain', 'void RDSLEAK_SVC_ServiceMain(uint32_t argc, void *argv)');
  const HandlerExProto = proto('RDSLEAK_SVC_HandlerEx', 'uint32_t RDSLEAK_SVC_HandlerEx(uint32_t control, uint32_t eventType, void *eventData, void *context)');
  const StartServiceCtrlDispatcherW = bind<[Buffer], number>(advapi32, 'int32_t StartServiceCtrlDispatcherW(void *table)');
  const RegisterServiceCtrlHandlerExW = bind<[string, bigint, null], Ptr>(advapi32, 'void *RegisterServiceCtrlHandlerExW(const char16_t *name, void *handler, void *context)');
  const SetServiceStatus = bind<[bigint, Buffer], number>(advapi32, 'int32_t SetServiceStatus(void *handle, void *status)');
  // Callbacks stay registered for the life of the process: the SCM may call them until it exits.
  const registered: bigint[] = [];
  const keepAlive: Buffer[] = [];
  return {
    startDispatcher(name, serviceMain): Promise<number> {
      const main = koffi.register(() => serviceMain(), koffi.pointer(ServiceMainProto));
      registered.push(main);
      const nameBuffer = wideString(name);
      const table = encodeServiceTable(koffi.address(nameBuffer), main);
      keepAlive.push(nameBuffer, table);
      return new Promise((resolve) => {
        StartServiceCtrlDispatcherW.async(table, (err, ok) => {
          // The call ran on a worker thread; GetLastError() read here gave its 1063 under Wine, but
          // should it read 0 the failure is still "not started by the SCM": that is all the caller uses.
          if (err) resolve(-1);
          else resolve(ok ? 0 : GetLastError() || ERROR_FAILED_SERVICE_CONTROLLER_CONNECT);
        });
      });
    },
    registerHandler(name, handler) {
      const callback = koffi.register((control: number, eventType: number) => handler(control >>> 0, eventType >>> 0), koffi.pointer(HandlerExProto));
      registered.push(callback);
      return handleResult(RegisterServiceCtrlHandlerExW(name, callback, null), GetLastError);
    },
    setStatus: (handle, status) => (SetServiceStatus(handle, encodeServiceStatus(status)) ? 0 : GetLastError()),
  };
}
