import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { RdsLeakError } from '../../errors.js';
import type { LogonSession, ProcessInfo, TokenHandle, UnresolvedReason, WtsSession } from '../../model/snapshot.js';
import type { Win32Api } from './api.js';
import { formatObjectAddress, handlesOfType, findHandleEntry, type HandleEntry } from './decoders/handle-table.js';
import { decodeLogonSessionData } from './decoders/lsa.js';
import { decodeProcessList, processImage, type RawProcess } from './decoders/process-info.js';
import { decodeTokenStatistics } from './decoders/token.js';
import { decodeSessionInfo, decodeSessionInfo1 } from './decoders/wts.js';
import { decodeObjectTypes, tokenTypeIndexFromTypes } from './decoders/object-types.js';
import type { IssueCounter } from './issues.js';
import {
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  LUID,
  PROCESS_DUP_HANDLE,
  PROCESS_QUERY_LIMITED_INFORMATION,
  STATUS_ACCESS_DENIED,
  STATUS_BUFFER_OVERFLOW,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_INFO_LENGTH_MISMATCH,
  STATUS_NO_SUCH_LOGON_SESSION,
  STATUS_SUCCESS,
  SystemExtendedHandleInformation,
  SystemProcessInformation,
  TOKEN_QUERY,
  TOKEN_STATISTICS,
} from './layouts.js';

/** Default longest stretch of synchronous per-handle calls before yielding to the event loop. */
const DEFAULT_SLICE_MS = 10;

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

// --- WTS -------------------------------------------------------------------------------------------------

/** WTSEnumerateSessionsExW level 1, falling back to WTSEnumerateSessionsW; each result freed with its own free. */
export function collectWtsSessions(api: Win32Api, logger: Logger): WtsSession[] {
  const ex = api.wtsEnumerateSessionsEx();
  if (ex.value) {
    try {
      return decodeSessionInfo1(api.memory, ex.value.pointer, ex.value.count);
    } finally {
      if (ex.value.pointer !== 0n) api.wtsFreeMemoryEx(ex.value.pointer, ex.value.count);
    }
  }
  logger.debug({ error: ex.error }, 'WTSEnumerateSessionsExW failed, falling back to WTSEnumerateSessionsW');
  const legacy = api.wtsEnumerateSessions();
  if (!legacy.value) {
    throw new RdsLeakError('E_NATIVE_CALL', `WTSEnumerateSessionsExW failed (error ${ex.error}) and WTSEnumerateSessionsW failed (error ${legacy.error})`);
  }
  try {
    return decodeSessionInfo(api.memory, legacy.value.pointer, legacy.value.count);
  } finally {
    if (legacy.value.pointer !== 0n) api.wtsFreeMemory(legacy.value.pointer);
  }
}

// --- LSA -------------------------------------------------------------------------------------------------

/**
 * LsaEnumerateLogonSessions + LsaGetLogonSessionData for each LUID. The LUID array and every result are
 * freed with LsaFreeReturnBuffer. A session that vanished (0xC000005F), is denied, or fails to decode is
 * skipped and counted; NULL data (LocalSystem) is skipped and counted as `no_data`.
 */
export async function collectLogonSessions(api: Win32Api, issues: IssueCounter, logger: Logger): Promise<LogonSession[]> {
  const list = await api.lsaEnumerateLogonSessions();
  if (!list.value) throw new RdsLeakError('E_NATIVE_CALL', `LsaEnumerateLogonSessions failed with status ${hex(list.error)}`);
  const { pointer, count } = list.value;
  const out: LogonSession[] = [];
  try {
    if (count === 0) return out;
    const luids = api.memory.read(pointer, count * LUID.size, 'LUID array');
    for (let i = 0; i < count; i++) {
      // One async call at a time: the event loop stays free, and a stuck lsass holds one worker only.
      const luid = luids.subarray(i * LUID.size, (i + 1) * LUID.size);
      const data = await api.lsaGetLogonSessionData(luid);
      if (data.value === null) {
        if (data.error === STATUS_NO_SUCH_LOGON_SESSION) issues.add('lsa', 'session_vanished');
        else if (data.error === STATUS_ACCESS_DENIED) issues.add('lsa', 'session_denied');
        else {
          issues.add('lsa', 'session_query_failed');
          logger.debug({ status: hex(data.error) }, 'LsaGetLogonSessionData failed');
        }
        continue;
      }
      if (data.value === 0n) {
        issues.add('lsa', 'session_no_data');
        continue;
      }
      try {
        const session = decodeLogonSessionData(api.memory, data.value);
        if (session) out.push(session);
      } catch (error) {
        issues.add('lsa', 'session_decode_failed');
        logger.warn({ err: error }, 'could not decode one logon session; skipped');
      } finally {
        api.lsaFreeReturnBuffer(data.value);
      }
    }
    return out;
  } finally {
    if (pointer !== 0n) api.lsaFreeReturnBuffer(pointer);
  }
}

// --- NtQuerySystemInformation with grow-and-retry ----------------------------------------------------------

export interface SystemInfoResult {
  readonly buffer: Buffer;
  readonly length: number;
}

/**
 * One reusable buffer per information class. Grows on STATUS_INFO_LENGTH_MISMATCH to ReturnLength plus
 * slack (the table keeps growing between calls), bounded in attempts and size, and remembers the size
 * that worked for the next scan. The buffer is reused across scans (no 80 MB allocation per scrape).
 */
export class SystemInfoReader {
  private buffer: Buffer;
  constructor(
    private readonly api: Win32Api,
    readonly infoClass: number,
    initialSize: number,
    private readonly maxSize = 1024 * 1024 * 1024,
    private readonly maxAttempts = 8,
  ) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  get size(): number {
    return this.buffer.length;
  }

  async query(): Promise<SystemInfoResult> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const buffer = this.buffer;
      const { status, returnLength } = await this.api.querySystemInformation(this.infoClass, buffer);
      if (status === STATUS_SUCCESS) {
        const length = returnLength > 0 && returnLength <= buffer.length ? returnLength : buffer.length;
        return { buffer, length };
      }
      if (status !== STATUS_INFO_LENGTH_MISMATCH && status !== STATUS_BUFFER_TOO_SMALL && status !== STATUS_BUFFER_OVERFLOW) {
        throw new RdsLeakError('E_NATIVE_CALL', `NtQuerySystemInformation(${this.infoClass}) failed with status ${hex(status)}`);
      }
      const wanted = Math.max(returnLength, buffer.length);
      const next = Math.min(this.maxSize, Math.ceil((wanted + 64 * 1024) * 1.25));
      if (next <= buffer.length) break;
      this.buffer = Buffer.allocUnsafe(next);
    }
    throw this.tooSmall();
  }

  /** The same loop, synchronous (own-handle-count fallback only). */
  querySync(): SystemInfoResult {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const buffer = this.buffer;
      const { status, returnLength } = this.api.querySystemInformationSync(this.infoClass, buffer);
      if (status === STATUS_SUCCESS) return { buffer, length: returnLength > 0 && returnLength <= buffer.length ? returnLength : buffer.length };
      if (status !== STATUS_INFO_LENGTH_MISMATCH && status !== STATUS_BUFFER_TOO_SMALL && status !== STATUS_BUFFER_OVERFLOW) {
        throw new RdsLeakError('E_NATIVE_CALL', `NtQuerySystemInformation(${this.infoClass}) failed with status ${hex(status)}`);
      }
      const next = Math.min(this.maxSize, Math.ceil((Math.max(returnLength, buffer.length) + 64 * 1024) * 1.25));
      if (next <= buffer.length) break;
      this.buffer = Buffer.allocUnsafe(next);
    }
    throw this.tooSmall();
  }

  private tooSmall(): RdsLeakError {
    return new RdsLeakError('E_NATIVE_CALL', `NtQuerySystemInformation(${this.infoClass}) still reports a too small buffer at ${this.buffer.length} bytes after ${this.maxAttempts} attempts`);
  }
}

// --- processes -----------------------------------------------------------------------------------------

export interface ProcessScan {
  readonly processes: ProcessInfo[];
  readonly raw: Map<number, RawProcess>;
}

/** SystemProcessInformation + each process's primary-token logon id (QUERY_LIMITED + OpenProcessToken). */
export async function collectProcesses(api: Win32Api, reader: SystemInfoReader, issues: IssueCounter): Promise<ProcessScan> {
  const { buffer, length } = await reader.query();
  const list = decodeProcessList(buffer, length, api.bufferAddress(buffer));
  const stats = Buffer.alloc(TOKEN_STATISTICS.size);
  const raw = new Map<number, RawProcess>();
  const processes: ProcessInfo[] = [];
  let n = 0;
  for (const p of list) {
    raw.set(p.pid, p);
    processes.push({ pid: p.pid, image: processImage(p), sessionId: p.sessionId, logonId: primaryTokenLogonId(api, p.pid, stats, issues) });
    if (++n % 256 === 0) await yieldToEventLoop();
  }
  return { processes, raw };
}

function primaryTokenLogonId(api: Win32Api, pid: number, stats: Buffer, issues: IssueCounter): string | null {
  if (pid === 0) return null; // the idle process has no token
  const process = api.openProcess(pid, PROCESS_QUERY_LIMITED_INFORMATION);
  if (process.value === null) {
    issues.add('processes', process.error === ERROR_INVALID_PARAMETER ? 'process_exited' : 'process_open_denied');
    return null;
  }
  try {
    const token = api.openProcessToken(process.value, TOKEN_QUERY);
    if (token.value === null) {
      issues.add('processes', 'token_open_denied');
      return null;
    }
    try {
      const r = api.tokenStatistics(token.value, stats);
      if (r.value === null) {
        issues.add('processes', 'token_query_failed');
        return null;
      }
      return decodeTokenStatistics(stats, r.value).logonId;
    } finally {
      api.closeHandle(token.value);
    }
  } finally {
    api.closeHandle(process.value);
  }
}

// --- handles and the token type index ---------------------------------------------------------------------

export interface HandleScan {
  readonly tokenTypeIndex: number;
  readonly calibrated: boolean;
  readonly tokens: HandleEntry[];
  readonly totalHandles: number;
}

/**
 * Finds the token type index for this scan by self-calibration: our own process token is open while the
 * handle table is taken, so its entry (our pid, that handle value) carries the token type index. Falls
 * back to the last calibrated value, then to NtQueryObject's type list.
 */
export class TokenTypeIndex {
  private calibrated: number | null = null;
  private fromTypes: number | null | undefined;
  private warned = false;
  constructor(private readonly api: Win32Api, private readonly logger: Logger) {}

  /** NtQueryObject(NULL, ObjectTypesInformation) once: the cross-check. */
  typesListIndex(): number | null {
    if (this.fromTypes !== undefined) return this.fromTypes;
    this.fromTypes = null;
    try {
      let buf = Buffer.alloc(64 * 1024);
      for (let i = 0; i < 6; i++) {
        const { status, returnLength } = this.api.queryObjectTypes(buf);
        if (status === STATUS_SUCCESS) {
          this.fromTypes = tokenTypeIndexFromTypes(decodeObjectTypes(buf, returnLength > 0 && returnLength <= buf.length ? returnLength : buf.length));
          break;
        }
        if (status !== STATUS_INFO_LENGTH_MISMATCH && status !== STATUS_BUFFER_TOO_SMALL) break;
        buf = Buffer.alloc(Math.max(returnLength + 4096, buf.length * 2));
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'NtQueryObject(ObjectTypesInformation) could not be decoded');
    }
    return this.fromTypes;
  }

  resolve(entry: HandleEntry | null): { index: number; calibrated: boolean } {
    const types = this.typesListIndex();
    if (entry) {
      if (this.calibrated !== entry.typeIndex && types !== null && types !== entry.typeIndex && !this.warned) {
        this.warned = true;
        this.logger.warn(
          { calibrated: entry.typeIndex, typesList: types },
          'token type index: self-calibration and NtQueryObject disagree; using the calibrated value (expected under Wine)',
        );
      }
      this.calibrated = entry.typeIndex;
      return { index: entry.typeIndex, calibrated: true };
    }
    if (this.calibrated !== null) return { index: this.calibrated, calibrated: false };
    if (types !== null) return { index: types, calibrated: false };
    throw new RdsLeakError('E_NATIVE_CALL', 'cannot tell which handle type is a token: self-calibration found no entry and NtQueryObject gave no Token type');
  }
}

export async function collectHandles(api: Win32Api, reader: SystemInfoReader, typeIndex: TokenTypeIndex): Promise<HandleScan> {
  const own = api.openProcessToken(api.currentProcess, TOKEN_QUERY);
  try {
    const { buffer, length } = await reader.query();
    const entry = own.value === null ? null : findHandleEntry(buffer, length, api.selfPid, Number(own.value));
    const { index, calibrated } = typeIndex.resolve(entry);
    const tokens = handlesOfType(buffer, length, index, api.selfPid);
    return { tokenTypeIndex: index, calibrated, tokens, totalHandles: Number(buffer.readBigUInt64LE(0)) };
  } finally {
    if (own.value !== null) api.closeHandle(own.value);
  }
}

// --- token handles -------------------------------------------------------------------------------------

export interface TokenResolveOptions {
  readonly concurrency: number;
  /** Handles between two looks at the clock. */
  readonly chunkSize: number;
  /** Longest time the per-handle loop may hold the event loop before it yields (ms). */
  readonly sliceMs?: number;
  /** SeDebugPrivilege enabled: an OpenProcess(PROCESS_DUP_HANDLE) refusal then means a protected process. */
  readonly debugPrivilege: boolean;
}

type Resolution = { tokenId: string; logonId: string } | { reason: UnresolvedReason };

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Resolves every token handle to token id and logon id. Each holder is opened once per scan
 * (PROCESS_DUP_HANDLE); each handle is duplicated with TOKEN_QUERY only (never DUPLICATE_CLOSE_SOURCE),
 * queried for TokenStatistics and closed. With visible kernel addresses one handle per token object is
 * duplicated and the result reused. Races (closed or reused handle values, exited holders, reused pids)
 * are counted, never thrown. Holders are processed with bounded concurrency, handles in chunks with a
 * yield to the event loop between chunks.
 */
export async function resolveTokenHandles(
  api: Win32Api,
  tokens: readonly HandleEntry[],
  processes: ReadonlyMap<number, RawProcess> | null,
  issues: IssueCounter,
  options: TokenResolveOptions,
): Promise<TokenHandle[]> {
  const byPid = new Map<number, HandleEntry[]>();
  for (const t of tokens) {
    const list = byPid.get(t.pid);
    if (list) list.push(t);
    else byPid.set(t.pid, [t]);
  }
  const byObject = new Map<bigint, { tokenId: string; logonId: string }>();
  const limit = pLimit(Math.max(1, options.concurrency));
  const results: TokenHandle[][] = await Promise.all(
    [...byPid.entries()].map(([pid, entries]) => limit(() => resolveHolder(api, pid, entries, processes, byObject, issues, options))),
  );
  return results.flat();
}

function toHandle(entry: HandleEntry, r: Resolution): TokenHandle {
  const objectAddress = formatObjectAddress(entry.object);
  return 'reason' in r
    ? { pid: entry.pid, handle: entry.handle, tokenId: null, objectAddress, logonId: null, unresolved: r.reason }
    : { pid: entry.pid, handle: entry.handle, tokenId: r.tokenId, objectAddress, logonId: r.logonId, unresolved: null };
}

function holderOpenFailure(api: Win32Api, pid: number, error: number, issues: IssueCounter, debugPrivilege: boolean): UnresolvedReason {
  if (error === ERROR_INVALID_PARAMETER) {
    issues.add('tokens', 'holder_exited');
    return 'gone';
  }
  if (error === ERROR_ACCESS_DENIED) {
    issues.add('tokens', 'holder_open_denied');
    if (pid === 4) return 'protected_process';
    if (!debugPrivilege) return 'access_denied';
    // With SeDebugPrivilege only protected processes refuse PROCESS_DUP_HANDLE; they still grant QUERY_LIMITED.
    const limited = api.openProcess(pid, PROCESS_QUERY_LIMITED_INFORMATION);
    if (limited.value !== null) {
      api.closeHandle(limited.value);
      return 'protected_process';
    }
    return 'access_denied';
  }
  issues.add('tokens', 'holder_open_failed');
  return 'query_failed';
}

async function resolveHolder(
  api: Win32Api,
  pid: number,
  entries: readonly HandleEntry[],
  processes: ReadonlyMap<number, RawProcess> | null,
  byObject: Map<bigint, { tokenId: string; logonId: string }>,
  issues: IssueCounter,
  options: TokenResolveOptions,
): Promise<TokenHandle[]> {
  const opened = api.openProcess(pid, PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION);
  if (opened.value === null) {
    const reason = holderOpenFailure(api, pid, opened.error, issues, options.debugPrivilege);
    return entries.map((e) => toHandle(e, { reason }));
  }
  const holder = opened.value;
  try {
    // pid reuse: the process we opened is not the one the process scan saw.
    const known = processes?.get(pid);
    if (known && known.createTime !== 0n) {
      const created = api.processCreateTime(holder);
      if (created.value !== null && created.value !== 0n && created.value !== known.createTime) {
        issues.add('tokens', 'pid_reused', entries.length);
        return entries.map((e) => toHandle(e, { reason: 'gone' }));
      }
    }
    const stats = Buffer.alloc(TOKEN_STATISTICS.size);
    const out: TokenHandle[] = [];
    // Yield by time, not by count: a handle costs about a microsecond on Windows but far more under
    // Wine's wineserver, and the event loop must stay free for other scrapes and /health either way.
    const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    let sliceStart = performance.now();
    for (let i = 0; i < entries.length; i++) {
      if (i > 0 && i % options.chunkSize === 0 && performance.now() - sliceStart >= sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      const entry = entries[i];
      const shared = entry.object !== 0n ? byObject.get(entry.object) : undefined;
      if (shared) {
        out.push(toHandle(entry, shared));
        continue;
      }
      const r = resolveOne(api, holder, entry, stats, issues);
      if (!('reason' in r) && entry.object !== 0n) byObject.set(entry.object, r);
      out.push(toHandle(entry, r));
    }
    return out;
  } finally {
    api.closeHandle(holder);
  }
}

function resolveOne(api: Win32Api, holder: bigint, entry: HandleEntry, stats: Buffer, issues: IssueCounter): Resolution {
  const dup = api.duplicateHandle(holder, entry.handle, TOKEN_QUERY);
  if (dup.value === null) {
    if (dup.error === ERROR_INVALID_HANDLE) {
      issues.add('tokens', 'handle_closed');
      return { reason: 'gone' };
    }
    if (dup.error === ERROR_ACCESS_DENIED) {
      issues.add('tokens', 'duplicate_denied');
      return { reason: 'access_denied' };
    }
    issues.add('tokens', 'duplicate_failed');
    return { reason: 'query_failed' };
  }
  try {
    const r = api.tokenStatistics(dup.value, stats);
    if (r.value === null) {
      // The value now names another object (closed and reused since the snapshot), or the query failed.
      issues.add('tokens', r.error === ERROR_INVALID_HANDLE ? 'handle_reused' : 'token_query_failed');
      return { reason: r.error === ERROR_INVALID_HANDLE ? 'gone' : 'query_failed' };
    }
    const decoded = decodeTokenStatistics(stats, r.value);
    return { tokenId: decoded.tokenId, logonId: decoded.logonId };
  } finally {
    api.closeHandle(dup.value);
  }
}

export const DEFAULT_HANDLE_TABLE_SIZE = 4 * 1024 * 1024;
export const DEFAULT_PROCESS_TABLE_SIZE = 512 * 1024;
export { SystemExtendedHandleInformation, SystemProcessInformation };
