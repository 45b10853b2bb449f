import type { KlistSessionRecord } from '../../../src/captures/capture-types.js';
import { joinLines, type Layout } from './encoding.js';

const short = (logonId: string) => {
  const [high = '0', low = '0'] = logonId.split(':');
  return `${Number.parseInt(high, 16).toString(16)}:0x${Number.parseInt(low, 16).toString(16)}`;
};

/** `klist sessions`; `sessionWord` is the translated `Session`. */
export function renderKlistSessions(records: readonly KlistSessionRecord[], layout: Layout, sessionWord = 'Session'): string {
  const lines = ['', `Current LogonId is ${records[0] ? short(records[0].logonId) : '0:0x3e7'}`];
  records.forEach((r, i) => lines.push(`[${i}] ${sessionWord} ${r.sessionId} ${short(r.logonId)} ${r.domain}\\${r.user} ${r.authPackage}:${r.logonType}`));
  return joinLines(lines, layout);
}
