import type { Logger } from 'pino';
import { RdsLeakError } from '../../../errors.js';
import type { LogonSession } from '../../../model/snapshot.js';
import type { Win32Api } from '../api.js';
import { decodeLogonSessionData } from '../decoders/lsa.js';
import type { IssueCounter } from '../issues.js';
import { LUID, STATUS_ACCESS_DENIED, STATUS_NO_SUCH_LOGON_SESSION } from '../layouts.js';

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The `lsa` collector. */
/*
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
