import type { SessionRow } from '../../../src/captures/capture-types.js';
import { joinLines, type Layout } from './encoding.js';
import { QUSER_HEADERS, QWINSTA_HEADERS, STATE_WORDS, type Locale } from './locales.js';

/**
 * qwinsta / query session: the marker column, session name at 1, user at 19, ID right-aligned to
 * column 46, as Windows prints it (the article's output).
 */
export function renderQwinsta(rows: readonly SessionRow[], locale: Locale, layout: Layout): string {
  const [session = '', user = '', id = '', state = '', type = '', device = ''] = QWINSTA_HEADERS[locale];
  const lines = [` ${session.padEnd(18)}${user.padEnd(21)}${id.padStart(6)}  ${state.padEnd(8)}${type.padEnd(12)}${device}`];
  for (const r of rows) {
    const type = r.sessionName.startsWith('rdp') ? 'rdpwd' : r.sessionName.startsWith('ica') ? 'wdica' : '';
    const line = `${r.current ? '>' : ' '}${r.sessionName.padEnd(18)}${r.user.slice(0, 20).padEnd(21)}${String(r.sessionId).padStart(6)}  ${STATE_WORDS[locale][r.state].padEnd(7)} ${type}`;
    lines.push(line.trimEnd());
  }
  return joinLines(lines, layout);
}

/** quser / query user: user at 1, session name at 23, ID right-aligned to column 44, idle and logon time. */
export function renderQuser(rows: readonly SessionRow[], locale: Locale, layout: Layout, logonTime: string): string {
  const [user = '', session = '', id = '', state = '', idle = '', logon = ''] = QUSER_HEADERS[locale];
  const lines = [` ${user.padEnd(22)}${session.padEnd(15)}${id.padStart(6)}  ${state.padEnd(8)}${idle.padStart(9)}  ${logon}`];
  for (const r of rows) {
    lines.push(`${r.current ? '>' : ' '}${r.user.slice(0, 20).padEnd(22)}${r.sessionName.padEnd(15)}${String(r.sessionId).padStart(6)}  ${STATE_WORDS[locale][r.state].padEnd(8)}${'.'.padStart(9)}  ${logonTime}`);
  }
  return joinLines(lines, layout);
}
