import pLimit from 'p-limit';
import type { TokenHandle, UnresolvedReason } from '../../../model/snapshot.js';
import type { Win32Api } from '../api.js';
import { formatObjectAddress, type HandleEntry } from '../decoders/handle-table.js';
import type { RawProcess } from '../decoders/process-info.js';
import { decodeTokenStatistics } from '../decoders/token.js';
import type { IssueCounter } from '../issues.js';
import { isProtectedImage } from '../protected-processes.js';
import { ERROR_ACCESS_DENIED, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, PROCESS_DUP_HANDLE, PROCESS_QUERY_LIMITED_INFORMATION, TOKEN_QUERY, TOKEN_STATISTICS } from '../layouts.js';
import { sameToken, tokenCacheKey, type TokenCache, type TokenCacheStats, type TokenIdentity } from '../token-cache.js';
import { yieldToEventLoop } from '../yield.js';

/** Default longest stretch of synchronous per-handle calls before yielding to the event loop. */
const DEFAULT_SLICE_MS = 10;

export interface TokenResolveOptions {
  readonly concurrency: number;
  /** Handles between two looks at the clock. */
  readonly chunkSize: number;
  /** Longest time the per-handle loop may hold the event loop before it yields (ms). */
  readonly sliceMs?: number;
  /** SeDebugPrivilege enabled: an OpenProcess(PROCESS_DUP_HANDLE) refusal then means a protected process. */
  readonly debugPrivilege: boolean;
  /** Open lsass and the other protected processes too (off by default: least privilege, see protected-processes.ts). */
  readonly openProtectedProcesses: boolean;
}

/** The answers of earlier scans, and what this scan may trust of them. */
export interface TokenCacheScan {
  readonly cache: TokenCache;
  /**
   * FILETIME taken just before the handle table was read. A holder created at or after it may have
   * taken the pid of the process whose handles the table lists: its answers are not cached.
   */
  readonly tableTakenAt: bigint;
  readonly stats: TokenCacheStats;
}

type Resolution = TokenIdentity | { reason: UnresolvedReason };

/**
 * Resolves every token handle to token id and logon id. Each holder is opened once per scan
 * (PROCESS_DUP_HANDLE); each handle is duplicated with TOKEN_QUERY only (never DUPLICATE_CLOSE_SOURCE),
 * queried for TokenStatistics and closed. With visible kernel addresses one handle per token object is
 * duplicated and the result reused. Races (closed or reused handle values, exited holders, reused pids)
 * are counted, never thrown. Holders are processed with bounded concurrency, handles in chunks with a
 * yield to the event loop between chunks.
 *
 * With a cache, a handle answered in an earlier scan (same holder instance, value, access, object) is
 * not duplicated again unless its re-verification turn came; a holder with no handle left to resolve is
 * not even opened. Only successful answers are cached: a handle that was gone, denied or skipped is
 * tried again next scan (a 'gone' value may well be reused by then). The caller ends the cache's scan.
 */
export async function resolveTokenHandles(
  api: Win32Api,
  tokens: readonly HandleEntry[],
  processes: ReadonlyMap<number, RawProcess> | null,
  issues: IssueCounter,
  options: TokenResolveOptions,
  cache: TokenCacheScan | null = null,
): Promise<TokenHandle[]> {
  const byPid = new Map<number, HandleEntry[]>();
  for (const t of tokens) {
    const list = byPid.get(t.pid);
    if (list) list.push(t);
    else byPid.set(t.pid, [t]);
  }
  const byObject = new Map<bigint, TokenIdentity>();
  const limit = pLimit(Math.max(1, options.concurrency));
  const results: TokenHandle[][] = await Promise.all(
    [...byPid.entries()].map(([pid, entries]) => limit(() => resolveHolder(api, pid, entries, processes, byObject, issues, options, cache))),
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
  byObject: Map<bigint, TokenIdentity>,
  issues: IssueCounter,
  options: TokenResolveOptions,
  cache: TokenCacheScan | null,
): Promise<TokenHandle[]> {
  const known = processes?.get(pid);
  if (!options.openProtectedProcesses && isProtectedImage(known?.imageName)) {
    issues.add('tokens', 'holder_skipped', entries.length);
    return entries.map((e) => toHandle(e, { reason: 'skipped' }));
  }
  const lookup = cache ? lookUpHolder(cache, entries, known) : null;
  if (lookup && lookup.pending === 0 && cache) {
    cache.stats.holdersSkipped += 1;
    cache.stats.hits += entries.length;
    return entries.map((e, i) => toHandle(e, lookup.cached[i] as TokenIdentity));
  }
  // The holder cannot answer now: none of its cached answers is trusted any longer.
  const forget = () => {
    for (const key of lookup?.keys ?? []) if (key !== null) cache?.cache.delete(key);
  };
  const opened = api.openProcess(pid, PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION);
  if (opened.value === null) {
    forget();
    const reason = holderOpenFailure(api, pid, opened.error, issues, options.debugPrivilege);
    return entries.map((e) => toHandle(e, { reason }));
  }
  const holder = opened.value;
  try {
    // pid reuse: the process we opened is not the one the process scan saw.
    if (known && known.createTime !== 0n) {
      const created = api.processCreateTime(holder);
      if (created.value !== null && created.value !== 0n && created.value !== known.createTime) {
        forget();
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
    for (const [i, entry] of entries.entries()) {
      if (i > 0 && i % options.chunkSize === 0 && performance.now() - sliceStart >= sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      const cached = lookup?.cached[i];
      if (cached) {
        out.push(toHandle(entry, cached));
        continue;
      }
      // Only answers of this scan's own calls are shared by object: never a cached one (an address can
      // be reused by another token between scans, and a re-verification must not confirm itself).
      const shared = entry.object !== 0n ? byObject.get(entry.object) : undefined;
      const r = shared ?? resolveOne(api, holder, entry, stats, issues);
      if (!shared && !('reason' in r) && entry.object !== 0n) byObject.set(entry.object, r);
      const key = lookup?.keys[i] ?? null;
      if (cache && key !== null) remember(cache, key, r, lookup?.due[i] === true, issues);
      if (cache) cache.stats.resolved += 1;
      out.push(toHandle(entry, r));
    }
    if (cache && lookup) cache.stats.hits += entries.length - lookup.pending;
    return out;
  } finally {
    api.closeHandle(holder);
  }
}

interface HolderLookup {
  /** Cache key per entry; null when this holder is not cached (creation time unknown or too recent). */
  readonly keys: (string | null)[];
  /** Cached answer per entry that may be used as it is. */
  readonly cached: (TokenIdentity | undefined)[];
  /** Entries whose cached answer is due for re-verification. */
  readonly due: boolean[];
  /** Entries that need Win32 calls. */
  readonly pending: number;
}

function lookUpHolder(scan: TokenCacheScan, entries: readonly HandleEntry[], process: RawProcess | undefined): HolderLookup {
  const createTime = process?.createTime ?? 0n;
  const cacheable = createTime !== 0n && createTime < scan.tableTakenAt;
  const keys: (string | null)[] = [];
  const cached: (TokenIdentity | undefined)[] = [];
  const due: boolean[] = [];
  let pending = 0;
  for (const entry of entries) {
    const key = cacheable ? tokenCacheKey(entry, createTime) : null;
    const hit = key !== null ? scan.cache.get(key) : undefined;
    keys.push(key);
    due.push(hit?.due === true);
    if (hit && !hit.due) cached.push(hit.value);
    else {
      cached.push(undefined);
      pending += 1;
    }
  }
  return { keys, cached, due, pending };
}

function remember(scan: TokenCacheScan, key: string, r: Resolution, reverifying: boolean, issues: IssueCounter): void {
  if (reverifying) scan.stats.reverified += 1;
  if ('reason' in r) {
    scan.cache.delete(key);
    return;
  }
  if (scan.cache.set(key, r, sameToken) === 'corrected') {
    scan.stats.corrected += 1;
    issues.add('tokens', 'cache_corrected');
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
