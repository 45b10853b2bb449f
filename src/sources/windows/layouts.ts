/**
 * Windows x64 struct layouts and constants, as plain numbers (no koffi): the decoders read Buffers with
 * these offsets, and test/windows checks them against koffi's sizeof/offsetof of the struct definitions
 * in native-types.ts and against docs/background.md (Windows API facts). Portable: importable on Linux.
 *
 * Sources: System Informer phnt headers, mingw-w64 headers, Geoff Chappell's pages (see windows-native.md).
 * Verified under Wine 8 (x64): handle table entries, process information, TokenStatistics. Only on paper:
 * SECURITY_LOGON_SESSION_DATA and WTS_SESSION_INFO_1W contents (Wine's LSA/WTS stubs return no sessions).
 */

export const POINTER_SIZE = 8;

/** UNICODE_STRING / LSA_UNICODE_STRING. */
export const UNICODE_STRING = { size: 16, Length: 0, MaximumLength: 2, Buffer: 8 } as const;

/** LUID: LowPart u32, HighPart i32. */
export const LUID = { size: 8, LowPart: 0, HighPart: 4 } as const;

/** SYSTEM_HANDLE_INFORMATION_EX header and SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX entries (class 64). */
export const HANDLE_TABLE = { headerSize: 16, NumberOfHandles: 0, Reserved: 8 } as const;
export const HANDLE_ENTRY = {
  size: 40,
  Object: 0x00,
  UniqueProcessId: 0x08,
  HandleValue: 0x10,
  GrantedAccess: 0x18,
  CreatorBackTraceIndex: 0x1c,
  ObjectTypeIndex: 0x1e,
  HandleAttributes: 0x20,
  Reserved: 0x24,
} as const;

/** SYSTEM_PROCESS_INFORMATION (class 5): fixed part, then NumberOfThreads x SYSTEM_THREAD_INFORMATION. */
export const PROCESS_INFO = {
  size: 0x100,
  threadInfoSize: 0x50,
  NextEntryOffset: 0x00,
  NumberOfThreads: 0x04,
  CreateTime: 0x20,
  ImageName: 0x38,
  UniqueProcessId: 0x50,
  InheritedFromUniqueProcessId: 0x58,
  HandleCount: 0x60,
  SessionId: 0x64,
} as const;

/** OBJECT_TYPES_INFORMATION (NtQueryObject class 3) and OBJECT_TYPE_INFORMATION entries. */
export const OBJECT_TYPES = { firstEntry: 8, NumberOfTypes: 0 } as const;
export const OBJECT_TYPE_INFO = { size: 0x68, TypeName: 0x00, TypeIndex: 0x5a } as const;

/** SECURITY_LOGON_SESSION_DATA (LsaGetLogonSessionData). */
export const LOGON_SESSION_DATA = {
  size: 0x110,
  Size: 0x00,
  LogonId: 0x04,
  UserName: 0x10,
  LogonDomain: 0x20,
  AuthenticationPackage: 0x30,
  LogonType: 0x40,
  Session: 0x44,
  Sid: 0x48,
  LogonTime: 0x50,
  LogonServer: 0x58,
  DnsDomainName: 0x68,
  Upn: 0x78,
  UserFlags: 0x88,
  LastLogonInfo: 0x90,
  LogonScript: 0xa8,
  ProfilePath: 0xb8,
  HomeDirectory: 0xc8,
  HomeDirectoryDrive: 0xd8,
  LogoffTime: 0xe8,
  KickOffTime: 0xf0,
  PasswordLastSet: 0xf8,
  PasswordCanChange: 0x100,
  PasswordMustChange: 0x108,
} as const;
/** The fields this project reads end with LogonTime (0x58): anything shorter is truncated. */
export const LOGON_SESSION_DATA_MIN_SIZE = LOGON_SESSION_DATA.LogonTime + 8;

/** WTS_SESSION_INFOW (WTSEnumerateSessionsW). */
export const WTS_SESSION_INFO = { size: 24, SessionId: 0, pWinStationName: 8, State: 16 } as const;
/** WTS_SESSION_INFO_1W (WTSEnumerateSessionsExW level 1). */
export const WTS_SESSION_INFO_1 = {
  size: 56,
  ExecEnvId: 0x00,
  State: 0x04,
  SessionId: 0x08,
  pSessionName: 0x10,
  pHostName: 0x18,
  pUserName: 0x20,
  pDomainName: 0x28,
  pFarmName: 0x30,
} as const;

/** TOKEN_STATISTICS (GetTokenInformation class 10). */
export const TOKEN_STATISTICS = {
  size: 56,
  TokenId: 0x00,
  AuthenticationId: 0x08,
  ExpirationTime: 0x10,
  TokenType: 0x18,
  ImpersonationLevel: 0x1c,
  DynamicCharged: 0x20,
  DynamicAvailable: 0x24,
  GroupCount: 0x28,
  PrivilegeCount: 0x2c,
  ModifiedId: 0x30,
} as const;

/** SERVICE_STATUS_PROCESS (winsvc.h): nine DWORDs. */
export const SERVICE_STATUS_PROCESS = {
  size: 36,
  dwServiceType: 0,
  dwCurrentState: 4,
  dwControlsAccepted: 8,
  dwWin32ExitCode: 12,
  dwServiceSpecificExitCode: 16,
  dwCheckPoint: 20,
  dwWaitHint: 24,
  dwProcessId: 28,
  dwServiceFlags: 32,
} as const;

/**
 * ENUM_SERVICE_STATUS_PROCESSW (EnumServicesStatusExW, SC_ENUM_PROCESS_INFO): two string pointers, then
 * SERVICE_STATUS_PROCESS; 56 bytes with the tail padding to pointer alignment. The strings lie in the
 * same output buffer, after the array. Fields of the embedded status are given here from the entry's start.
 */
export const ENUM_SERVICE_STATUS_PROCESS = {
  size: 56,
  lpServiceName: 0,
  lpDisplayName: 8,
  ServiceStatusProcess: 16,
  dwServiceType: 16 + SERVICE_STATUS_PROCESS.dwServiceType,
  dwCurrentState: 16 + SERVICE_STATUS_PROCESS.dwCurrentState,
  dwProcessId: 16 + SERVICE_STATUS_PROCESS.dwProcessId,
  dwServiceFlags: 16 + SERVICE_STATUS_PROCESS.dwServiceFlags,
} as const;

/** TOKEN_PRIVILEGES with one LUID_AND_ATTRIBUTES. */
export const TOKEN_PRIVILEGES_1 = { size: 16, PrivilegeCount: 0, Luid: 4, Attributes: 12 } as const;

// --- constants -------------------------------------------------------------------------------------------
export const STATUS_SUCCESS = 0;
export const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
export const STATUS_BUFFER_TOO_SMALL = 0xc0000023;
export const STATUS_BUFFER_OVERFLOW = 0x80000005;
export const STATUS_ACCESS_DENIED = 0xc0000022;
export const STATUS_NO_SUCH_LOGON_SESSION = 0xc000005f;

export const SystemProcessInformation = 5;
export const SystemExtendedHandleInformation = 64;
export const ObjectTypesInformation = 3;
export const TokenStatisticsClass = 10;

export const PROCESS_DUP_HANDLE = 0x0040;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const TOKEN_QUERY = 0x0008;
export const TOKEN_ADJUST_PRIVILEGES = 0x0020;
export const SE_PRIVILEGE_ENABLED = 0x2;
export const DUPLICATE_SAME_ACCESS = 0x2;

export const ERROR_SUCCESS = 0;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_INVALID_HANDLE = 6;
export const ERROR_INVALID_PARAMETER = 87;
export const ERROR_NOT_ALL_ASSIGNED = 1300;
export const ERROR_INSUFFICIENT_BUFFER = 122;
export const ERROR_MORE_DATA = 234;

/** Service control manager: the one right the services collector asks for, and its query. */
export const SC_MANAGER_ENUMERATE_SERVICE = 0x0004;
export const SC_ENUM_PROCESS_INFO = 0;
/** SERVICE_WIN32_OWN_PROCESS | SERVICE_WIN32_SHARE_PROCESS: services with a process of their own or a shared svchost. */
export const SERVICE_WIN32 = 0x30;
/** Running, start pending, stop pending, paused...: every state but stopped. */
export const SERVICE_ACTIVE = 0x1;

/** WTS_TYPE_CLASS for WTSFreeMemoryExW. */
export const WTSTypeSessionInfoLevel1 = 2;

/** FILETIME of the Unix epoch, and the "never" value. */
export const FILETIME_UNIX_EPOCH = 116444736000000000n;
export const FILETIME_NEVER = 0x7fffffffffffffffn;
