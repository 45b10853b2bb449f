import type { KlistCapture, KlistSessionRecord } from './capture-types.js';
import { isPromptLine } from './banner.js';
import { captureLines } from './text-decoding.js';

/**
 * `klist sessions`: `[1] Session 4 0:0x17c025 HK\test01 Kerberos:RemoteInteractive`. The word
 * `Session` is translated, the account may contain blanks (`NT AUTHORITY\LOCAL SERVICE`).
 */
const SESSION_LINE = /^\s*\[\d+\]\s+\S+\s+(\d{1,10})\s+(?:0x)?([0-9a-f]{1,8}):(?:0x)?([0-9a-f]{1,8})\s+(.*?)\s+([^\s:]+):(\S+)$/i;
/** `Current LogonId is 0:0x17c025` (translated: `Aktuelle Anmelde-ID ist 0:0x...`). */
const CURRENT_LOGON = /\s(?:0x)?[0-9a-f]{1,8}:0x[0-9a-f]{1,8}$/i;

export function parseKlistSessions(text: string): KlistCapture {
  const unknownLines: number[] = [];
  const sessions: KlistSessionRecord[] = [];
  const seen = new Set<string>();
  captureLines(text).forEach((line, index) => {
    if (line.trim() === '' || isPromptLine(line)) return;
    const m = SESSION_LINE.exec(line);
    if (m) {
      const logonId = `${(m[2] ?? '').toLowerCase().padStart(8, '0')}:${(m[3] ?? '').toLowerCase().padStart(8, '0')}`;
      const account = m[4] ?? '';
      const slash = account.indexOf('\\');
      if (!seen.has(logonId)) {
        seen.add(logonId);
        sessions.push({
          logonId,
          sessionId: Number(m[1]),
          domain: slash >= 0 ? account.slice(0, slash) : '',
          user: slash >= 0 ? account.slice(slash + 1) : account,
          authPackage: m[5] ?? '',
          logonType: m[6] ?? '',
        });
        return;
      }
    } else if (!/^\s*\[/.test(line) && CURRENT_LOGON.test(line)) {
      return;
    }
    unknownLines.push(index + 1);
  });
  return { tool: 'klist', sessions, unknownLines, warnings: [] };
}
