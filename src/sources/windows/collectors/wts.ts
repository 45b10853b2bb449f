import type { Logger } from 'pino';
import { RdsLeakError } from '../../../errors.js';
import type { WtsSession } from '../../../model/snapshot.js';
import type { Win32Api } from '../api.js';
import { decodeSessionInfo, decodeSessionInfo1 } from '../decoders/wts.js';

/** The `wts` collector: WTSEnumerateSessionsExW level 1, falling back to WTSEnumerateSessionsW; each result freed with its own free. */
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
