import { sessionStateFromNumber } from '../../../model/session-states.js';
import type { WtsSession } from '../../../model/snapshot.js';
import { WTS_SESSION_INFO, WTS_SESSION_INFO_1 } from '../layouts.js';
import type { NativeMemory } from './memory.js';
import { decodeError, u32, u64 } from './reader.js';

const MAX_NAME_CHARS = 512;
const MAX_SESSIONS = 100_000;

function optionalString(memory: NativeMemory, pointer: bigint, what: string): string | null {
  if (pointer === 0n) return null;
  const text = memory.readWideZ(pointer, MAX_NAME_CHARS, what);
  return text.length === 0 ? null : text;
}

function state(value: number, what: string): WtsSession['state'] {
  const s = sessionStateFromNumber(value);
  if (s === null) throw decodeError(what, `unknown WTS_CONNECTSTATE_CLASS ${value}`);
  return s;
}

function checkCount(count: number): void {
  if (count > MAX_SESSIONS) throw decodeError('WTS session list', `implausible count ${count}`);
}

/** The WTS_SESSION_INFO_1W array of WTSEnumerateSessionsExW(level 1). */
export function decodeSessionInfo1(memory: NativeMemory, address: bigint, count: number): WtsSession[] {
  checkCount(count);
  if (count === 0) return [];
  if (address === 0n) throw decodeError('WTS_SESSION_INFO_1W array', `NULL with count ${count}`);
  const size = count * WTS_SESSION_INFO_1.size;
  const buf = memory.read(address, size, 'WTS_SESSION_INFO_1W array');
  const out: WtsSession[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * WTS_SESSION_INFO_1.size;
    out.push({
      sessionId: u32(buf, size, o + WTS_SESSION_INFO_1.SessionId, 'SessionId'),
      name: optionalString(memory, u64(buf, size, o + WTS_SESSION_INFO_1.pSessionName, 'pSessionName'), 'pSessionName') ?? '',
      state: state(u32(buf, size, o + WTS_SESSION_INFO_1.State, 'State'), 'WTS_SESSION_INFO_1W.State'),
      user: optionalString(memory, u64(buf, size, o + WTS_SESSION_INFO_1.pUserName, 'pUserName'), 'pUserName'),
      domain: optionalString(memory, u64(buf, size, o + WTS_SESSION_INFO_1.pDomainName, 'pDomainName'), 'pDomainName'),
    });
  }
  return out;
}

/** The WTS_SESSION_INFOW array of WTSEnumerateSessionsW (fallback: no user names). */
export function decodeSessionInfo(memory: NativeMemory, address: bigint, count: number): WtsSession[] {
  checkCount(count);
  if (count === 0) return [];
  if (address === 0n) throw decodeError('WTS_SESSION_INFOW array', `NULL with count ${count}`);
  const size = count * WTS_SESSION_INFO.size;
  const buf = memory.read(address, size, 'WTS_SESSION_INFOW array');
  const out: WtsSession[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * WTS_SESSION_INFO.size;
    out.push({
      sessionId: u32(buf, size, o + WTS_SESSION_INFO.SessionId, 'SessionId'),
      name: optionalString(memory, u64(buf, size, o + WTS_SESSION_INFO.pWinStationName, 'pWinStationName'), 'pWinStationName') ?? '',
      state: state(u32(buf, size, o + WTS_SESSION_INFO.State, 'State'), 'WTS_SESSION_INFOW.State'),
      user: null,
      domain: null,
    });
  }
  return out;
}
