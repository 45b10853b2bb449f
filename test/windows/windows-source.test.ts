import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { snapshotSchema } from '../../src/model/snapshot.js';
import type { NtQueryResult, ServiceEnumResult, Win32Api, Win32Result } from '../../src/sources/windows/api.js';
import { collectServices, SERVICE_LIST_MAX_SIZE } from '../../src/sources/windows/collectors/services.js';
import { encodeServiceEntries, type ServiceEntry } from '../../src/sources/windows/decoders/services.js';
import { GrowingBuffer } from '../../src/sources/windows/growing-buffer.js';
import { encodeHandleTable, type HandleEntry } from '../../src/sources/windows/decoders/handle-table.js';
import { RegionMemory } from '../../src/sources/windows/decoders/memory.js';
import * as L from '../../src/sources/windows/layouts.js';
import { createWindowsSource, createWindowsSourceWithApi } from '../../src/sources/windows/windows-source.js';
import { TokenCache } from '../../src/sources/windows/token-cache.js';
import { LogonSessionCache } from '../../src/sources/windows/collectors/lsa.js';
import type { Snapshot } from '../../src/model/snapshot.js';

const logger = pino({ level: 'silent' });
const SELF = 777;
const TOKEN_TYPE = 3;

type Target = { kind: 'process'; pid: number } | { kind: 'token'; key: string } | { kind: 'scm' };

/** Bytes the SCM needs for these entries: the array, then a name and a display name each. */
const serviceBytes = (list: readonly ServiceEntry[]) => list.reduce((n, e) => n + L.ENUM_SERVICE_STATUS_PROCESS.size + 4 * (e.name.length + 1), 0);

/** A fake kernel: a handle table, processes, token objects, LSA sessions; counts opens and frees. */
class FakeApi implements Win32Api {
  readonly selfPid = SELF;
  readonly memory = new RegionMemory();
  readonly currentProcess = 0xffffffffffffffffn;
  open = new Set<bigint>();
  next = 0x5000n;
  table: HandleEntry[] = [];
  /** (pid:handle) -> token object id (low part of TokenId) and logon id low part. */
  tokens = new Map<string, { tokenId: number; logon: number }>();
  denied = new Set<number>();
  protectedPids = new Set<number>();
  gonePids = new Set<number>();
  closedHandles = new Set<string>();
  reusedHandles = new Set<string>();
  duplicates = 0;
  holderOpens = new Map<number, number>();
  /** OpenProcess calls asking for PROCESS_DUP_HANDLE, granted or not. */
  dupOpenAttempts = new Map<number, number>();
  lsaFreed = 0;
  lsaAllocated = 0;
  wtsFreed = 0;
  mismatchTimes = 2;
  queries: number[] = [];
  handleCount = 40;
  /** Image names other than `app<pid>.exe`. */
  images = new Map<number, string>();
  /** WTSEnumerateSessionsExW fails (RPC error), as on some hosts: the source falls back. */
  wtsExFails = false;
  /** Creation times other than 5000 + pid (a pid reused by a new process). */
  createTimes = new Map<number, bigint>();
  /** Low parts of the LUIDs LsaEnumerateLogonSessions lists. */
  luids = [0x3e7, 0x17c025, 0x20000, 0x30000];
  lsaDataCalls = 0;
  /** What the service control manager lists, in its order; pid 0 = not running yet. */
  services: ServiceEntry[] = [
    { name: 'ProfSvc', pid: 100, serviceType: 0x20, currentState: 4 },
    { name: 'Schedule', pid: 300, serviceType: 0x20, currentState: 4 },
    { name: 'UserManager', pid: 100, serviceType: 0x20, currentState: 4 },
    { name: 'wuauserv', pid: 0, serviceType: 0x20, currentState: 2 },
  ];
  /** Rights asked of OpenSCManagerW. */
  scmAccess: number[] = [];
  scmDenied = false;
  /** EnumServicesStatusExW fails with this error. */
  enumError: number | null = null;
  enumCalls: { size: number; resume: number }[] = [];
  private handleTargets = new Map<bigint, Target>();

  private alloc(target: Target): bigint {
    const h = (this.next += 4n);
    this.open.add(h);
    this.handleTargets.set(h, target);
    return h;
  }
  querySystemInformation(infoClass: number, buffer: Buffer): Promise<NtQueryResult> {
    return Promise.resolve(this.querySystemInformationSync(infoClass, buffer));
  }
  querySystemInformationSync(infoClass: number, buffer: Buffer): NtQueryResult {
    this.queries.push(buffer.length);
    if (infoClass === L.SystemProcessInformation) return this.processes(buffer);
    // The calibration token (our own, open now) appears in the table with the token type index.
    const own = [...this.handleTargets.entries()].filter(([h, t]) => t.kind === 'token' && t.key.startsWith(`${SELF}:`) && this.open.has(h));
    const entries = [...this.table, ...own.map(([h]) => ({ object: 0n, pid: SELF, handle: Number(h), grantedAccess: 8, typeIndex: TOKEN_TYPE }))];
    const bytes = encodeHandleTable(entries);
    if (this.mismatchTimes > 0 || bytes.length > buffer.length) {
      this.mismatchTimes--;
      return { status: L.STATUS_INFO_LENGTH_MISMATCH, returnLength: bytes.length };
    }
    bytes.copy(buffer);
    return { status: 0, returnLength: bytes.length };
  }
  private createTime(pid: number): bigint {
    return this.createTimes.get(pid) ?? 5000n + BigInt(pid);
  }
  private processes(buffer: Buffer): NtQueryResult {
    const pids = [0, 4, 100, 200, 300, SELF];
    const size = pids.length * (L.PROCESS_INFO.size + 32);
    if (buffer.length < size) return { status: L.STATUS_INFO_LENGTH_MISMATCH, returnLength: size };
    buffer.fill(0, 0, size);
    pids.forEach((pid, i) => {
      const off = i * (L.PROCESS_INFO.size + 32);
      const name = Buffer.from(pid === 0 ? '' : pid === 4 ? 'System' : pid === SELF ? 'node.exe' : (this.images.get(pid) ?? `app${pid}.exe`), 'utf16le');
      buffer.writeUInt32LE(i === pids.length - 1 ? 0 : L.PROCESS_INFO.size + 32, off);
      name.copy(buffer, off + L.PROCESS_INFO.size);
      buffer.writeUInt16LE(name.length, off + L.PROCESS_INFO.ImageName);
      buffer.writeUInt16LE(name.length, off + L.PROCESS_INFO.ImageName + 2);
      buffer.writeBigUInt64LE(name.length ? 0x1000n + BigInt(off + L.PROCESS_INFO.size) : 0n, off + L.PROCESS_INFO.ImageName + 8);
      buffer.writeBigUInt64LE(BigInt(pid), off + L.PROCESS_INFO.UniqueProcessId);
      buffer.writeUInt32LE(pid === 300 ? 2 : 0, off + L.PROCESS_INFO.SessionId);
      buffer.writeBigInt64LE(pid === 0 ? 0n : this.createTime(pid), off + L.PROCESS_INFO.CreateTime);
    });
    return { status: 0, returnLength: size };
  }
  queryObjectTypes(): NtQueryResult {
    return { status: 0xc0000002, returnLength: 0 }; // not implemented: calibration alone must do
  }
  bufferAddress(): bigint {
    return 0x1000n;
  }
  openProcess(pid: number, access: number): Win32Result<bigint> {
    if (access & L.PROCESS_DUP_HANDLE) this.dupOpenAttempts.set(pid, (this.dupOpenAttempts.get(pid) ?? 0) + 1);
    if (this.gonePids.has(pid)) return { value: null, error: L.ERROR_INVALID_PARAMETER };
    if (this.denied.has(pid)) return { value: null, error: L.ERROR_ACCESS_DENIED };
    if (this.protectedPids.has(pid) && access & L.PROCESS_DUP_HANDLE) return { value: null, error: L.ERROR_ACCESS_DENIED };
    if (access & L.PROCESS_DUP_HANDLE) this.holderOpens.set(pid, (this.holderOpens.get(pid) ?? 0) + 1);
    return { value: this.alloc({ kind: 'process', pid }), error: 0 };
  }
  openProcessToken(process: bigint): Win32Result<bigint> {
    const t = process === this.currentProcess ? { kind: 'process' as const, pid: SELF } : this.handleTargets.get(process);
    if (!t || t.kind !== 'process') return { value: null, error: L.ERROR_INVALID_HANDLE };
    const key = `${t.pid}:primary`;
    this.tokens.set(key, { tokenId: 0x9000 + t.pid, logon: 0x3e7 });
    return { value: this.alloc({ kind: 'token', key }), error: 0 };
  }
  duplicateHandle(source: bigint, value: number): Win32Result<bigint> {
    this.duplicates++;
    const t = this.handleTargets.get(source);
    if (!t || t.kind !== 'process') return { value: null, error: L.ERROR_INVALID_HANDLE };
    const key = `${t.pid}:${value}`;
    if (this.closedHandles.has(key)) return { value: null, error: L.ERROR_INVALID_HANDLE };
    return { value: this.alloc({ kind: 'token', key }), error: 0 };
  }
  tokenStatistics(token: bigint, out: Buffer): Win32Result<number> {
    const t = this.handleTargets.get(token);
    if (!t || t.kind !== 'token' || this.reusedHandles.has(t.key)) return { value: null, error: L.ERROR_INVALID_HANDLE };
    const info = this.tokens.get(t.key) ?? { tokenId: 0x1, logon: 0x1 };
    out.fill(0);
    out.writeUInt32LE(info.tokenId, L.TOKEN_STATISTICS.TokenId);
    out.writeUInt32LE(info.logon, L.TOKEN_STATISTICS.AuthenticationId);
    return { value: 56, error: 0 };
  }
  processCreateTime(process: bigint): Win32Result<bigint> {
    const t = this.handleTargets.get(process);
    if (!t || t.kind !== 'process') return { value: null, error: 6 };
    return { value: t.pid === 300 ? 1n : this.createTime(t.pid), error: 0 }; // pid 300 was reused
  }
  closeHandle(handle: bigint): void {
    if (!this.open.delete(handle)) throw new Error(`double close of 0x${handle.toString(16)}`);
  }
  ownHandleCount(): number | null {
    return this.handleCount + this.open.size;
  }
  enablePrivilege(): Win32Result<true> {
    return { value: null, error: L.ERROR_NOT_ALL_ASSIGNED };
  }
  wtsEnumerateSessionsEx() {
    if (this.wtsExFails) return { value: null, error: 1726 };
    const arr = Buffer.alloc(L.WTS_SESSION_INFO_1.size);
    arr.writeUInt32LE(2, L.WTS_SESSION_INFO_1.SessionId);
    arr.writeBigUInt64LE(this.memory.place(Buffer.from('RDP-Tcp#1\0', 'utf16le')), L.WTS_SESSION_INFO_1.pSessionName);
    return { value: { pointer: this.memory.place(arr), count: 1 }, error: 0 };
  }
  wtsFreeMemoryEx(_p: bigint, count: number) {
    this.wtsFreed += count;
  }
  wtsEnumerateSessions() {
    if (!this.wtsExFails) return { value: null, error: 1 };
    const arr = Buffer.alloc(L.WTS_SESSION_INFO.size);
    arr.writeUInt32LE(2, L.WTS_SESSION_INFO.SessionId);
    arr.writeBigUInt64LE(this.memory.place(Buffer.from('RDP-Tcp#1\0', 'utf16le')), L.WTS_SESSION_INFO.pWinStationName);
    return { value: { pointer: this.memory.place(arr), count: 1 }, error: 0 };
  }
  wtsFreeMemory() {
    this.wtsFreed++;
  }
  async lsaEnumerateLogonSessions() {
    const luids = Buffer.alloc(this.luids.length * 8);
    this.luids.forEach((low, i) => luids.writeUInt32LE(low, i * 8));
    this.lsaAllocated++;
    return { value: { pointer: this.memory.place(luids), count: this.luids.length }, error: 0 };
  }
  async lsaGetLogonSessionData(luid: Buffer): Promise<Win32Result<bigint>> {
    this.lsaDataCalls++;
    const low = luid.readUInt32LE(0);
    if (low === 0x3e7) return { value: 0n, error: 0 }; // LocalSystem: success with NULL
    if (low === 0x20000) return { value: null, error: L.STATUS_NO_SUCH_LOGON_SESSION };
    if (low === 0x30000) return { value: null, error: L.STATUS_ACCESS_DENIED };
    const data = Buffer.alloc(L.LOGON_SESSION_DATA.size);
    data.writeUInt32LE(data.length, 0);
    data.writeUInt32LE(low, L.LOGON_SESSION_DATA.LogonId);
    const user = Buffer.from('alice', 'utf16le');
    data.writeUInt16LE(user.length, L.LOGON_SESSION_DATA.UserName);
    data.writeUInt16LE(user.length, L.LOGON_SESSION_DATA.UserName + 2);
    data.writeBigUInt64LE(this.memory.place(user), L.LOGON_SESSION_DATA.UserName + 8);
    data.writeUInt32LE(10, L.LOGON_SESSION_DATA.LogonType);
    data.writeUInt32LE(low === 0x17c025 ? 2 : 3, L.LOGON_SESSION_DATA.Session);
    this.lsaAllocated++;
    return { value: this.memory.place(data), error: 0 };
  }
  lsaFreeReturnBuffer() {
    this.lsaFreed++;
  }
  openServiceManager(access: number): Win32Result<bigint> {
    this.scmAccess.push(access);
    if (this.scmDenied) return { value: null, error: L.ERROR_ACCESS_DENIED };
    return { value: this.alloc({ kind: 'scm' }), error: 0 };
  }
  /** As the SCM pages: from `resume`, as many entries as fit; ERROR_MORE_DATA with the bytes the rest needs. */
  enumServices(scm: bigint, buffer: Buffer, resume: number): ServiceEnumResult {
    this.enumCalls.push({ size: buffer.length, resume });
    if (this.handleTargets.get(scm)?.kind !== 'scm' || !this.open.has(scm)) return { ok: false, error: L.ERROR_INVALID_HANDLE, bytesNeeded: 0, count: 0, resumeHandle: resume };
    if (this.enumError !== null) return { ok: false, error: this.enumError, bytesNeeded: 0, count: 0, resumeHandle: resume };
    const rest = this.services.slice(resume);
    let fit = 0;
    for (let used = 0; fit < rest.length && (used += serviceBytes([rest[fit]!])) <= buffer.length; ) fit++;
    encodeServiceEntries(rest.slice(0, fit), buffer, this.bufferAddress());
    if (fit === rest.length) return { ok: true, error: 0, bytesNeeded: 0, count: fit, resumeHandle: 0 };
    return { ok: false, error: L.ERROR_MORE_DATA, bytesNeeded: serviceBytes(rest.slice(fit)), count: fit, resumeHandle: resume + fit };
  }
  closeServiceHandle(handle: bigint): void {
    if (this.handleTargets.get(handle)?.kind !== 'scm') throw new Error('CloseServiceHandle on a handle that is not a service manager');
    this.closeHandle(handle);
  }
}

function scenario(): FakeApi {
  const api = new FakeApi();
  // pid 100: 300 handles to one token object (visible address) -> one duplicate; a closed and a reused value.
  for (let i = 0; i < 300; i++) api.table.push({ object: 0xffff800000001000n, pid: 100, handle: 0x100 + 4 * i, grantedAccess: 8, typeIndex: TOKEN_TYPE });
  api.tokens.set('100:256', { tokenId: 0x4242, logon: 0x17c025 });
  api.table.push({ object: 0n, pid: 100, handle: 0x9000, grantedAccess: 8, typeIndex: TOKEN_TYPE });
  api.closedHandles.add('100:36864');
  api.table.push({ object: 0n, pid: 100, handle: 0x9004, grantedAccess: 8, typeIndex: TOKEN_TYPE });
  api.reusedHandles.add('100:36868');
  // pid 4 (System) and a protected pid 200; a pid that exited; a reused pid 300; a non-token handle.
  api.table.push({ object: 0xffff800000001000n, pid: 4, handle: 0x10, grantedAccess: 8, typeIndex: TOKEN_TYPE });
  api.protectedPids.add(4);
  api.table.push({ object: 0n, pid: 200, handle: 0x20, grantedAccess: 8, typeIndex: TOKEN_TYPE });
  api.protectedPids.add(200);
  api.table.push({ object: 0n, pid: 555, handle: 0x30, grantedAccess: 8, typeIndex: TOKEN_TYPE });
  api.gonePids.add(555);
  api.table.push({ object: 0n, pid: 300, handle: 0x40, grantedAccess: 8, typeIndex: TOKEN_TYPE });
  api.table.push({ object: 0n, pid: 100, handle: 0x50, grantedAccess: 1, typeIndex: 37 });
  return api;
}

describe('Windows source over a fake Win32 API', () => {
  it('produces a valid snapshot, counts races and frees every buffer and handle', async () => {
    const api = scenario();
    const source = createWindowsSourceWithApi(api, { logger, hostName: 'rds01', concurrency: 2 });
    expect(source.kind).toBe('windows');
    const snap = await source.collect({ deadline: Date.now() + 10_000 });
    expect(snapshotSchema.safeParse(snap).success, JSON.stringify(snapshotSchema.safeParse(snap).error?.issues.slice(0, 3))).toBe(true);
    expect(snap.collectors.map((c) => [c.name, c.success])).toEqual([['wts', true], ['lsa', true], ['processes', true], ['handles', true], ['tokens', true], ['services', true]]);

    expect(snap.wtsSessions).toEqual([{ sessionId: 2, name: 'RDP-Tcp#1', state: 'active', user: null, domain: null }]);
    expect(api.wtsFreed).toBe(1);
    expect(snap.logonSessions?.map((s) => s.logonId)).toEqual(['00000000:0017c025']);
    expect(api.lsaFreed).toBe(api.lsaAllocated);

    const th = snap.tokenHandles!;
    expect(th.filter((h) => h.pid === SELF)).toEqual([]); // the agent's own handles are not reported
    const p100 = th.filter((h) => h.pid === 100);
    expect(p100.filter((h) => h.logonId === '00000000:0017c025' && h.tokenId === '00000000:00004242' && h.objectAddress === '0xffff800000001000')).toHaveLength(300);
    expect(api.holderOpens.get(100)).toBe(1); // each holder opened once per scan
    expect(api.duplicates).toBeLessThan(10); // one duplicate per distinct object, plus the odd ones
    expect(p100.find((h) => h.handle === 0x9000)?.unresolved).toBe('gone');
    expect(p100.find((h) => h.handle === 0x9004)?.unresolved).toBe('gone');
    expect(th.find((h) => h.pid === 4)).toMatchObject({ unresolved: 'protected_process', objectAddress: '0xffff800000001000' });
    // Without SeDebugPrivilege a refused holder is access_denied (we cannot tell protection apart).
    expect(th.find((h) => h.pid === 200)?.unresolved).toBe('access_denied');
    expect(th.find((h) => h.pid === 555)?.unresolved).toBe('gone');
    expect(th.find((h) => h.pid === 300)?.unresolved).toBe('gone');
    expect(th.some((h) => h.handle === 0x50)).toBe(false);

    const issue = (collector: string, kind: string) => snap.issues.find((i) => i.collector === collector && i.kind === kind)?.count ?? 0;
    expect(issue('lsa', 'session_vanished')).toBe(1);
    expect(issue('lsa', 'session_denied')).toBe(1);
    expect(issue('lsa', 'session_no_data')).toBe(1);
    expect(issue('tokens', 'handle_closed')).toBe(1);
    expect(issue('tokens', 'handle_reused')).toBe(1);
    expect(issue('tokens', 'holder_exited')).toBe(1);
    expect(issue('tokens', 'pid_reused')).toBe(1);

    expect(snap.processes?.find((p) => p.pid === 0)).toMatchObject({ image: 'Idle', logonId: null });
    expect(snap.processes?.find((p) => p.pid === 100)).toMatchObject({ image: 'app100.exe', sessionId: 0, logonId: '00000000:000003e7', services: ['ProfSvc', 'UserManager'] });
    expect(snap.processes?.find((p) => p.pid === 300)?.services).toEqual(['Schedule']);
    expect(snap.processes?.filter((p) => p.services).map((p) => p.pid).sort()).toEqual([100, 300]); // wuauserv (pid 0) hosts nowhere
    expect(api.scmAccess).toEqual([L.SC_MANAGER_ENUMERATE_SERVICE]); // the least right, nothing more
    expect(api.open.size).toBe(0); // every handle the source opened is closed

    const counts: (number | null)[] = [];
    for (let i = 0; i < 10; i++) {
      await source.collect({ deadline: Date.now() + 10_000 });
      counts.push(source.ownHandleCount!());
    }
    expect(new Set(counts).size).toBe(1);
    await source.close();
  });

  it('grows the handle buffer on STATUS_INFO_LENGTH_MISMATCH and remembers the size', async () => {
    const api = scenario();
    api.mismatchTimes = 1;
    const reader = new GrowingBuffer('handle table', 64);
    const query = (b: Buffer) => api.querySystemInformation(L.SystemExtendedHandleInformation, b);
    const first = await reader.fill(query);
    expect(first.length).toBeGreaterThan(64);
    const grown = reader.size;
    api.queries.length = 0;
    await reader.fill(query);
    expect(api.queries).toEqual([grown]); // no retry the second time
  });

  it('gives up with E_NATIVE_CALL when the table never fits', async () => {
    const api = scenario();
    api.mismatchTimes = 1000;
    const reader = new GrowingBuffer('handle table', 64, 4096, 4);
    await expect(reader.fill((b) => api.querySystemInformation(L.SystemExtendedHandleInformation, b))).rejects.toMatchObject({ code: 'E_NATIVE_CALL' });
    expect(() => reader.fillSync((b) => api.querySystemInformationSync(L.SystemExtendedHandleInformation, b))).toThrow(/too small buffer at 4096 bytes after 4 attempts/);
  });

  it('marks a failed handle table as a failed collector, not a thrown collection', async () => {
    const api = scenario();
    api.querySystemInformation = () => Promise.resolve({ status: 0xc0000022, returnLength: 0 });
    const snap = await createWindowsSourceWithApi(api, { logger }).collect({ deadline: Date.now() + 5000 });
    expect(snapshotSchema.safeParse(snap).success).toBe(true);
    expect(snap.tokenHandles).toBeNull();
    expect(snap.processes).toBeNull();
    expect(snap.collectors.find((c) => c.name === 'handles')?.success).toBe(false);
    expect(snap.collectors.find((c) => c.name === 'tokens')?.success).toBe(false);
    expect(snap.wtsSessions).not.toBeNull();
  });

  it('never opens lsass for handle duplication unless told to: its handles are skipped, and counted', async () => {
    const api = scenario();
    api.images.set(200, 'LSASS.EXE');
    const snap = await createWindowsSourceWithApi(api, { logger }).collect({ deadline: Date.now() + 5000 });
    expect(api.dupOpenAttempts.get(200)).toBeUndefined();
    expect(api.dupOpenAttempts.get(100)).toBe(1);
    expect(snap.tokenHandles?.find((h) => h.pid === 200)?.unresolved).toBe('skipped');
    expect(snap.issues.find((i) => i.collector === 'tokens' && i.kind === 'holder_skipped')?.count).toBe(1);
    expect(snapshotSchema.safeParse(snap).success).toBe(true);

    const optIn = scenario();
    optIn.images.set(200, 'lsass.exe');
    const opened = await createWindowsSourceWithApi(optIn, { logger, openProtectedProcesses: true }).collect({ deadline: Date.now() + 5000 });
    expect(optIn.dupOpenAttempts.get(200)).toBe(1);
    expect(opened.tokenHandles?.find((h) => h.pid === 200)?.unresolved).toBe('access_denied');
  });

  it('falls back to WTSEnumerateSessionsW and says user names are unknown', async () => {
    const api = scenario();
    api.wtsExFails = true;
    const snap = await createWindowsSourceWithApi(api, { logger }).collect({ deadline: Date.now() + 5000 });
    expect(snap.wtsSessions).toEqual([{ sessionId: 2, name: 'RDP-Tcp#1', state: 'active', user: null, domain: null }]);
    expect(snap.wtsUserNamesKnown).toBe(false);
    expect(snap.issues.find((i) => i.collector === 'wts' && i.kind === 'user_names_unavailable')?.count).toBe(1);
    expect(api.wtsFreed).toBe(1);
  });

  it('services: grows a buffer that holds not even one entry, then remembers the size', () => {
    const api = scenario();
    const list = new GrowingBuffer('services', 32, SERVICE_LIST_MAX_SIZE);
    const byPid = collectServices(api, list);
    expect(Object.fromEntries(byPid)).toEqual({ 100: ['ProfSvc', 'UserManager'], 300: ['Schedule'] });
    expect(api.enumCalls.map((c) => c.resume)).toEqual([0, 0]); // retried from the start
    expect(api.enumCalls[1]!.size).toBeGreaterThan(32);
    api.enumCalls.length = 0;
    collectServices(api, list);
    expect(api.enumCalls).toHaveLength(1);
    expect(api.open.size).toBe(0);
  });

  it('services: a list longer than one call comes in pages through the resume handle, each call at most 256 KB', () => {
    const api = scenario();
    // An RDS host with per-user service instances: 3000 of them, 200 bytes and more each.
    api.services = Array.from({ length: 3000 }, (_, i) => ({ name: `CDPUserSvc_${i.toString(16).padStart(5, '0')}_per_user_instance_${i}`, pid: 1000 + (i % 50) * 4, serviceType: 0xe0, currentState: 4 }));
    const byPid = collectServices(api, new GrowingBuffer('services', 64 * 1024, SERVICE_LIST_MAX_SIZE));
    expect([...byPid.values()].reduce((n, names) => n + names.length, 0)).toBe(3000);
    expect(byPid.get(1000)).toHaveLength(60);
    expect(api.enumCalls.length).toBeGreaterThan(2);
    expect(Math.max(...api.enumCalls.map((c) => c.size))).toBeLessThanOrEqual(SERVICE_LIST_MAX_SIZE);
    const resumes = api.enumCalls.map((c) => c.resume);
    expect(resumes[0]).toBe(0);
    expect(resumes.slice(1).every((r, i) => r >= resumes[i]!)).toBe(true);
    expect(api.open.size).toBe(0);
  });

  it('services: a failure degrades only the services collector, and the SCM handle is closed', async () => {
    for (const breakIt of [(api: FakeApi) => (api.scmDenied = true), (api: FakeApi) => (api.enumError = L.ERROR_ACCESS_DENIED)]) {
      const api = scenario();
      breakIt(api);
      const snap = await createWindowsSourceWithApi(api, { logger }).collect({ deadline: Date.now() + 5000 });
      expect(snapshotSchema.safeParse(snap).success).toBe(true);
      expect(snap.collectors.filter((c) => !c.success).map((c) => c.name)).toEqual(['services']);
      expect(snap.collectors.find((c) => c.name === 'services')?.error).toMatch(/^(OpenSCManagerW|EnumServicesStatusExW)\b.* failed with error 5$/);
      expect(snap.processes?.find((p) => p.pid === 100)).toMatchObject({ image: 'app100.exe', logonId: '00000000:000003e7' });
      expect(snap.processes?.some((p) => p.services)).toBe(false);
      expect(snap.tokenHandles?.length).toBeGreaterThan(300);
      expect(api.open.size).toBe(0);
    }
  });

  it('services: a resume handle that does not move is an error, not an endless loop', () => {
    const api = scenario();
    api.enumServices = (_scm, buffer, resume) => {
      encodeServiceEntries([{ name: 'Stuck', pid: 100, serviceType: 0x20, currentState: 4 }], buffer, api.bufferAddress());
      return { ok: false, error: L.ERROR_MORE_DATA, bytesNeeded: 100, count: 1, resumeHandle: resume };
    };
    expect(() => collectServices(api, new GrowingBuffer('services', 4096, SERVICE_LIST_MAX_SIZE))).toThrow(/resume handle stays at 0/);
    expect(api.open.size).toBe(0);
  });

  it('refuses --source windows off Windows with a usage error', async () => {
    if (process.platform === 'win32') return;
    await expect(createWindowsSource({ logger })).rejects.toMatchObject({ code: 'E_SOURCE_UNAVAILABLE', exitCode: 2 });
  });
});

/** pid 100 and pid 200 each hold `count` handles to tokens of their own (hidden addresses, as under Wine). */
function heldTokens(count: number): FakeApi {
  const api = new FakeApi();
  for (const pid of [100, 200]) {
    for (let i = 0; i < count; i++) {
      const handle = 0x100 + 4 * i;
      api.table.push({ object: 0n, pid, handle, grantedAccess: 8, typeIndex: TOKEN_TYPE });
      api.tokens.set(`${pid}:${handle}`, { tokenId: pid * 0x10000 + i, logon: 0x17c025 });
    }
  }
  return api;
}

const NEVER_DUE = 1e9; // (sequence + scan) % NEVER_DUE is never 0 in a short test: no re-verification
const tokenOf = (snap: Snapshot, pid: number, handle: number) => snap.tokenHandles?.find((h) => h.pid === pid && h.handle === handle);
const hex8 = (n: number) => `00000000:${n.toString(16).padStart(8, '0')}`;

describe('incremental token and logon session resolution', () => {
  it('resolves only new handles and new logon sessions on the next scan, and leaves unchanged holders unopened', async () => {
    const api = heldTokens(50);
    const tokenCache = new TokenCache({ maxEntries: 10_000, reverifyEvery: NEVER_DUE });
    const logonSessionCache = new LogonSessionCache({ maxEntries: 100, reverifyEvery: NEVER_DUE });
    const source = createWindowsSourceWithApi(api, { logger, tokenCache, logonSessionCache });
    const first = await source.collect({ deadline: Date.now() + 10_000 });
    expect(api.duplicates).toBe(100);
    expect(api.lsaDataCalls).toBe(4);
    expect(first.logonSessions?.map((l) => l.logonId)).toEqual([hex8(0x17c025)]);

    for (let i = 50; i < 55; i++) {
      api.table.push({ object: 0n, pid: 100, handle: 0x100 + 4 * i, grantedAccess: 8, typeIndex: TOKEN_TYPE });
      api.tokens.set(`100:${0x100 + 4 * i}`, { tokenId: 100 * 0x10000 + i, logon: 0x17c025 });
    }
    api.luids.push(0x40000);
    api.duplicates = 0;
    api.lsaDataCalls = 0;
    const opensOf200 = api.holderOpens.get(200);
    const second = await source.collect({ deadline: Date.now() + 10_000 });
    expect(api.duplicates).toBe(5); // the new handles only
    expect(api.holderOpens.get(200)).toBe(opensOf200); // nothing new there: not opened
    // The new LUID, plus the three whose answers were failures or no data (never cached).
    expect(api.lsaDataCalls).toBe(4);
    expect(second.logonSessions?.map((l) => l.logonId)).toEqual([hex8(0x17c025), hex8(0x40000)]);
    expect(second.tokenHandles?.filter((h) => h.logonId === hex8(0x17c025))).toHaveLength(105);
    expect(tokenOf(second, 100, 0x100 + 4 * 54)?.tokenId).toBe(hex8(100 * 0x10000 + 54));
    expect(tokenOf(second, 200, 0x100)?.tokenId).toBe(hex8(200 * 0x10000));
    expect(api.open.size).toBe(0);
    expect(api.lsaFreed).toBe(api.lsaAllocated);

    // Closed handles and ended logon sessions leave the caches.
    api.table = api.table.filter((e) => e.pid !== 200);
    api.luids = api.luids.filter((l) => l !== 0x40000);
    await source.collect({ deadline: Date.now() + 10_000 });
    expect(tokenCache.size).toBe(55);
    expect(logonSessionCache.size).toBe(1);
  });

  it('resolves a reused handle value afresh when its pid now belongs to a new process', async () => {
    const api = heldTokens(3);
    const tokenCache = new TokenCache({ maxEntries: 10_000, reverifyEvery: NEVER_DUE });
    const source = createWindowsSourceWithApi(api, { logger, tokenCache });
    const first = await source.collect({ deadline: Date.now() + 10_000 });
    expect(tokenOf(first, 100, 0x100)?.tokenId).toBe(hex8(100 * 0x10000));

    // pid 100 exits; a new process gets pid 100 and the same handle values, to other tokens.
    api.createTimes.set(100, 9_000_000n);
    for (let i = 0; i < 3; i++) api.tokens.set(`100:${0x100 + 4 * i}`, { tokenId: 0x7700 + i, logon: 0x20000 });
    api.duplicates = 0;
    const second = await source.collect({ deadline: Date.now() + 10_000 });
    expect(api.duplicates).toBe(3);
    expect(tokenOf(second, 100, 0x100)).toMatchObject({ tokenId: hex8(0x7700), logonId: hex8(0x20000) });
    expect(tokenOf(second, 100, 0x108)).toMatchObject({ tokenId: hex8(0x7702), logonId: hex8(0x20000) });
    expect(tokenOf(second, 200, 0x100)?.tokenId).toBe(hex8(200 * 0x10000)); // untouched holder: cached
  });

  it('never caches a holder whose creation time is unknown or later than the handle table', async () => {
    const api = heldTokens(3);
    api.createTimes.set(100, 0n);
    api.createTimes.set(200, (BigInt(Date.now()) + 11_644_473_600_000n + 60_000n) * 10_000n); // a minute from now
    const source = createWindowsSourceWithApi(api, { logger, tokenCache: new TokenCache({ maxEntries: 100, reverifyEvery: NEVER_DUE }) });
    await source.collect({ deadline: Date.now() + 10_000 });
    api.duplicates = 0;
    await source.collect({ deadline: Date.now() + 10_000 });
    expect(api.duplicates).toBe(6);
  });

  it('resolves a handle value closed and reused within the same process afresh (other access or object)', async () => {
    const api = heldTokens(3);
    api.table.push({ object: 0xffff800000002000n, pid: 100, handle: 0x200, grantedAccess: 8, typeIndex: TOKEN_TYPE });
    api.tokens.set('100:512', { tokenId: 0x5100, logon: 0x17c025 });
    const source = createWindowsSourceWithApi(api, { logger, tokenCache: new TokenCache({ maxEntries: 100, reverifyEvery: NEVER_DUE }) });
    await source.collect({ deadline: Date.now() + 10_000 });

    // 0x104 closed and reopened for another token with other access; 0x200 reopened to another object.
    const reused = api.table.find((e) => e.pid === 100 && e.handle === 0x104);
    api.table = api.table.map((e) => (e === reused ? { ...e, grantedAccess: 0xc } : e.handle === 0x200 ? { ...e, object: 0xffff800000003000n } : e));
    api.tokens.set('100:260', { tokenId: 0x6104, logon: 0x20000 });
    api.tokens.set('100:512', { tokenId: 0x6200, logon: 0x20000 });
    api.duplicates = 0;
    const second = await source.collect({ deadline: Date.now() + 10_000 });
    expect(api.duplicates).toBe(2);
    expect(tokenOf(second, 100, 0x104)).toMatchObject({ tokenId: hex8(0x6104), logonId: hex8(0x20000) });
    expect(tokenOf(second, 100, 0x200)).toMatchObject({ tokenId: hex8(0x6200), objectAddress: '0xffff800000003000' });
    expect(tokenOf(second, 100, 0x100)?.tokenId).toBe(hex8(100 * 0x10000));
  });

  it('does not cache unresolved handles: a handle that was gone is asked again', async () => {
    const api = heldTokens(2);
    api.closedHandles.add('100:256');
    const source = createWindowsSourceWithApi(api, { logger, tokenCache: new TokenCache({ maxEntries: 100, reverifyEvery: NEVER_DUE }) });
    const first = await source.collect({ deadline: Date.now() + 10_000 });
    expect(tokenOf(first, 100, 0x100)?.unresolved).toBe('gone');
    api.closedHandles.clear();
    api.duplicates = 0;
    const second = await source.collect({ deadline: Date.now() + 10_000 });
    expect(api.duplicates).toBe(1);
    expect(tokenOf(second, 100, 0x100)?.tokenId).toBe(hex8(100 * 0x10000));
  });

  it('re-verification corrects a deliberately corrupted entry within reverifyEvery scans', async () => {
    const every = 5;
    const api = heldTokens(4);
    const tokenCache = new TokenCache({ maxEntries: 100, reverifyEvery: every });
    const logonSessionCache = new LogonSessionCache({ maxEntries: 100, reverifyEvery: every });
    const source = createWindowsSourceWithApi(api, { logger, tokenCache, logonSessionCache });
    await source.collect({ deadline: Date.now() + 10_000 });
    const wrong = { tokenId: hex8(0xbad), logonId: hex8(0xbad) };
    for (const key of tokenCache.keys()) expect(tokenCache.corruptForTest(key, wrong)).toBe(true);
    const [luid] = [...logonSessionCache.keys()];
    const session = first(await source.collect({ deadline: Date.now() + 10_000 }));
    logonSessionCache.corruptForTest(luid as string, { ...session, user: 'mallory' });

    const seenWrong: number[] = [];
    let corrected = 0;
    let snap: Snapshot | undefined;
    for (let scan = 0; scan < every; scan++) {
      snap = await source.collect({ deadline: Date.now() + 10_000 });
      seenWrong.push(snap.tokenHandles?.filter((h) => h.tokenId === wrong.tokenId).length ?? 0);
      corrected += snap.issues.find((i) => i.collector === 'tokens' && i.kind === 'cache_corrected')?.count ?? 0;
    }
    expect(seenWrong[0]).toBeGreaterThan(0); // the cache is really used...
    expect(seenWrong.at(-1)).toBe(0); // ...and every wrong entry was caught within `every` scans
    expect(corrected).toBeGreaterThanOrEqual(1);
    expect(snap?.tokenHandles?.every((h) => h.logonId === hex8(0x17c025))).toBe(true);
    expect(snap?.logonSessions?.[0]?.user).toBe('alice');

    function first(s: Snapshot) {
      const l = s.logonSessions?.[0];
      if (!l) throw new Error('no logon session');
      return l;
    }
  });

  it('bounds the cache: past maxEntries the oldest are evicted and answers stay right', async () => {
    const api = heldTokens(20);
    const tokenCache = new TokenCache({ maxEntries: 15, reverifyEvery: NEVER_DUE });
    const source = createWindowsSourceWithApi(api, { logger, tokenCache });
    for (let i = 0; i < 3; i++) {
      const snap = await source.collect({ deadline: Date.now() + 10_000 });
      expect(tokenCache.size).toBeLessThanOrEqual(15);
      expect(tokenOf(snap, 200, 0x100 + 4 * 19)?.tokenId).toBe(hex8(200 * 0x10000 + 19));
      expect(tokenOf(snap, 100, 0x100)?.tokenId).toBe(hex8(100 * 0x10000));
    }
  });
});
