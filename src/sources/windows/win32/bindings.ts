/**
 * win32-only koffi bindings implementing {@link Win32Api}. Loaded with a dynamic import by
 * windows-source.ts only when process.platform === 'win32' (real Windows, or Windows Node under Wine):
 * importing it elsewhere throws at koffi.load. All signatures use fixed-width types; x64 has one calling
 * convention, so no __stdcall is needed. Pointers and handles are BigInt (koffi 3), NULL is null/0n.
 *
 * Verified under Wine 8 with Windows Node 22 (npm run test:wine): NtQuerySystemInformation 5 and 64,
 * NtQueryObject types, OpenProcess, OpenProcessToken, DuplicateHandle, GetTokenInformation, CloseHandle,
 * GetProcessTimes, the WTS/LSA calls (which Wine answers with zero sessions), OpenSCManagerW and
 * EnumServicesStatusExW (Wine's services.exe lists its running services with their pids, all or nothing).
 * GetProcessHandleCount is a stub under Wine (returns 0): the source then counts its own entries in the
 * handle table instead. Only on paper: the LSA/WTS result decoding with real sessions, SeDebugPrivilege
 * effects, protected processes, the service list in pages (see docs/windows-verification.md).
 */
import koffi, { type LibraryHandle } from 'koffi';
import type { NtQueryResult, ServiceEnumResult, Win32Api, Win32Result } from '../api.js';
import { KoffiMemory } from '../koffi-memory.js';
import { ERROR_NOT_ALL_ASSIGNED, LUID, SC_ENUM_PROCESS_INFO, SE_PRIVILEGE_ENABLED, SERVICE_ACTIVE, SERVICE_WIN32, TOKEN_ADJUST_PRIVILEGES, TOKEN_PRIVILEGES_1, TOKEN_QUERY, TokenStatisticsClass, WTSTypeSessionInfoLevel1, ObjectTypesInformation } from '../layouts.js';
import { RdsLeakError } from '../../../errors.js';
import { isWindows } from '../../../platform/os.js';

type Ptr = bigint | null;
/** A koffi-bound function: typed here at the boundary so no `any` leaks out of this file. */
type Fn<A extends unknown[], R> = ((...args: A) => R) & { async: (...args: [...A, (err: unknown, result: R) => void]) => void };

function bind<A extends unknown[], R>(lib: LibraryHandle, definition: string): Fn<A, R> {
  return lib.func(definition);
}

const toBig = (p: Ptr | number | undefined): bigint => (p === null || p === undefined ? 0n : BigInt(p));
/** The value a koffi out-parameter (a one-element array) received, as u32. */
const u32 = (out: readonly number[]): number => (out[0] ?? 0) >>> 0;

export function loadWin32Api(): Win32Api {
  if (!isWindows()) {
    throw new RdsLeakError('E_SOURCE_UNAVAILABLE', `the Windows native bindings need win32, this is ${process.platform}`);
  }
  const ntdll = koffi.load('ntdll.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const secur32 = koffi.load('secur32.dll');
  const wtsapi32 = koffi.load('wtsapi32.dll');

  const NtQuerySystemInformation = bind<[number, Buffer, number, number[]], number>(ntdll, 'uint32_t NtQuerySystemInformation(uint32_t cls, void *buf, uint32_t len, _Out_ uint32_t *ret)');
  const NtQueryObject = bind<[Ptr, number, Buffer, number, number[]], number>(ntdll, 'uint32_t NtQueryObject(void *h, uint32_t cls, void *buf, uint32_t len, _Out_ uint32_t *ret)');

  const GetLastError = bind<[], number>(kernel32, 'uint32_t GetLastError()');
  const GetCurrentProcess = bind<[], Ptr>(kernel32, 'void *GetCurrentProcess()');
  const GetCurrentProcessId = bind<[], number>(kernel32, 'uint32_t GetCurrentProcessId()');
  const OpenProcess = bind<[number, number, number], Ptr>(kernel32, 'void *OpenProcess(uint32_t access, int32_t inherit, uint32_t pid)');
  const CloseHandle = bind<[bigint], number>(kernel32, 'int32_t CloseHandle(void *h)');
  const DuplicateHandle = bind<[bigint, bigint, bigint, Ptr[], number, number, number], number>(
    kernel32,
    'int32_t DuplicateHandle(void *srcProcess, void *src, void *dstProcess, _Out_ void **dst, uint32_t access, int32_t inherit, uint32_t options)',
  );
  const GetProcessHandleCount = bind<[bigint, number[]], number>(kernel32, 'int32_t GetProcessHandleCount(void *h, _Out_ uint32_t *count)');
  const GetProcessTimes = bind<[bigint, Buffer, Buffer, Buffer, Buffer], number>(kernel32, 'int32_t GetProcessTimes(void *h, void *c, void *e, void *k, void *u)');

  const OpenProcessToken = bind<[bigint, number, Ptr[]], number>(advapi32, 'int32_t OpenProcessToken(void *process, uint32_t access, _Out_ void **token)');
  const GetTokenInformation = bind<[bigint, number, Buffer, number, number[]], number>(advapi32, 'int32_t GetTokenInformation(void *token, uint32_t cls, void *buf, uint32_t len, _Out_ uint32_t *ret)');
  const LookupPrivilegeValueW = bind<[null, string, Buffer], number>(advapi32, 'int32_t LookupPrivilegeValueW(const char16_t *system, const char16_t *name, void *luid)');
  const AdjustTokenPrivileges = bind<[bigint, number, Buffer, number, null, null], number>(advapi32, 'int32_t AdjustTokenPrivileges(void *token, int32_t disableAll, void *state, uint32_t len, void *prev, void *retLen)');

  const OpenSCManagerW = bind<[null, null, number], Ptr>(advapi32, 'void *OpenSCManagerW(const char16_t *machine, const char16_t *database, uint32_t access)');
  const EnumServicesStatusExW = bind<[bigint, number, number, number, Buffer, number, number[], number[], number[], null], number>(
    advapi32,
    'int32_t EnumServicesStatusExW(void *scm, uint32_t level, uint32_t type, uint32_t state, void *buf, uint32_t len, _Out_ uint32_t *needed, _Out_ uint32_t *returned, _Inout_ uint32_t *resume, const char16_t *group)',
  );
  const CloseServiceHandle = bind<[bigint], number>(advapi32, 'int32_t CloseServiceHandle(void *h)');

  const LsaEnumerateLogonSessions = bind<[number[], Ptr[]], number>(secur32, 'uint32_t LsaEnumerateLogonSessions(_Out_ uint32_t *count, _Out_ void **list)');
  const LsaGetLogonSessionData = bind<[Buffer, Ptr[]], number>(secur32, 'uint32_t LsaGetLogonSessionData(void *luid, _Out_ void **data)');
  const LsaFreeReturnBuffer = bind<[bigint], number>(secur32, 'uint32_t LsaFreeReturnBuffer(void *buf)');

  const WTSEnumerateSessionsExW = bind<[null, number[], number, Ptr[], number[]], number>(
    wtsapi32,
    'int32_t WTSEnumerateSessionsExW(void *server, _Inout_ uint32_t *level, uint32_t filter, _Out_ void **info, _Out_ uint32_t *count)',
  );
  const WTSFreeMemoryExW = bind<[number, bigint, number], number>(wtsapi32, 'int32_t WTSFreeMemoryExW(uint32_t type, void *mem, uint32_t count)');
  const WTSEnumerateSessionsW = bind<[null, number, number, Ptr[], number[]], number>(
    wtsapi32,
    'int32_t WTSEnumerateSessionsW(void *server, uint32_t reserved, uint32_t version, _Out_ void **info, _Out_ uint32_t *count)',
  );
  const WTSFreeMemory = bind<[bigint], void>(wtsapi32, 'void WTSFreeMemory(void *mem)');

  const currentProcess = toBig(GetCurrentProcess());
  const fail = <T>(error: number): Win32Result<T> => ({ value: null, error });

  const api: Win32Api = {
    selfPid: GetCurrentProcessId(),
    memory: new KoffiMemory(),
    currentProcess,

    querySystemInformation(infoClass: number, buffer: Buffer): Promise<NtQueryResult> {
      const ret = [0];
      return new Promise((resolve, reject) => {
        NtQuerySystemInformation.async(infoClass, buffer, buffer.length, ret, (err, status) => {
          if (err) reject(new RdsLeakError('E_NATIVE_CALL', `NtQuerySystemInformation(${infoClass}) call failed`, { cause: err }));
          else resolve({ status: status >>> 0, returnLength: u32(ret) });
        });
      });
    },
    querySystemInformationSync(infoClass: number, buffer: Buffer): NtQueryResult {
      const ret = [0];
      const status = NtQuerySystemInformation(infoClass, buffer, buffer.length, ret);
      return { status: status >>> 0, returnLength: u32(ret) };
    },
    queryObjectTypes(buffer: Buffer): NtQueryResult {
      const ret = [0];
      const status = NtQueryObject(null, ObjectTypesInformation, buffer, buffer.length, ret);
      return { status: status >>> 0, returnLength: u32(ret) };
    },
    bufferAddress(buffer: Buffer): bigint {
      return koffi.address(buffer);
    },
    openProcess(pid: number, access: number): Win32Result<bigint> {
      const h = OpenProcess(access, 0, pid);
      return h === null || h === 0n ? fail(GetLastError()) : { value: toBig(h), error: 0 };
    },
    openProcessToken(processHandle: bigint, access: number): Win32Result<bigint> {
      const out: Ptr[] = [null];
      return OpenProcessToken(processHandle, access, out) ? { value: toBig(out[0]), error: 0 } : fail(GetLastError());
    },
    duplicateHandle(sourceProcess: bigint, sourceHandle: number, access: number): Win32Result<bigint> {
      const out: Ptr[] = [null];
      // options 0: never DUPLICATE_CLOSE_SOURCE (it would close the handle inside the holder).
      return DuplicateHandle(sourceProcess, BigInt(sourceHandle), currentProcess, out, access, 0, 0) ? { value: toBig(out[0]), error: 0 } : fail(GetLastError());
    },
    tokenStatistics(token: bigint, out: Buffer): Win32Result<number> {
      const ret = [0];
      return GetTokenInformation(token, TokenStatisticsClass, out, out.length, ret) ? { value: u32(ret) || out.length, error: 0 } : fail(GetLastError());
    },
    processCreateTime(processHandle: bigint): Win32Result<bigint> {
      const c = Buffer.alloc(8), e = Buffer.alloc(8), k = Buffer.alloc(8), u = Buffer.alloc(8);
      return GetProcessTimes(processHandle, c, e, k, u) ? { value: c.readBigUInt64LE(0), error: 0 } : fail(GetLastError());
    },
    closeHandle(handle: bigint): void {
      CloseHandle(handle);
    },
    ownHandleCount(): number | null {
      const out = [0];
      return GetProcessHandleCount(currentProcess, out) ? u32(out) : null;
    },
    enablePrivilege(name: string): Win32Result<true> {
      const token = api.openProcessToken(currentProcess, TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY);
      if (token.value === null) return fail(token.error);
      try {
        const tp = Buffer.alloc(TOKEN_PRIVILEGES_1.size);
        const luid = Buffer.alloc(LUID.size);
        if (!LookupPrivilegeValueW(null, name, luid)) return fail(GetLastError());
        tp.writeUInt32LE(1, TOKEN_PRIVILEGES_1.PrivilegeCount);
        luid.copy(tp, TOKEN_PRIVILEGES_1.Luid);
        tp.writeUInt32LE(SE_PRIVILEGE_ENABLED, TOKEN_PRIVILEGES_1.Attributes);
        const ok = AdjustTokenPrivileges(token.value, 0, tp, tp.length, null, null);
        // AdjustTokenPrivileges returns TRUE even when the privilege is not held: GetLastError decides.
        const error = GetLastError();
        if (!ok) return fail(error);
        return error === 0 ? { value: true, error: 0 } : fail(error === 0 ? ERROR_NOT_ALL_ASSIGNED : error);
      } finally {
        api.closeHandle(token.value);
      }
    },

    wtsEnumerateSessionsEx() {
      const level = [1];
      const info: Ptr[] = [null];
      const count = [0];
      return WTSEnumerateSessionsExW(null, level, 0, info, count) ? { value: { pointer: toBig(info[0]), count: u32(count) }, error: 0 } : fail(GetLastError());
    },
    wtsFreeMemoryEx(pointer: bigint, count: number) {
      WTSFreeMemoryExW(WTSTypeSessionInfoLevel1, pointer, count);
    },
    wtsEnumerateSessions() {
      const info: Ptr[] = [null];
      const count = [0];
      return WTSEnumerateSessionsW(null, 0, 1, info, count) ? { value: { pointer: toBig(info[0]), count: u32(count) }, error: 0 } : fail(GetLastError());
    },
    wtsFreeMemory(pointer: bigint) {
      WTSFreeMemory(pointer);
    },

    // LSA returns its status (no GetLastError), so the async form loses nothing.
    lsaEnumerateLogonSessions(): Promise<Win32Result<{ pointer: bigint; count: number }>> {
      const count = [0];
      const list: Ptr[] = [null];
      return new Promise((resolve, reject) => {
        LsaEnumerateLogonSessions.async(count, list, (err, status) => {
          if (err) reject(new RdsLeakError('E_NATIVE_CALL', 'LsaEnumerateLogonSessions call failed', { cause: err }));
          else resolve((status >>> 0) === 0 ? { value: { pointer: toBig(list[0]), count: u32(count) }, error: 0 } : fail(status >>> 0));
        });
      });
    },
    lsaGetLogonSessionData(luid: Buffer): Promise<Win32Result<bigint>> {
      const out: Ptr[] = [null];
      return new Promise((resolve, reject) => {
        LsaGetLogonSessionData.async(luid, out, (err, status) => {
          if (err) reject(new RdsLeakError('E_NATIVE_CALL', 'LsaGetLogonSessionData call failed', { cause: err }));
          else resolve((status >>> 0) === 0 ? { value: toBig(out[0]), error: 0 } : fail(status >>> 0));
        });
      });
    },
    lsaFreeReturnBuffer(pointer: bigint) {
      LsaFreeReturnBuffer(pointer);
    },

    openServiceManager(access: number): Win32Result<bigint> {
      const h = OpenSCManagerW(null, null, access);
      return h === null || h === 0n ? fail(GetLastError()) : { value: toBig(h), error: 0 };
    },
    // Synchronous: the SCM answers from memory in milliseconds, and GetLastError must follow the call.
    enumServices(scm: bigint, buffer: Buffer, resumeHandle: number): ServiceEnumResult {
      const needed = [0];
      const returned = [0];
      const resume = [resumeHandle];
      const ok = EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_ACTIVE, buffer, buffer.length, needed, returned, resume, null) !== 0;
      return { ok, error: ok ? 0 : GetLastError(), bytesNeeded: u32(needed), count: u32(returned), resumeHandle: u32(resume) };
    },
    closeServiceHandle(handle: bigint): void {
      CloseServiceHandle(handle);
    },
  };
  return api;
}
