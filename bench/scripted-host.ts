/**
 * Scripted RDS hosts for the Wine harness (test/wine/fakes/README.md): the data file the replacement
 * wtsapi32/secur32 DLLs serve, the audit of their allocation log, real token handles held for a scripted
 * logon session, and the large host of scenario 6. Shared by test/wine and bench/wine-scenario-bench.ts.
 */
import { readFileSync } from 'node:fs';
import { nodeCopy, startLeakTool, type LeakTool, type WineEnv } from './wine-harness.js';

/** WTS_CONNECTSTATE_CLASS values. */
export const WTS = { active: 0, connected: 1, disconnected: 4, listen: 6 } as const;
/** SECURITY_LOGON_TYPE values. */
export const LOGON = { system: 0, interactive: 2, network: 3, service: 5, remoteInteractive: 10 } as const;
export const STATUS_NO_SUCH_LOGON_SESSION = 0xc000005f;
export const STATUS_ACCESS_DENIED = 0xc0000022;
/** "The remote procedure call failed and did not execute": how WTSEnumerateSessionsExW fails when TermService is unreachable. */
export const RPC_S_CALL_FAILED_DNE = 1726;

export interface ScriptedSession {
  readonly id: number;
  readonly state: number;
  /** undefined: NULL pointer; '' an empty string. */
  readonly name?: string;
  readonly user?: string;
  readonly domain?: string;
  readonly host?: string;
  readonly farm?: string;
}

export interface ScriptedLogon {
  readonly id: string;
  readonly type: number;
  readonly session: number;
  readonly user?: string;
  readonly domain?: string;
  readonly package?: string;
  readonly sid?: string;
  /** ISO time; written as a FILETIME. */
  readonly time?: string;
  /** LsaGetLogonSessionData returns this NTSTATUS instead of data. */
  readonly status?: number;
  readonly nullData?: boolean;
  /** Value of the Size field (default: the full 0x110). */
  readonly size?: number;
  readonly unterminated?: boolean;
}

export interface ScriptedHost {
  readonly sessions: readonly ScriptedSession[];
  readonly logons: readonly ScriptedLogon[];
  /** TokenId -> logon id, for real tokens (GetTokenInformation hook). */
  readonly tokens?: readonly { readonly id: string; readonly logon: string }[];
  /** Logon id every other token reports (instead of Wine's 0:0). */
  readonly defaultTokenLogon?: string;
  readonly wtsExError?: number;
  readonly wtsError?: number;
  readonly lsaEnumStatus?: number;
}

const FILETIME_UNIX_EPOCH = 116444736000000000n;

export function fileTime(iso: string): bigint {
  return BigInt(Date.parse(iso)) * 10000n + FILETIME_UNIX_EPOCH;
}

/** %XX-escapes what the line format reserves (blanks, '=', '%') and control characters; UTF-8 passes. */
function escape(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
  return value.replace(/[\s=%\x00-\x1f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function field(key: string, value: string | number | undefined): string {
  return value === undefined ? '' : ` ${key}=${typeof value === 'number' ? value : escape(value)}`;
}

export function hostFileText(host: ScriptedHost): string {
  const lines = ['# scripted RDS host (test/wine/fakes/README.md)'];
  if (host.wtsExError !== undefined) lines.push(`wts-ex-error ${host.wtsExError}`);
  if (host.wtsError !== undefined) lines.push(`wts-error ${host.wtsError}`);
  if (host.lsaEnumStatus !== undefined) lines.push(`lsa-enum-status 0x${host.lsaEnumStatus.toString(16)}`);
  for (const s of host.sessions) {
    lines.push(`session${field('id', s.id)}${field('state', s.state)}${field('name', s.name)}${field('user', s.user)}${field('domain', s.domain)}${field('host', s.host)}${field('farm', s.farm)}`);
  }
  for (const l of host.logons) {
    let line = `logon id=${l.id}${field('type', l.type)}${field('session', l.session)}${field('user', l.user)}${field('domain', l.domain)}${field('package', l.package)}${field('sid', l.sid)}`;
    if (l.time) line += ` time=${fileTime(l.time)}`;
    if (l.status !== undefined) line += ` status=0x${l.status.toString(16)}`;
    if (l.size !== undefined) line += ` size=${l.size}`;
    if (l.nullData) line += ' null-data';
    if (l.unterminated) line += ' unterminated';
    lines.push(line);
  }
  for (const t of host.tokens ?? []) lines.push(`token id=${t.id} logon=${t.logon}`);
  if (host.defaultTokenLogon) lines.push(`token-default logon=${host.defaultTokenLogon}`);
  return `${lines.join('\n')}\n`;
}

// --- allocation log --------------------------------------------------------------------------------------

/** Which free function each kind of fake allocation must be released with. */
const FREE_FUNCTION: Record<string, string> = {
  wts1: 'WTSFreeMemoryExW',
  wts: 'WTSFreeMemory',
  'lsa-luids': 'LsaFreeReturnBuffer',
  'lsa-data': 'LsaFreeReturnBuffer',
};

export interface AllocationAudit {
  readonly allocations: number;
  readonly byKind: Record<string, number>;
  readonly frees: number;
  /** Allocations never freed. */
  readonly unfreed: string[];
  /** Frees of pointers that were not live (double frees, foreign pointers). */
  readonly badFrees: string[];
  /** Frees with the wrong function, or WTSFreeMemoryExW with the wrong type or count. */
  readonly wrongFree: string[];
  readonly hook: 'ok' | 'failed' | 'absent';
  readonly hookLine: string | null;
  readonly errors: string[];
  readonly calls: string[];
}

export function auditAllocationLog(file: string): AllocationAudit {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no log: nothing was allocated (the DLLs were not loaded): the caller's assertions on counts catch it
  }
  const live = new Map<string, { kind: string; count: number }>();
  const byKind: Record<string, number> = {};
  const badFrees: string[] = [];
  const wrongFree: string[] = [];
  const errors: string[] = [];
  const calls: string[] = [];
  let allocations = 0;
  let frees = 0;
  let hookLine: string | null = null;
  for (const line of text.split('\n')) {
    const words = line.split(' ');
    if (words[0] === 'alloc') {
      const [, kind = '', pointer = '', countField = ''] = words;
      allocations++;
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      live.set(pointer, { kind, count: Number(countField.replace('count=', '')) });
    } else if (words[0] === 'free') {
      const [, fn = '', pointer = ''] = words;
      frees++;
      const allocation = live.get(pointer);
      if (!allocation || line.endsWith('result=unknown')) {
        badFrees.push(line);
        continue;
      }
      live.delete(pointer);
      if (FREE_FUNCTION[allocation.kind] !== fn) wrongFree.push(`${allocation.kind} freed with ${line}`);
      else if (fn === 'WTSFreeMemoryExW' && !line.includes(`type=2 count=${allocation.count} `)) wrongFree.push(`${allocation.kind} (count ${allocation.count}) freed with ${line}`);
    } else if (words[0] === 'hook') {
      hookLine = line;
    } else if (words[0] === 'error') {
      errors.push(line);
    } else if (words[0] === 'call') {
      calls.push(line);
    }
  }
  return {
    allocations,
    byKind,
    frees,
    unfreed: [...live].map(([p, a]) => `${a.kind} ${p}`),
    badFrees,
    wrongFree,
    hook: hookLine === null ? 'absent' : hookLine.startsWith('hook ok') ? 'ok' : 'failed',
    hookLine,
    errors,
    calls,
  };
}

// --- real token handles held for a scripted logon session ------------------------------------------------

export interface Holder {
  readonly image: string;
  readonly handles: number;
}

export interface HeldToken {
  /** TokenId of the victim's primary token (Wine's real answer). */
  readonly tokenId: string;
  readonly holders: readonly (LeakTool & { readonly image: string })[];
  stop(): Promise<void>;
}

/**
 * A "user process" (Windows node.exe) starts; holder processes (copies of node.exe named like services)
 * duplicate its primary token `handles` times each with the leak tool; the user process then exits, so
 * only the held handles keep its token object (and, scripted, its logon session) alive.
 */
export async function holdExitedUserToken(w: WineEnv, dir: string, holders: readonly Holder[], prefix = 'holder'): Promise<HeldToken> {
  const victim = await startLeakTool(w, 1, dir, { name: `${prefix}-user` });
  const started: (LeakTool & { image: string })[] = [];
  try {
    const tools = await Promise.all(
      holders.map(async (h, i) => {
        const folder = h.image.replace(/\.exe$/i, '').toLowerCase();
        const exe = nodeCopy(w, folder, h.image);
        const tool = await startLeakTool(w, h.handles, dir, { pid: victim.status.pid, exe, name: `${prefix}-${i}-${folder}` });
        return Object.assign(tool, { image: h.image });
      }),
    );
    started.push(...tools);
  } catch (error) {
    await Promise.all(started.map((t) => t.stop()));
    await victim.stop();
    throw error;
  }
  await victim.stop();
  const ids = new Set(started.map((t) => t.status.tokenId));
  const tokenId = started[0]?.status.tokenId;
  if (ids.size !== 1 || !tokenId) throw new Error(`holders report different or no token ids: ${[...ids].join(', ')}`);
  return {
    tokenId,
    holders: started,
    async stop() {
      await Promise.all(started.map((t) => t.stop()));
    },
  };
}

// --- scenario 6: a large host ---------------------------------------------------------------------------

export interface LargeHostShape {
  /** LSA logon sessions in all (at least 1,000). */
  readonly logons: number;
  /** Live RDS user sessions (each with a user logon and DWM/UMFD accounts). */
  readonly liveSessions: number;
  /** Zombie user logons in sessions that are gone. */
  readonly zombies: number;
  /** TokenId of the held token, and the zombie logon it is scripted to (one of the zombies). */
  readonly heldTokenId: string;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/**
 * A large RDS host: session 0, console, `liveSessions` active sessions with their user, DWM-N and UMFD-N
 * logons, `zombies` RemoteInteractive logons in sessions that no longer exist, and network logons up to
 * `logons`. The held token belongs to the first zombie (`heldZombieLogonId`).
 */
export function largeScriptedHost(shape: LargeHostShape): { host: ScriptedHost; heldZombieLogonId: string; zombieLogonIds: string[] } {
  const sessions: ScriptedSession[] = [
    { id: 0, state: WTS.disconnected, name: 'Services' },
    { id: 1, state: WTS.connected, name: 'Console' },
    { id: 65536, state: WTS.listen, name: 'RDP-Tcp' },
  ];
  const logons: ScriptedLogon[] = [
    { id: '00000000:000003e7', type: LOGON.system, session: 0, nullData: true },
    { id: '00000000:000003e4', type: LOGON.service, session: 0, user: 'NETWORK SERVICE', domain: 'NT AUTHORITY', package: 'Negotiate', sid: 'S-1-5-20', time: '2024-01-01T00:00:00Z' },
  ];
  const domainSid = 'S-1-5-21-1004336348-1177238915-682003330';
  let next = 0x100000;
  const id = () => `00000000:${hex8(next++)}`;
  for (let i = 0; i < shape.liveSessions; i++) {
    const s = i + 2;
    const user = `user${String(i).padStart(4, '0')}`;
    sessions.push({ id: s, state: WTS.active, name: `RDP-Tcp#${s + 10}`, user, domain: 'CORP' });
    logons.push({ id: id(), type: LOGON.remoteInteractive, session: s, user, domain: 'CORP', package: 'Kerberos', sid: `${domainSid}-${5000 + i}`, time: '2024-01-02T08:00:00Z' });
    logons.push({ id: id(), type: LOGON.interactive, session: s, user: `DWM-${s}`, domain: 'Window Manager', package: 'Negotiate', sid: `S-1-5-90-0-${s}`, time: '2024-01-02T08:00:00Z' });
    logons.push({ id: id(), type: LOGON.interactive, session: s, user: `UMFD-${s}`, domain: 'Font Driver Host', package: 'Negotiate', sid: `S-1-5-96-0-${s}`, time: '2024-01-02T08:00:00Z' });
  }
  const zombieLogonIds: string[] = [];
  for (let i = 0; i < shape.zombies; i++) {
    const logonId = id();
    zombieLogonIds.push(logonId);
    logons.push({ id: logonId, type: LOGON.remoteInteractive, session: shape.liveSessions + 10 + i, user: `gone${i}`, domain: 'CORP', package: 'Kerberos', sid: `${domainSid}-${9000 + i}`, time: '2024-01-01T07:00:00Z' });
  }
  while (logons.length < shape.logons) {
    logons.push({ id: id(), type: LOGON.network, session: 0, user: `svc${logons.length}`, domain: 'CORP', package: 'Kerberos', sid: `${domainSid}-${20000 + logons.length}`, time: '2024-01-02T09:00:00Z' });
  }
  const heldZombieLogonId = zombieLogonIds[0];
  if (!heldZombieLogonId) throw new Error('a large host needs at least one zombie');
  return {
    host: { sessions, logons, tokens: [{ id: shape.heldTokenId, logon: heldZombieLogonId }], defaultTokenLogon: '00000000:000003e4' },
    heldZombieLogonId,
    zombieLogonIds,
  };
}
