import type { SessionListCapture, SessionRow } from './capture-types.js';
import { isBannerLine, isPromptLine } from './banner.js';
import { normaliseWord, sessionStateFromWord } from './session-state-words.js';
import { captureLines } from './text-decoding.js';

/**
 * qwinsta and quser print a fixed-width table whose header is translated. Columns are found from the
 * header line, not by splitting on blanks: a disconnected session has no session name, a listener has
 * no user, and a user name may contain blanks. The ID column is right-aligned under `ID` (65536 runs
 * into the column before it).
 */
interface Columns {
  readonly kind: 'qwinsta' | 'quser';
  /** Where the second column (quser: session name; qwinsta: user name) starts. */
  readonly secondStart: number;
  /** Where `ID` ends: the ID column is right-aligned there. */
  readonly idEnd: number;
}

/** First-column labels of quser (user name first); qwinsta starts with the session name. */
const USER_LABELS = /^(?:USER|USERNAME|BENUTZER|BENUTZERNAME|UTILISATEUR|NOM D'UTILISATEUR|NOMBRE DE USUARIO|NOMBRE USUARIO|USUARIO|NOME UTENTE|UTENTE|GEBRUIKERSNAAM|NOME DE USUARIO)$/;
/** Words of header labels naming the user or the session, in more languages than the full labels above. */
const USER_WORDS = /USER|BENUTZER|UTILISATEUR|USUARIO|UTENTE|UZYTKOWNIK|GEBRUIKER/;
const SESSION_WORDS = /SESS|SITZUNG|SESI|SESJ/;
const NO_USER = /^No User exists for\b/i;

export function readHeader(line: string): Columns | null {
  const labels = [...line.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ text: m[0], start: m.index }));
  const id = labels.findIndex((l) => l.text.toUpperCase() === 'ID');
  const first = labels[0];
  const second = labels[1];
  if (id !== 2 || !first || !second || labels.length < 4) return null;
  // quser names the user first; a translation not listed is told by its second column naming the session.
  const firstLabel = normaliseWord(first.text).toUpperCase();
  const secondLabel = normaliseWord(second.text).toUpperCase();
  const secondNamesSession = !USER_WORDS.test(secondLabel) && SESSION_WORDS.test(secondLabel);
  const kind = USER_LABELS.test(firstLabel) || secondNamesSession ? 'quser' : 'qwinsta';
  const idLabel = labels[id];
  return idLabel ? { kind, secondStart: second.start, idEnd: idLabel.start + 2 } : null;
}

/**
 * Where the first column ends in this row: at the header's position, unless a word crosses it (a session
 * name longer than its column, a row shifted by a character); then at the nearest blank.
 */
function columnBoundary(prefix: string, start: number): number {
  const crosses = (i: number) => /\S/.test(prefix[i - 1] ?? '') && /\S/.test(prefix[i] ?? '');
  if (start >= prefix.length || !crosses(start)) return start;
  let back = start;
  while (back > 0 && crosses(back)) back -= 1;
  let forward = start;
  while (forward < prefix.length && crosses(forward)) forward += 1;
  // The row's first character is the marker column: backing up to it would leave the first column empty.
  return back > 1 && start - back <= forward - start ? back : forward;
}

function parseRow(line: string, columns: Columns): { row: SessionRow | null; stateWord: string } | null {
  const current = line.startsWith('>');
  const body = current ? ` ${line.slice(1)}` : line;
  const tokens = [...body.matchAll(/\S+/g)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
  let best = -1;
  tokens.forEach((t, i) => {
    if (!/^\d{1,10}$/.test(t.text) || Math.abs(t.end - columns.idEnd) > 3) return;
    const bestToken = tokens[best];
    if (!bestToken || Math.abs(t.end - columns.idEnd) < Math.abs(bestToken.end - columns.idEnd)) best = i;
  });
  if (best < 0) best = tokens.findIndex((t, i) => /^\d{1,10}$/.test(t.text) && sessionStateFromWord(tokens[i + 1]?.text ?? '') !== null);
  const idToken = tokens[best];
  const stateToken = tokens[best + 1];
  if (!idToken || !stateToken) return null;
  const sessionId = Number(idToken.text);
  const prefix = body.slice(0, idToken.start);
  const boundary = columnBoundary(prefix, columns.secondStart);
  const first = prefix.slice(0, boundary).trim();
  const second = prefix.slice(boundary).trim();
  // `Getr.` and `Abhör.` are one token; some translations use two words (`Niet verb.`).
  let stateWord = stateToken.text;
  let state = sessionStateFromWord(stateWord);
  const nextToken = tokens[best + 2];
  if (state === null && nextToken) {
    const two = `${stateWord} ${nextToken.text}`;
    if (sessionStateFromWord(two) !== null) [stateWord, state] = [two, sessionStateFromWord(two)];
  }
  if (state === null) return { row: null, stateWord };
  const [sessionName, user] = columns.kind === 'quser' ? [second, first] : [first, second];
  return { row: { sessionId, sessionName, user, state, current }, stateWord };
}

/** Never throws; lines that are no row of the expected table are counted. */
export function parseSessionTable(text: string, kind: 'qwinsta' | 'quser'): SessionListCapture {
  const unknownLines: number[] = [];
  const warnings: string[] = [];
  const sessions: SessionRow[] = [];
  let columns: Columns | null = null;
  captureLines(text).forEach((line, index) => {
    if (line.trim() === '' || isBannerLine(line) || isPromptLine(line) || NO_USER.test(line.trim())) return;
    const header = readHeader(line);
    if (header && !/\d/.test(line)) {
      columns = header.kind === kind ? header : null;
      if (!columns) unknownLines.push(index + 1);
      return;
    }
    const parsed = columns ? parseRow(line, columns) : null;
    if (parsed?.row) sessions.push(parsed.row);
    else {
      unknownLines.push(index + 1);
      if (parsed) warnings.push(`line ${index + 1}: unknown session state "${parsed.stateWord}"`);
    }
  });
  return { tool: kind, sessions, unknownLines, warnings };
}
