import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { RdsLeakError } from '../../../errors.js';
import type { LogonSession } from '../../../model/snapshot.js';
import type { Win32Api } from '../api.js';
import { decodeLogonSessionData } from '../decoders/lsa.js';
import type { IssueCounter } from '../issues.js';
import { LUID, STATUS_ACCESS_DENIED, STATUS_NO_SUCH_LOGON_SESSION } from '../layouts.js';
import { ScanCache, type ScanCacheLimits } from '../scan-cache.js';

/**
 * A LUID is never reused while its logon session exists, and a session's data does not change: the
 * decoded session is kept while its LUID is enumerated, re-read once in 50 scans. 100,000 sessions
 * (about 1 KB each decoded) bound it far above any real host.
 */
export const LOGON_SESSION_CACHE_LIMITS: ScanCacheLimits = { maxEntries: 100_000, reverifyEvery: 50 };

/** Decoded logon sessions by LUID across scans. */
export class LogonSessionCache extends ScanCache<LogonSession> {
  constructor(limits: ScanCacheLimits = LOGON_SESSION_CACHE_LIMITS) {
    super(limits);
  }
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The `lsa` collector. */
/*
 * LsaEnumerateLogonSessions + LsaGetLogonSessionData for each LUID. The LUID array and every result are
 * freed with LsaFreeReturnBuffer. A session that vanished (0xC000005F), is denied, or fails to decode is
 * skipped and counted; NULL data (LocalSystem) is skipped and counted as `no_data`. With a cache, only
 * LUIDs not seen in the previous scan (or due for re-verification) are asked for their data; only
 * decoded sessions are cached, failures are asked again next scan.
 */
export async function collectLogonSessions(api: Win32Api, issues: IssueCounter, logger: Logger, cache: LogonSessionCache | null = null): Promise<LogonSession[]> {
  const list = await api.lsaEnumerateLogonSessions();
  if (!list.value) throw new RdsLeakError('E_NATIVE_CALL', `LsaEnumerateLogonSessions failed with status ${hex(list.error)}`);
  const { pointer, count } = list.value;
  const out: LogonSession[] = [];
  cache?.beginScan();
  try {
    if (count === 0) {
      cache?.endScan();
      return out;
    }
    const luids = api.memory.read(pointer, count * LUID.size, 'LUID array');
    for (let i = 0; i < count; i++) {
      // One async call at a time: the event loop stays free, and a stuck lsass holds one worker only.
      const luid = luids.subarray(i * LUID.size, (i + 1) * LUID.size);
      const key = luid.toString('hex');
      const hit = cache?.get(key);
      if (hit && !hit.due) {
        out.push(hit.value);
        continue;
      }
      cache?.delete(key); // re-added below when it still decodes
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
        if (session) {
          out.push(session);
          if (cache && hit && !isDeepStrictEqual(hit.value, session)) issues.add('lsa', 'cache_corrected');
          cache?.set(key, session, isDeepStrictEqual);
        }
      } catch (error) {
        issues.add('lsa', 'session_decode_failed');
        logger.warn({ err: error }, 'could not decode one logon session; skipped');
      } finally {
        api.lsaFreeReturnBuffer(data.value);
      }
    }
    cache?.endScan();
    return out;
  } finally {
    if (pointer !== 0n) api.lsaFreeReturnBuffer(pointer);
  }
}
