/**
 * Win32 constants of the Service Control Manager, the registry and the Event Log (winsvc.h, winnt.h,
 * winerror.h, winreg.h). Portable: imported by the code tested on Linux and by the koffi bindings.
 */

/** The service name the SCM, the Event Log source and the MSI all use. */
export const SERVICE_NAME = 'rds-leak-exporter';
export const SERVICE_DISPLAY_NAME = 'RDS leak exporter (Prometheus)';
export const SERVICE_DESCRIPTION =
  'Prometheus exporter for leaked access-token handles and zombie logon sessions on RDS / Citrix hosts. Serves /metrics.';

// Service types, start types, error control (CreateServiceW).
export const SERVICE_WIN32_OWN_PROCESS = 0x10;
export const SERVICE_AUTO_START = 2;
export const SERVICE_ERROR_NORMAL = 1;

// Current states (SERVICE_STATUS.dwCurrentState).
export const SERVICE_STOPPED = 1;
export const SERVICE_START_PENDING = 2;
export const SERVICE_STOP_PENDING = 3;
export const SERVICE_RUNNING = 4;
export const SERVICE_CONTINUE_PENDING = 5;
export const SERVICE_PAUSE_PENDING = 6;
export const SERVICE_PAUSED = 7;

export const SERVICE_STATE_NAMES: Readonly<Record<number, string>> = {
  [SERVICE_STOPPED]: 'STOPPED',
  [SERVICE_START_PENDING]: 'START_PENDING',
  [SERVICE_STOP_PENDING]: 'STOP_PENDING',
  [SERVICE_RUNNING]: 'RUNNING',
  [SERVICE_CONTINUE_PENDING]: 'CONTINUE_PENDING',
  [SERVICE_PAUSE_PENDING]: 'PAUSE_PENDING',
  [SERVICE_PAUSED]: 'PAUSED',
};

// Controls (HandlerEx dwControl / ControlService).
export const SERVICE_CONTROL_STOP = 0x1;
export const SERVICE_CONTROL_INTERROGATE = 0x4;
export const SERVICE_CONTROL_SHUTDOWN = 0x5;
export const SERVICE_CONTROL_PRESHUTDOWN = 0xf;

// Controls accepted (SERVICE_STATUS.dwControlsAccepted).
export const SERVICE_ACCEPT_STOP = 0x1;
export const SERVICE_ACCEPT_SHUTDOWN = 0x4;
export const SERVICE_ACCEPT_PRESHUTDOWN = 0x100;

// Access rights.
export const SC_MANAGER_CONNECT = 0x1;
export const SC_MANAGER_CREATE_SERVICE = 0x2;
export const SERVICE_CHANGE_CONFIG = 0x2;
export const SERVICE_QUERY_STATUS = 0x4;
export const SERVICE_START = 0x10;
export const SERVICE_STOP = 0x20;
export const SERVICE_ALL_ACCESS = 0xf01ff;
export const DELETE = 0x10000;

// ChangeServiceConfig2W levels.
export const SERVICE_CONFIG_DESCRIPTION = 1;
export const SERVICE_CONFIG_FAILURE_ACTIONS = 2;
export const SERVICE_CONFIG_DELAYED_AUTO_START_INFO = 3;
export const SERVICE_CONFIG_FAILURE_ACTIONS_FLAG = 4;
export const SERVICE_CONFIG_PRESHUTDOWN_INFO = 7;

// SC_ACTION.Type.
export const SC_ACTION_NONE = 0;
export const SC_ACTION_RESTART = 1;

/** QueryServiceStatusEx InfoLevel. */
export const SC_STATUS_PROCESS_INFO = 0;

// Win32 error codes (GetLastError).
export const NO_ERROR = 0;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_CALL_NOT_IMPLEMENTED = 120;
/** ChangeServiceConfig2W: a configuration level the system does not have. */
export const ERROR_INVALID_LEVEL = 124;
export const ERROR_SERVICE_ALREADY_RUNNING = 1056;
export const ERROR_SERVICE_DOES_NOT_EXIST = 1060;
export const ERROR_SERVICE_CANNOT_ACCEPT_CTRL = 1061;
export const ERROR_SERVICE_NOT_ACTIVE = 1062;
/** StartServiceCtrlDispatcherW from a process the SCM did not start: the console case. */
export const ERROR_FAILED_SERVICE_CONTROLLER_CONNECT = 1063;
export const ERROR_SERVICE_SPECIFIC_ERROR = 1066;
export const ERROR_SERVICE_MARKED_FOR_DELETE = 1072;
export const ERROR_SERVICE_EXISTS = 1073;

// Event Log (ReportEventW wType; TypesSupported bits).
export const EVENTLOG_ERROR_TYPE = 0x1;
export const EVENTLOG_WARNING_TYPE = 0x2;
export const EVENTLOG_INFORMATION_TYPE = 0x4;

// Registry.
/** HKEY_LOCAL_MACHINE is (HKEY)(ULONG_PTR)(LONG)0x80000002: sign-extended to 64 bits. */
export const HKEY_LOCAL_MACHINE = 0xffffffff80000002n;
export const KEY_WRITE = 0x20006;
export const REG_SZ = 1;
export const REG_EXPAND_SZ = 2;
export const REG_DWORD = 4;
export const ERROR_FILE_NOT_FOUND = 2;
