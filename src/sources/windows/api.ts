import type { NativeMemory } from './decoders/memory.js';

/**
 * The boundary between the portable collectors (this folder) and the win32-only koffi bindings
 * (win32/bindings.ts). Everything here is typed with fixed-width meaning: handles and pointers are
 * BigInt (0n = NULL), statuses and error codes are u32 numbers. The collectors are unit-tested on Linux
 * against a fake implementation; the real one only loads on win32 (Windows, or Windows Node under Wine).
 */
export interface Win32Result<T> {
  readonly value: T | null;
  /** GetLastError() (Win32 calls) or the NTSTATUS / LSA status (Nt*, Lsa* calls); 0 on success. */
  readonly error: number;
}

export interface NtQueryResult {
  readonly status: number;
  readonly returnLength: number;
}

/** One EnumServicesStatusExW(SC_ENUM_PROCESS_INFO) call. */
export interface ServiceEnumResult {
  /** The call returned TRUE: the list is complete. */
  readonly ok: boolean;
  /** GetLastError() when it returned FALSE (ERROR_MORE_DATA: more entries than fit); 0 otherwise. */
  readonly error: number;
  /** pcbBytesNeeded: the bytes the remaining entries need. */
  readonly bytesNeeded: number;
  /** lpServicesReturned: entries in the buffer. */
  readonly count: number;
  /** lpResumeHandle after the call: where the next call continues. */
  readonly resumeHandle: number;
}

export interface Win32Api {
  readonly selfPid: number;
  readonly memory: NativeMemory;

  /** NtQuerySystemInformation into `buffer`, as a koffi async call (runs on a worker thread). */
  querySystemInformation(infoClass: number, buffer: Buffer): Promise<NtQueryResult>;
  /** The same, synchronous: only for the own-handle-count fallback (Wine), outside collections. */
  querySystemInformationSync(infoClass: number, buffer: Buffer): NtQueryResult;
  /** NtQueryObject(NULL, ObjectTypesInformation) into `buffer` (synchronous: small, fast). */
  queryObjectTypes(buffer: Buffer): NtQueryResult;
  /** The address the kernel sees for a Buffer passed as `void *` (koffi.address). */
  bufferAddress(buffer: Buffer): bigint;

  openProcess(pid: number, access: number): Win32Result<bigint>;
  openProcessToken(process: bigint, access: number): Win32Result<bigint>;
  /** The pseudo-handle of the current process (GetCurrentProcess). */
  readonly currentProcess: bigint;
  /** DuplicateHandle(source, value, self, &dup, access, FALSE, 0): never DUPLICATE_CLOSE_SOURCE. */
  duplicateHandle(sourceProcess: bigint, sourceHandle: number, access: number): Win32Result<bigint>;
  /** GetTokenInformation(TokenStatistics) into `out` (at least 56 bytes); value = bytes written. */
  tokenStatistics(token: bigint, out: Buffer): Win32Result<number>;
  /** GetProcessTimes creation time (FILETIME) of an open process handle. */
  processCreateTime(process: bigint): Win32Result<bigint>;
  closeHandle(handle: bigint): void;
  /** GetProcessHandleCount(GetCurrentProcess()). */
  ownHandleCount(): number | null;
  /** LookupPrivilegeValueW + AdjustTokenPrivileges + GetLastError (1300 = not held). */
  enablePrivilege(name: string): Win32Result<true>;

  wtsEnumerateSessionsEx(): Win32Result<{ pointer: bigint; count: number }>;
  wtsFreeMemoryEx(pointer: bigint, count: number): void;
  wtsEnumerateSessions(): Win32Result<{ pointer: bigint; count: number }>;
  wtsFreeMemory(pointer: bigint): void;

  /** Async koffi calls (worker thread): lsass can be slow or stuck on a host full of zombies. */
  lsaEnumerateLogonSessions(): Promise<Win32Result<{ pointer: bigint; count: number }>>;
  lsaGetLogonSessionData(luid: Buffer): Promise<Win32Result<bigint>>;
  lsaFreeReturnBuffer(pointer: bigint): void;

  /** OpenSCManagerW(NULL, NULL, access) on the local active database. */
  openServiceManager(access: number): Win32Result<bigint>;
  /** EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_ACTIVE, buffer, ..., &resume, NULL). */
  enumServices(scm: bigint, buffer: Buffer, resumeHandle: number): ServiceEnumResult;
  closeServiceHandle(handle: bigint): void;
}
