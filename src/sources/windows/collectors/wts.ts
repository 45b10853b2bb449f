import type { Logger } from 'pino';
import { RdsLeakError } from '../../../errors.js';
import type { WtsSession } from '../../../model/snapshot.js';
import type { Win32Api } from '../api.js';
import { decodeSessionInfo, decodeSessionInfo1 } from '../decoders/wts.js';

export interface WtsScan {
  readonly sessions: WtsSession[];
  /** False after the fallback, which gives no user names: the analysis must not read "nobody" into them. */
  readonly userNamesKnown: boolean;
}

/** The `wts` collector: WTSEnumerateSessionsExW level 1, falling back to WTSEnumerateSessionsW; each result freed with its own free. */
export function collectWtsSessions(api: Win32Api, logger: Logger): WtsScan {
  const ex = api.wtsEnumerateSessionsEx();
  if (ex.value) {
    try {
      return { sessions: decodeSessionInfo1(api.memory, ex.value.pointer, ex.value.count), userNamesKnown: true };
    } finally {
      if (ex.value.pointer !== 0n) api.wtsFreeMemoryEx(ex.value.pointer, ex.value.count);
    }
  }
  logger.warn({ error: ex.error }, 'WTSEnumerateSessionsExW failed, falling back to WTSEnumerateSessionsW (no user names: live users are told by their processes only)');
  const legacy = api.wtsEnumerateSessions();
  if (!legacy.value) {
    throw new RdsLeakError('E_NATIVE_CALL', `WTSEnumerateSessionsExW failed (error ${ex.error}) and WTSEnumerateSessionsW failed (error ${legacy.error})`);
  }
  try {
    return { sessions: decodeSessionInfo(api.memory, legacy.value.pointer, legacy.value.count), userNamesKnown: false };
  } finally {
    if (legacy.value.pointer !== 0n) api.wtsFreeMemory(legacy.value.pointer);
  }
}
