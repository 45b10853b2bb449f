import { formatLogonId, WELL_KNOWN_LOGON_IDS } from '../src/model/logon-id.js';
import { COLLECTOR_NAMES, SNAPSHOT_SCHEMA_VERSION, type LogonSession, type ProcessInfo, type Snapshot, type TokenHandle, type WtsSession } from '../src/model/snapshot.js';

export interface SyntheticHostSize {
  readonly processes: number;
  readonly tokenHandles: number;
  readonly logonSessions: number;
  readonly zombies: number;
}

export const LARGE_HOST: SyntheticHostSize = { processes: 2000, tokenHandles: 100_000, logonSessions: 500, zombies: 200 };

/**
 * A large RDS host built directly as a snapshot: live user sessions with processes, zombie logon
 * sessions without, and token handles spread over every process (a tenth held by protected holders and
 * resolved through shared token objects).
 */
export function syntheticHost(size: SyntheticHostSize, collectedAt = '2026-11-25T12:00:00.000Z'): Snapshot {
  const wts: WtsSession[] = [{ sessionId: 0, name: 'Services', state: 'disconnected', user: null, domain: null }];
  const logons: LogonSession[] = [];
  const live = size.logonSessions - size.zombies;
  for (let i = 0; i < size.logonSessions; i++) {
    const sessionId = i + 2;
    const zombie = i >= live;
    if (!zombie) wts.push({ sessionId, name: `ICA-CGP#${i}`, state: 'active', user: `user${i}`, domain: 'CORP' });
    logons.push({
      logonId: formatLogonId(0, 0x100000 + i),
      sessionId,
      logonType: 'remote_interactive',
      user: `user${i}`,
      domain: 'CORP',
      authPackage: 'Kerberos',
      logonTime: '2026-11-25T08:00:00.000Z',
      sid: `S-1-5-21-1-2-3-${1000 + i}`,
    });
  }
  wts.push({ sessionId: 65536, name: 'RDP-Tcp', state: 'listen', user: null, domain: null });

  const processes: ProcessInfo[] = [{ pid: 4, image: 'System', sessionId: 0, logonId: WELL_KNOWN_LOGON_IDS.system }];
  const services = ['svchost.exe', 'lsass.exe', 'CtxSvcHost.exe', 'sqlservr.exe', 'w3wp.exe'];
  const apps = ['explorer.exe', 'chrome.exe', 'WINWORD.EXE', 'Teams.exe', 'OUTLOOK.EXE'];
  for (let p = 1; p < size.processes; p++) {
    const pid = 1000 + p * 4;
    if (p % 5 === 0) processes.push({ pid, image: services[p % services.length] as string, sessionId: 0, logonId: WELL_KNOWN_LOGON_IDS.system });
    else {
      const owner = logons[p % live] as LogonSession;
      processes.push({ pid, image: apps[p % apps.length] as string, sessionId: owner.sessionId, logonId: owner.logonId });
    }
  }

  const handles: TokenHandle[] = [];
  for (let h = 0; h < size.tokenHandles; h++) {
    const holder = processes[h % processes.length] as ProcessInfo;
    const logon = logons[h % logons.length] as LogonSession;
    const address = `0xffff8a0c${(h % (logons.length * 4)).toString(16).padStart(8, '0')}`;
    const tokenId = formatLogonId(0, 0x200000 + (h % (logons.length * 4)));
    const isProtected = holder.pid === 4 || holder.image === 'lsass.exe';
    handles.push(
      isProtected
        ? { pid: holder.pid, handle: 0x100 + h * 4, tokenId: null, objectAddress: address, logonId: null, unresolved: 'protected_process' }
        : { pid: holder.pid, handle: 0x100 + h * 4, tokenId, objectAddress: address, logonId: logon.logonId, unresolved: null },
    );
  }
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    host: 'rds-bench',
    source: 'bench',
    collectedAt,
    wtsSessions: wts,
    logonSessions: logons,
    processes,
    tokenHandles: handles,
    collectors: COLLECTOR_NAMES.map((name) => ({ name, success: true, timedOut: false, durationSeconds: 0, error: null })),
    issues: [],
  };
}
