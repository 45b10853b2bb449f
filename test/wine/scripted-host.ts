/**
 * Scripted RDS hosts for the Wine scenarios (test/wine/fakes/README.md): writes the data file the
 * replacement wtsapi32/secur32 DLLs serve, audits their allocation log, and runs the real agent
 * (`--source windows`, Windows Node under Wine) with the DLLs loaded for that process only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Exposition } from '../fixtures/exposition.js';
import { freePort } from '../fixtures/agent-process.js';
import { fakeHostEnv, nodeCopy, runDiagnose, startLeakTool, startWineNode, waitFor, type DiagnoseReport, type FakeBuild, type LeakTool, type WineEnv } from '../../bench/wine-harness.js';

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

// --- running the agent against a scripted host -------------------------------------------------------------

export class ScriptedHostRun {
  readonly hostFile: string;
  readonly logFile: string;
  readonly exe: string;

  constructor(
    readonly wine: WineEnv,
    fakes: FakeBuild,
    readonly dir: string,
    readonly name: string,
  ) {
    this.hostFile = join(dir, `${name}.host`);
    this.logFile = join(dir, `${name}.alloc.log`);
    this.exe = nodeCopy(wine, 'fake-host', 'node.exe', fakes);
  }

  write(host: ScriptedHost): void {
    writeFileSync(this.hostFile, hostFileText(host));
    writeFileSync(this.logFile, '');
  }

  private get options() {
    return { exe: this.exe, env: fakeHostEnv(this.hostFile, this.logFile) };
  }

  /** Runs `cli.js ...args` to completion; returns exit code and outputs. */
  async cli(args: readonly string[], label: string, timeoutMs = 180_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const run = startWineNode(this.wine, [join('dist', 'src', 'cli.js'), ...args], this.dir, `${this.name}-${label}`, this.options);
    const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
    const code = await run.exited;
    clearTimeout(timer);
    return { code, stdout: readFileSync(run.stdoutFile, 'utf8'), stderr: readFileSync(run.stderrFile, 'utf8') };
  }

  async snapshot(): Promise<SnapshotJson> {
    const r = await this.cli(['snapshot', '--source', 'windows'], 'snapshot');
    if (r.code !== 0) throw new Error(`snapshot exited ${r.code}: ${r.stderr.slice(-2000)}`);
    return JSON.parse(r.stdout) as SnapshotJson;
  }

  async report(): Promise<{ code: number | null; report: ReportJson }> {
    const r = await this.cli(['report', '--source', 'windows', '--zombie.grace-period=0s', '--report.format', 'json'], 'report');
    try {
      return { code: r.code, report: JSON.parse(r.stdout) as ReportJson };
    } catch {
      throw new Error(`report exited ${r.code} without JSON: ${r.stderr.slice(-2000)}`);
    }
  }

  async textReport(): Promise<string> {
    return (await this.cli(['report', '--source', 'windows', '--zombie.grace-period=0s'], 'report-text')).stdout;
  }

  /** Serves, scrapes /metrics `scrapes` times (each a collection), stops the server; returns the last exposition. */
  async metrics(scrapes = 1): Promise<Exposition> {
    const port = await freePort();
    const server = startWineNode(
      this.wine,
      [join('dist', 'src', 'cli.js'), 'serve', '--source', 'windows', '--web.listen-address', `127.0.0.1:${port}`, '--zombie.grace-period=0s'],
      this.dir,
      `${this.name}-serve`,
      this.options,
    );
    try {
      let last = '';
      for (let i = 0; i < scrapes; i++) {
        last = await waitFor('/metrics over HTTP', 120_000, async () => {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(60_000) });
            return res.status === 200 ? await res.text() : null;
          } catch {
            return null;
          }
        });
      }
      return new Exposition(last);
    } finally {
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(timer);
    }
  }

  diagnose(collections: number): Promise<DiagnoseReport> {
    return runDiagnose(this.wine, this.dir, { collections, name: `${this.name}-diagnose`, ...this.options });
  }

  audit(): AllocationAudit {
    return auditAllocationLog(this.logFile);
  }
}

/** The parts of the snapshot JSON these scenarios read. */
export interface SnapshotJson {
  wtsSessions: { sessionId: number; name: string; state: string; user: string | null; domain: string | null }[] | null;
  logonSessions: { logonId: string; sessionId: number; logonType: string; user: string | null; domain: string | null; authPackage: string | null; logonTime: string | null; sid: string | null }[] | null;
  processes: { pid: number; image: string; logonId: string | null }[] | null;
  tokenHandles: { pid: number; tokenId: string | null; logonId: string | null; unresolved: string | null }[] | null;
  collectors: { name: string; success: boolean; error: string | null }[];
  issues: { collector: string; kind: string; count: number }[];
}

export interface ReportJson {
  sessions: { present: number; highestSessionId: number } | null;
  zombies: { logonId: string; sessionId: number; user: string | null; domain: string | null; reason: string; accountKind: string; holders: { image: string; pid: number; handles: number }[] }[] | null;
  pinnedSessionIds: number[] | null;
  tokens: { total: number; leaked: number; byProcess: Record<string, { total: number; leaked: number }> } | null;
  collectors: { name: string; success: boolean; error: string | null }[];
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

/** The agent's own handle count settles after the first collections (lazily opened handles), then stays flat. */
export function settledHandleCounts(report: DiagnoseReport, skip = 3): number[] {
  return report.ownHandleCounts.slice(skip).filter((c): c is number => typeof c === 'number');
}
