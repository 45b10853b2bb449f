import { accountKindOf } from '../analysis/account-kind.js';
import { WELL_KNOWN_LOGON_IDS } from '../model/logon-id.js';
import { FIRST_LISTENER_SESSION_ID, SERVICES_SESSION_ID } from '../model/session-states.js';
import {
  snapshotSchema,
  SNAPSHOT_SCHEMA_VERSION,
  type CollectorStatus,
  type LogonSession,
  type ProcessInfo,
  type Snapshot,
  type TokenHandle,
  type WtsSession,
} from '../model/snapshot.js';
import type { Capture, HandleCapture, KlistCapture, LogonSessionsCapture, SessionListCapture } from './capture-types.js';
import { logonIdOfTokenName } from './handle-parser.js';
import { dayFirstOrder, parseLocalisedDate } from './localised-dates.js';
import { logonTypeFromPrinted } from './logon-type-names.js';

/** The source name a capture-built snapshot carries. */
export const CAPTURE_SOURCE = 'capture';

export interface CaptureSnapshot {
  readonly snapshot: Snapshot;
  /** What the captures could not tell, and how that was handled: printed with the report. */
  readonly notes: readonly string[];
}

function only<T extends Capture['tool']>(captures: readonly Capture[], ...tools: T[]): Extract<Capture, { tool: T }>[] {
  return captures.filter((c): c is Extract<Capture, { tool: T }> => (tools as string[]).includes(c.tool));
}

function logonSessionsOf(logonCaptures: readonly LogonSessionsCapture[], klist: readonly KlistCapture[], notes: string[]): LogonSession[] | null {
  if (logonCaptures.length === 0 && klist.length === 0) return null;
  const records = logonCaptures.flatMap((c) => c.sessions);
  const dayFirst = dayFirstOrder(records.flatMap((r) => (r.logonTime ? [r.logonTime] : [])));
  const byId = new Map<string, LogonSession>();
  const unknownTypes = new Set<string>();
  const unreadTimes = new Set<string>();
  const typeOf = (printed: string) => {
    const t = logonTypeFromPrinted(printed);
    if (t === null) unknownTypes.add(printed);
    return t ?? 'unknown';
  };
  for (const r of records) {
    if (byId.has(r.logonId)) continue;
    const logonTime = r.logonTime ? parseLocalisedDate(r.logonTime, dayFirst) : null;
    if (r.logonTime && !logonTime) unreadTimes.add(r.logonTime);
    byId.set(r.logonId, { logonId: r.logonId, sessionId: r.sessionId, logonType: typeOf(r.logonType), user: r.user, domain: r.domain, authPackage: r.authPackage, logonTime, sid: r.sid });
  }
  for (const r of klist.flatMap((c) => c.sessions)) {
    if (byId.has(r.logonId)) continue;
    byId.set(r.logonId, { logonId: r.logonId, sessionId: r.sessionId, logonType: typeOf(r.logonType), user: r.user, domain: r.domain, authPackage: r.authPackage, logonTime: null, sid: null });
  }
  if (unknownTypes.size > 0) notes.push(`Logon type${unknownTypes.size > 1 ? 's' : ''} ${[...unknownTypes].map((t) => `"${t}"`).join(', ')} not known: counted as unknown.`);
  if (unreadTimes.size > 0) notes.push(`Logon time${unreadTimes.size > 1 ? 's' : ''} ${[...unreadTimes].slice(0, 3).map((t) => `"${t}"`).join(', ')} not read (left out).`);
  if (records.some((r) => r.logonTime)) notes.push("Logon times are the host's local time without a zone: shown as if UTC.");
  return [...byId.values()];
}

function processesOf(logonCaptures: readonly LogonSessionsCapture[], handles: readonly HandleCapture[]): ProcessInfo[] {
  const byPid = new Map<number, ProcessInfo>();
  for (const r of logonCaptures.flatMap((c) => c.sessions)) {
    for (const p of r.processes ?? []) {
      if (!byPid.has(p.pid) && p.image !== '') byPid.set(p.pid, { pid: p.pid, image: p.image, sessionId: r.sessionId, logonId: r.logonId });
    }
  }
  for (const c of handles) {
    for (const [pid, image] of c.processes) if (!byPid.has(pid) && image !== '') byPid.set(pid, { pid, image, sessionId: null, logonId: null });
  }
  return [...byPid.values()];
}

/**
 * qwinsta and quser print user names without the domain, and quser cuts them at 20 characters: take
 * the account of the logon session in the same RDS session that matches, so a live session is not
 * mistaken for one reused by another user.
 */
function withAccounts(sessions: WtsSession[], logons: readonly LogonSession[] | null): WtsSession[] {
  return sessions.map((s) => {
    if (!s.user) return s;
    const shown = s.user.toLowerCase();
    const match = logons?.find(
      (l) => l.sessionId === s.sessionId && accountKindOf(l) === 'user' && (l.user.toLowerCase() === shown || (shown.length >= 18 && l.user.toLowerCase().startsWith(shown))),
    );
    return match ? { ...s, user: match.user, domain: match.domain } : s;
  });
}

function wtsSessionsOf(lists: readonly SessionListCapture[], logons: readonly LogonSession[] | null, processes: readonly ProcessInfo[], notes: string[]): WtsSession[] | null {
  if (lists.length > 0) {
    const byId = new Map<number, WtsSession>();
    for (const row of lists.flatMap((c) => c.sessions)) {
      if (!byId.has(row.sessionId)) byId.set(row.sessionId, { sessionId: row.sessionId, name: row.sessionName, state: row.state, user: row.user || null, domain: null });
    }
    if (lists.every((c) => c.tool === 'quser')) notes.push('quser lists only sessions with a user: services, console and listeners are not counted.');
    return withAccounts([...byId.values()], logons);
  }
  const live = new Set(processes.flatMap((p) => (p.logonId ? [p.logonId] : [])));
  if (!logons || live.size === 0) return null;
  // Without a session list, a session is live when a process runs in one of its logon sessions.
  const byId = new Map<number, WtsSession>();
  for (const l of logons) {
    if (!live.has(l.logonId) || l.sessionId === SERVICES_SESSION_ID || l.sessionId >= FIRST_LISTENER_SESSION_ID) continue;
    const existing = byId.get(l.sessionId);
    if (!existing || (existing.user === null && accountKindOf(l) === 'user')) {
      const user = accountKindOf(l) === 'user' ? l : null;
      byId.set(l.sessionId, { sessionId: l.sessionId, name: '', state: 'active', user: user?.user ?? null, domain: user?.domain ?? null });
    }
  }
  notes.push('No qwinsta or quser output: RDS sessions are inferred from the processes logonsessions -p lists (a session counts as live when a process runs in it).');
  return [...byId.values()];
}

function tokenHandlesOf(handles: readonly HandleCapture[]): TokenHandle[] | null {
  const withLines = handles.filter((c) => c.form !== 'summary');
  if (withLines.length === 0) return null;
  const byKey = new Map<string, TokenHandle>();
  for (const h of withLines.flatMap((c) => c.handles)) {
    if (h.type.toLowerCase() !== 'token' || byKey.has(`${h.pid}:${h.handle}`)) continue;
    const logonId = logonIdOfTokenName(h.name);
    byKey.set(`${h.pid}:${h.handle}`, { pid: h.pid, handle: h.handle, tokenId: null, objectAddress: null, logonId, unresolved: logonId ? null : 'query_failed' });
  }
  return [...byKey.values()];
}

/**
 * The host: the machine account the SYSTEM and Network Service logon sessions run as (`HK\SRV1$`).
 * Several machine accounts mean the files come from several hosts: said in the notes.
 */
function hostOf(logonCaptures: readonly LogonSessionsCapture[], klist: readonly KlistCapture[], notes: string[]): string {
  const machines = new Set<string>();
  for (const l of [...logonCaptures.flatMap((c) => c.sessions), ...klist.flatMap((c) => c.sessions)]) {
    const wellKnown = l.logonId === WELL_KNOWN_LOGON_IDS.system || l.logonId === WELL_KNOWN_LOGON_IDS.networkService;
    if (wellKnown && l.user.endsWith('$')) machines.add(l.user.slice(0, -1).toUpperCase());
  }
  if (machines.size > 1) notes.push(`The files name several hosts (${[...machines].join(', ')}): analyse one host's files at a time.`);
  return [...machines][0] ?? 'unknown-host';
}

function status(name: string, given: boolean, missing: string): CollectorStatus {
  return { name, success: given, timedOut: false, durationSeconds: 0, error: given ? null : missing };
}

/**
 * Captures of one host -> the agent's snapshot, so the same analysis and report apply. What a capture
 * cannot tell is a failed collector with the reason (the report prints it) and a note.
 */
export function capturesToSnapshot(captures: readonly Capture[], collectedAt: string): CaptureSnapshot {
  const notes: string[] = [];
  const logonCaptures = only(captures, 'logonsessions');
  const handleCaptures = only(captures, 'handle');
  const lists = only(captures, 'qwinsta', 'quser');
  const withProcesses = logonCaptures.some((c) => c.withProcesses);

  const klist = only(captures, 'klist');
  const host = hostOf(logonCaptures, klist, notes);
  const logonSessions = logonSessionsOf(logonCaptures, klist, notes);
  const processes = processesOf(logonCaptures, handleCaptures);
  const wtsSessions = wtsSessionsOf(lists, logonSessions, processes, notes);
  const tokenHandles = tokenHandlesOf(handleCaptures);

  if (logonSessions && !withProcesses) {
    notes.push('No logonsessions -p output: which logon sessions still run processes is unknown; each counts as having none (run logonsessions -p to tell).');
  }
  if (logonSessions && !wtsSessions) notes.push('No qwinsta or quser output (nor logonsessions -p): zombies cannot be told from live logon sessions.');
  if (!tokenHandles) notes.push('No handle.exe output with handle lines: holders are unknown (handle.exe -a <logon id> lists them).');
  else if (handleCaptures.some((c) => c.form === 'search')) notes.push('handle.exe search output lists only the matching handles: token totals cover those.');

  const snapshot: Snapshot = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    host,
    source: CAPTURE_SOURCE,
    collectedAt,
    wtsSessions,
    logonSessions,
    processes,
    tokenHandles,
    collectors: [
      status('wts', wtsSessions !== null, 'not captured: give qwinsta, query session, quser or query user output'),
      status('lsa', logonSessions !== null, 'not captured: give logonsessions.exe or klist sessions output'),
      status('processes', withProcesses, 'not captured: logonsessions.exe -p lists the processes of each logon session'),
      status('handles', tokenHandles !== null, 'not captured: give handle.exe -a output'),
      status('tokens', tokenHandles !== null, 'not captured: give handle.exe -a output'),
    ],
    issues: [],
  };
  // The parsers guarantee the model's shapes; a failure here is a bug, not bad input.
  return { snapshot: snapshotSchema.parse(snapshot), notes };
}
