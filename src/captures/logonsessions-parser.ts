import type { LogonSessionRecord, LogonSessionsCapture } from './capture-types.js';
import { isBannerLine, isPromptLine } from './banner.js';
import { captureLines } from './text-decoding.js';

/** `[10] Logon session 00000000:0017c025:` */
const BLOCK_START = /^\s*\[\d+\]\s+Logon session\s+([0-9a-fA-F]{1,8}):([0-9a-fA-F]{1,8}):?$/i;
/** `    User name:    HK\test01`: the labels are English in every language of Windows. */
const FIELD = /^\s+([A-Za-z][A-Za-z ]*?):\s*(.*)$/;
/** `-p`: `     1234: explorer.exe` */
const PROCESS = /^\s+(\d+):\s+(\S.*)$/;

type Field = 'user' | 'authPackage' | 'logonType' | 'session' | 'sid' | 'logonTime' | 'ignored';
const FIELDS: ReadonlyMap<string, Field> = new Map([
  ['user name', 'user'],
  ['auth package', 'authPackage'],
  ['logon type', 'logonType'],
  ['session', 'session'],
  ['sid', 'sid'],
  ['logon time', 'logonTime'],
  ['logon server', 'ignored'],
  ['dns domain', 'ignored'],
  ['upn', 'ignored'],
]);

interface Draft {
  logonId: string;
  values: Partial<Record<Field, string>>;
  processes: { pid: number; image: string }[];
}

function finish(d: Draft, withProcesses: boolean): LogonSessionRecord | null {
  const account = d.values.user ?? '';
  const slash = account.indexOf('\\');
  const session = d.values.session ?? '';
  if (!/^\d{1,10}$/.test(session)) return null;
  return {
    logonId: d.logonId,
    domain: slash >= 0 ? account.slice(0, slash) : '',
    user: slash >= 0 ? account.slice(slash + 1) : account,
    authPackage: d.values.authPackage ?? '',
    logonType: d.values.logonType ?? '',
    sessionId: Number(session),
    // Anonymous and some system logon sessions print `Sid: (none)`.
    sid: d.values.sid && d.values.sid !== '(none)' ? d.values.sid : null,
    logonTime: d.values.logonTime ? d.values.logonTime : null,
    processes: withProcesses ? d.processes : null,
  };
}

/**
 * logonsessions.exe (1.4, 1.41), with or without `-p`. Never throws: what it cannot read is counted
 * in `unknownLines`; a block without a readable session number is dropped and its header counted.
 */
export function parseLogonSessions(text: string): LogonSessionsCapture {
  const lines = captureLines(text);
  const unknownLines: number[] = [];
  const drafts: { draft: Draft; line: number }[] = [];
  let current: Draft | null = null;
  lines.forEach((line, index) => {
    if (line.trim() === '' || isBannerLine(line) || isPromptLine(line)) return;
    const start = BLOCK_START.exec(line);
    if (start) {
      const high = (start[1] ?? '').toLowerCase().padStart(8, '0');
      const low = (start[2] ?? '').toLowerCase().padStart(8, '0');
      current = { logonId: `${high}:${low}`, values: {}, processes: [] };
      drafts.push({ draft: current, line: index + 1 });
      return;
    }
    const draft: Draft | null = current;
    if (draft) {
      const process = PROCESS.exec(line);
      if (process) {
        draft.processes.push({ pid: Number(process[1]), image: (process[2] ?? '').trim() });
        return;
      }
      const field = FIELD.exec(line);
      const key = field ? FIELDS.get((field[1] ?? '').toLowerCase()) : undefined;
      if (field && key) {
        if (key !== 'ignored') draft.values[key] = (field[2] ?? '').trim();
        return;
      }
    }
    unknownLines.push(index + 1);
  });
  const withProcesses = drafts.some((d) => d.draft.processes.length > 0);
  const sessions: LogonSessionRecord[] = [];
  const seen = new Set<string>();
  for (const { draft, line } of drafts) {
    const record = finish(draft, withProcesses);
    if (!record || seen.has(record.logonId)) unknownLines.push(line);
    else {
      seen.add(record.logonId);
      sessions.push(record);
    }
  }
  return { tool: 'logonsessions', sessions, withProcesses, unknownLines: unknownLines.sort((a, b) => a - b), warnings: [] };
}
