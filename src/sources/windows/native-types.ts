import koffi, { type TypeObject } from 'koffi';

/**
 * koffi struct definitions of the Windows x64 structures this source reads, with fixed-width types only
 * (never long/ulong: 4 bytes on Windows, 8 on Linux). Portable: koffi computes the same layout on Linux,
 * so test/windows checks sizeof/offsetof against layouts.ts and windows-native.md without Windows.
 *
 * The decoders read Buffers with the offsets of layouts.ts (DataView-speed) rather than koffi.decode per
 * entry; these definitions are the cross-check and are used where koffi marshals a struct directly.
 * Type names are global per koffi instance: each is defined once (reused when this module is re-evaluated).
 */
function struct(name: string, members: Record<string, string | TypeObject>): TypeObject {
  try {
    return koffi.type(name);
  } catch {
    return koffi.struct(name, members);
  }
}

export const LUID_T = struct('RDSLEAK_LUID', { LowPart: 'uint32_t', HighPart: 'int32_t' });

export const UNICODE_STRING_T = struct('RDSLEAK_UNICODE_STRING', {
  Length: 'uint16_t',
  MaximumLength: 'uint16_t',
  Buffer: 'void *',
});

export const HANDLE_TABLE_HEADER_T = struct('RDSLEAK_SYSTEM_HANDLE_INFORMATION_EX', {
  NumberOfHandles: 'uint64_t',
  Reserved: 'uint64_t',
});

export const HANDLE_ENTRY_T = struct('RDSLEAK_SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX', {
  Object: 'void *',
  UniqueProcessId: 'uint64_t',
  HandleValue: 'uint64_t',
  GrantedAccess: 'uint32_t',
  CreatorBackTraceIndex: 'uint16_t',
  ObjectTypeIndex: 'uint16_t',
  HandleAttributes: 'uint32_t',
  Reserved: 'uint32_t',
});

export const PROCESS_INFO_T = struct('RDSLEAK_SYSTEM_PROCESS_INFORMATION', {
  NextEntryOffset: 'uint32_t',
  NumberOfThreads: 'uint32_t',
  WorkingSetPrivateSize: 'int64_t',
  HardFaultCount: 'uint32_t',
  NumberOfThreadsHighWatermark: 'uint32_t',
  CycleTime: 'uint64_t',
  CreateTime: 'int64_t',
  UserTime: 'int64_t',
  KernelTime: 'int64_t',
  ImageName: UNICODE_STRING_T,
  BasePriority: 'int32_t',
  UniqueProcessId: 'uint64_t',
  InheritedFromUniqueProcessId: 'uint64_t',
  HandleCount: 'uint32_t',
  SessionId: 'uint32_t',
  UniqueProcessKey: 'uint64_t',
  PeakVirtualSize: 'uint64_t',
  VirtualSize: 'uint64_t',
  PageFaultCount: 'uint32_t',
  PeakWorkingSetSize: 'uint64_t',
  WorkingSetSize: 'uint64_t',
  QuotaPeakPagedPoolUsage: 'uint64_t',
  QuotaPagedPoolUsage: 'uint64_t',
  QuotaPeakNonPagedPoolUsage: 'uint64_t',
  QuotaNonPagedPoolUsage: 'uint64_t',
  PagefileUsage: 'uint64_t',
  PeakPagefileUsage: 'uint64_t',
  PrivatePageCount: 'uint64_t',
  ReadOperationCount: 'int64_t',
  WriteOperationCount: 'int64_t',
  OtherOperationCount: 'int64_t',
  ReadTransferCount: 'int64_t',
  WriteTransferCount: 'int64_t',
  OtherTransferCount: 'int64_t',
});

export const GENERIC_MAPPING_T = struct('RDSLEAK_GENERIC_MAPPING', {
  GenericRead: 'uint32_t',
  GenericWrite: 'uint32_t',
  GenericExecute: 'uint32_t',
  GenericAll: 'uint32_t',
});

export const OBJECT_TYPE_INFO_T = struct('RDSLEAK_OBJECT_TYPE_INFORMATION', {
  TypeName: UNICODE_STRING_T,
  TotalNumberOfObjects: 'uint32_t',
  TotalNumberOfHandles: 'uint32_t',
  TotalPagedPoolUsage: 'uint32_t',
  TotalNonPagedPoolUsage: 'uint32_t',
  TotalNamePoolUsage: 'uint32_t',
  TotalHandleTableUsage: 'uint32_t',
  HighWaterNumberOfObjects: 'uint32_t',
  HighWaterNumberOfHandles: 'uint32_t',
  HighWaterPagedPoolUsage: 'uint32_t',
  HighWaterNonPagedPoolUsage: 'uint32_t',
  HighWaterNamePoolUsage: 'uint32_t',
  HighWaterHandleTableUsage: 'uint32_t',
  InvalidAttributes: 'uint32_t',
  GenericMapping: GENERIC_MAPPING_T,
  ValidAccessMask: 'uint32_t',
  SecurityRequired: 'uint8_t',
  MaintainHandleCount: 'uint8_t',
  TypeIndex: 'uint8_t',
  ReservedByte: 'uint8_t',
  PoolType: 'uint32_t',
  DefaultPagedPoolCharge: 'uint32_t',
  DefaultNonPagedPoolCharge: 'uint32_t',
});

export const LSA_LAST_INTER_LOGON_INFO_T = struct('RDSLEAK_LSA_LAST_INTER_LOGON_INFO', {
  LastSuccessfulLogon: 'int64_t',
  LastFailedLogon: 'int64_t',
  FailedAttemptCountSinceLastSuccessfulLogon: 'uint32_t',
});

export const LOGON_SESSION_DATA_T = struct('RDSLEAK_SECURITY_LOGON_SESSION_DATA', {
  Size: 'uint32_t',
  LogonId: LUID_T,
  UserName: UNICODE_STRING_T,
  LogonDomain: UNICODE_STRING_T,
  AuthenticationPackage: UNICODE_STRING_T,
  LogonType: 'uint32_t',
  Session: 'uint32_t',
  Sid: 'void *',
  LogonTime: 'int64_t',
  LogonServer: UNICODE_STRING_T,
  DnsDomainName: UNICODE_STRING_T,
  Upn: UNICODE_STRING_T,
  UserFlags: 'uint32_t',
  LastLogonInfo: LSA_LAST_INTER_LOGON_INFO_T,
  LogonScript: UNICODE_STRING_T,
  ProfilePath: UNICODE_STRING_T,
  HomeDirectory: UNICODE_STRING_T,
  HomeDirectoryDrive: UNICODE_STRING_T,
  LogoffTime: 'int64_t',
  KickOffTime: 'int64_t',
  PasswordLastSet: 'int64_t',
  PasswordCanChange: 'int64_t',
  PasswordMustChange: 'int64_t',
});

export const WTS_SESSION_INFO_T = struct('RDSLEAK_WTS_SESSION_INFOW', {
  SessionId: 'uint32_t',
  pWinStationName: 'void *',
  State: 'uint32_t',
});

export const WTS_SESSION_INFO_1_T = struct('RDSLEAK_WTS_SESSION_INFO_1W', {
  ExecEnvId: 'uint32_t',
  State: 'uint32_t',
  SessionId: 'uint32_t',
  pSessionName: 'void *',
  pHostName: 'void *',
  pUserName: 'void *',
  pDomainName: 'void *',
  pFarmName: 'void *',
});

export const TOKEN_STATISTICS_T = struct('RDSLEAK_TOKEN_STATISTICS', {
  TokenId: LUID_T,
  AuthenticationId: LUID_T,
  ExpirationTime: 'int64_t',
  TokenType: 'uint32_t',
  ImpersonationLevel: 'uint32_t',
  DynamicCharged: 'uint32_t',
  DynamicAvailable: 'uint32_t',
  GroupCount: 'uint32_t',
  PrivilegeCount: 'uint32_t',
  ModifiedId: LUID_T,
});

export const SERVICE_STATUS_PROCESS_T = struct('RDSLEAK_SERVICE_STATUS_PROCESS', {
  dwServiceType: 'uint32_t',
  dwCurrentState: 'uint32_t',
  dwControlsAccepted: 'uint32_t',
  dwWin32ExitCode: 'uint32_t',
  dwServiceSpecificExitCode: 'uint32_t',
  dwCheckPoint: 'uint32_t',
  dwWaitHint: 'uint32_t',
  dwProcessId: 'uint32_t',
  dwServiceFlags: 'uint32_t',
});

export const ENUM_SERVICE_STATUS_PROCESS_T = struct('RDSLEAK_ENUM_SERVICE_STATUS_PROCESSW', {
  lpServiceName: 'void *',
  lpDisplayName: 'void *',
  ServiceStatusProcess: SERVICE_STATUS_PROCESS_T,
});

export const TOKEN_PRIVILEGES_1_T = struct('RDSLEAK_TOKEN_PRIVILEGES_1', {
  PrivilegeCount: 'uint32_t',
  Luid: LUID_T,
  Attributes: 'uint32_t',
});

export const ALL_STRUCTS = {
  LUID: LUID_T,
  UNICODE_STRING: UNICODE_STRING_T,
  HANDLE_TABLE_HEADER: HANDLE_TABLE_HEADER_T,
  HANDLE_ENTRY: HANDLE_ENTRY_T,
  PROCESS_INFO: PROCESS_INFO_T,
  OBJECT_TYPE_INFO: OBJECT_TYPE_INFO_T,
  LOGON_SESSION_DATA: LOGON_SESSION_DATA_T,
  WTS_SESSION_INFO: WTS_SESSION_INFO_T,
  WTS_SESSION_INFO_1: WTS_SESSION_INFO_1_T,
  TOKEN_STATISTICS: TOKEN_STATISTICS_T,
  TOKEN_PRIVILEGES_1: TOKEN_PRIVILEGES_1_T,
  SERVICE_STATUS_PROCESS: SERVICE_STATUS_PROCESS_T,
  ENUM_SERVICE_STATUS_PROCESS: ENUM_SERVICE_STATUS_PROCESS_T,
} as const;
