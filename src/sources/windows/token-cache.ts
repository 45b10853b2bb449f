import type { HandleEntry } from './decoders/handle-table.js';
import { ScanCache, type ScanCacheLimits } from './scan-cache.js';

/** What a token handle resolved to. */
export interface TokenIdentity {
  readonly tokenId: string;
  readonly logonId: string;
}

/**
 * 500,000 entries: an entry measured about 500 bytes on Node 20 with a token id of its own (key string,
 * slot, identity), so at most about 250 MB, reached only on hosts holding more token handles than that;
 * they resolve the excess afresh every scan (the oldest entries are evicted). Re-verify each entry once
 * in 50 scans (2% of them per scan): at a 15 s interval a wrong entry lives at most 12.5 minutes.
 */
export const TOKEN_CACHE_LIMITS: ScanCacheLimits = { maxEntries: 500_000, reverifyEvery: 50 };

/** Token answers across scans, per holder instance and handle. */
export class TokenCache extends ScanCache<TokenIdentity> {
  constructor(limits: ScanCacheLimits = TOKEN_CACHE_LIMITS) {
    super(limits);
  }
}

export const sameToken = (a: TokenIdentity, b: TokenIdentity): boolean => a.tokenId === b.tokenId && a.logonId === b.logonId;

/**
 * The key of one handle of one process instance: pid + creation time (a reused pid is another process),
 * handle value + granted access + object address (a closed value reused for another token differs in
 * access or object; the address is 0 where hidden: Wine, 24H2 without SeDebugPrivilege, where the
 * rotation and the pid/creation time are what protect). Null when the creation time is unknown: such
 * a holder is never cached.
 */
export function tokenCacheKey(entry: HandleEntry, holderCreateTime: bigint): string | null {
  if (holderCreateTime === 0n) return null;
  return `${entry.pid}:${holderCreateTime.toString(36)}:${entry.handle.toString(36)}:${entry.grantedAccess.toString(36)}:${entry.object.toString(36)}`;
}

/** Counters of one scan, for logs and the Wine benchmark. */
export interface TokenCacheStats {
  /** Handles answered from the cache. */
  hits: number;
  /** Handles resolved through Win32 (DuplicateHandle or a same-object handle of this scan). */
  resolved: number;
  /** Cached entries re-resolved because their turn came. */
  reverified: number;
  /** Re-resolved entries whose answer had changed. */
  corrected: number;
  /** Holders not opened at all: every handle came from the cache. */
  holdersSkipped: number;
}

export const emptyTokenCacheStats = (): TokenCacheStats => ({ hits: 0, resolved: 0, reverified: 0, corrected: 0, holdersSkipped: 0 });

/** FILETIME (100 ns since 1601) of an epoch-ms instant: compares with process creation times. */
export function fileTimeOf(epochMs: number): bigint {
  return (BigInt(Math.floor(epochMs)) + 11_644_473_600_000n) * 10_000n;
}
