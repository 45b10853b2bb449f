import { formatLogonId, WELL_KNOWN_LOGON_IDS } from '../../model/logon-id.js';
import type { LogonType } from '../../model/logon-types.js';
import type { LogonSession, ProcessInfo, TokenHandle, WtsSession } from '../../model/snapshot.js';
import { Prng } from './prng.js';
import type { SimulationParameters } from './profiles.js';

/** The simulation advances in fixed steps so that the state at time t never depends on how often it is sampled. */
export const SIMULATION_TICK_MS = 10_000;

const SERVICE_RELEASE_MAX_MS = 30_000;
const DOMAIN = 'CORP';
const DOMAIN_SID = 'S-1-5-21-1004336348-1177238915-682003330';
/**
 * The services each simulated service process hosts, as `tasklist /svc` would show them on a Server 2019
 * RDS host (one svchost per group). Illustrative: plausible names in plausible accounts, not a capture of
 * a real host; the Citrix names in particular are stand-ins. A fixed table, so the simulation draws no
 * extra random numbers for it and seeded runs stay as they were.
 */
const SVCHOST_INSTANCES: readonly { readonly account: keyof typeof WELL_KNOWN_LOGON_IDS; readonly services: readonly string[] }[] = [
  // The first is the User Manager's: it takes every logon's tokens.
  { account: 'system', services: ['UserManager', 'ProfSvc'] },
  { account: 'system', services: ['DcomLaunch', 'PlugPlay', 'Power'] },
  { account: 'system', services: ['Schedule', 'Winmgmt', 'gpsvc'] },
  { account: 'networkService', services: ['RpcSs', 'RpcEptMapper'] },
  { account: 'localService', services: ['EventLog'] },
  { account: 'system', services: ['SessionEnv', 'UmRdpService'] },
  { account: 'localService', services: ['W32Time', 'Dhcp'] },
  { account: 'system', services: ['LanmanServer', 'Appinfo'] },
  { account: 'system', services: ['CertPropSvc', 'SENS'] },
  { account: 'networkService', services: ['TermService', 'CryptSvc'] },
];
const LSASS_SERVICES = ['KeyIso', 'SamSs', 'VaultSvc'];
const SPOOLER_SERVICES = ['Spooler'];
const CTXSVCHOST_SERVICES = ['CtxSensLoc', 'CtxSmartCardSvc'];
const BROKER_AGENT_SERVICES = ['BrokerAgent'];

const USER_APPS = ['WINWORD.EXE', 'EXCEL.EXE', 'OUTLOOK.EXE', 'chrome.exe', 'msedge.exe', 'Teams.exe', 'AcroRd32.exe'];

interface SimToken {
  readonly tokenId: string;
  readonly address: string;
  readonly logonId: string;
}

interface SimHandle {
  readonly pid: number;
  readonly handle: number;
  readonly token: SimToken;
  /** Simulated epoch ms at which the holder closes it; Infinity for a leak. */
  releaseAt: number;
}

interface SimProcess extends ProcessInfo {
  /** Holders the real system will not let us open (PPL lsass, System): their handles come out unresolved. */
  readonly protected: boolean;
}

interface SimSession {
  readonly sessionId: number;
  readonly name: string;
  readonly user: string;
  state: WtsSession['state'];
  readonly disconnectAt: number;
  readonly logoffAt: number;
  readonly logonIds: readonly string[];
  readonly tokens: { user: SimToken; dwm: SimToken; umfd: SimToken };
  /** Every token object of the user's logon session (the primary one and services' duplicates). */
  readonly userTokens: SimToken[];
  readonly pids: number[];
}

/**
 * A deterministic Windows RDS host: users log on and off, session ids are allocated lowest free first
 * (an id stays taken while any logon session refers to it), every logon creates the user's logon
 * session plus DWM-N and UMFD-N, and System, lsass, svchost instances and CtxSvcHost take token handles.
 * At logoff most handles are released (System and lsass after minutes); in a leaky profile some service
 * handles never are, so their logon sessions become zombies and pin their session ids.
 */
export class SimulatedHost {
  private readonly rng: Prng;
  private time: number;
  private nextLuid = 0x0017_a000;
  private nextTokenLuid = 0x0002_0000;
  private nextPid = 1000;
  private nextObject = 0n;
  private nextConnection = 1;
  private readonly handleCounters = new Map<number, number>();

  private readonly logons = new Map<string, LogonSession>();
  private readonly endedLogons = new Set<string>();
  /** Ended logon sessions that nothing references any more: freed at the next tick. */
  private readonly releasable = new Set<string>();
  private readonly references = new Map<string, number>();
  private readonly processes = new Map<number, SimProcess>();
  private readonly handles = new Map<string, SimHandle>();
  // Indexes, so a host that has leaked for simulated weeks still steps in constant time per event.
  private readonly handlesByToken = new Map<SimToken, Set<string>>();
  private readonly handlesByPid = new Map<number, Set<string>>();
  private readonly scheduledReleases = new Set<string>();
  private readonly sessionIdReferences = new Map<number, number>();
  private readonly sessions = new Map<number, SimSession>();

  private readonly systemPid = 4;
  private lsassPid = 0;
  private svchostPids: number[] = [];
  private ctxSvcHostPid: number | null = null;
  private userManagerPid = 0;

  constructor(
    private readonly parameters: SimulationParameters,
    seed: number,
    readonly bootTime: number,
  ) {
    this.rng = new Prng(seed);
    this.time = bootTime;
    this.boot();
  }

  get now(): number {
    return this.time;
  }

  /** Runs the simulation up to `time` (simulated epoch ms) in fixed ticks. */
  advanceTo(time: number): void {
    while (this.time + SIMULATION_TICK_MS <= time) {
      this.time += SIMULATION_TICK_MS;
      this.step();
    }
  }

  wtsSessions(): WtsSession[] {
    const out: WtsSession[] = [
      { sessionId: 0, name: 'Services', state: 'disconnected', user: null, domain: null },
      { sessionId: 1, name: 'Console', state: 'connected', user: null, domain: null },
    ];
    for (const s of this.sessions.values()) {
      out.push({ sessionId: s.sessionId, name: s.state === 'active' ? s.name : '', state: s.state, user: s.user, domain: DOMAIN });
    }
    out.push({ sessionId: 65536, name: 'RDP-Tcp', state: 'listen', user: null, domain: null });
    if (this.parameters.citrix) out.push({ sessionId: 65537, name: 'ICA-CGP', state: 'listen', user: null, domain: null });
    return out;
  }

  logonSessions(): LogonSession[] {
    return [...this.logons.values()];
  }

  processList(): ProcessInfo[] {
    return [...this.processes.values()].map(({ pid, image, sessionId, logonId, services }) => ({ pid, image, sessionId, logonId, ...(services ? { services: [...services] } : {}) }));
  }

  tokenHandles(): TokenHandle[] {
    const out: TokenHandle[] = [];
    for (const h of this.handles.values()) {
      const holder = this.processes.get(h.pid);
      if (holder?.protected) {
        out.push({ pid: h.pid, handle: h.handle, tokenId: null, objectAddress: h.token.address, logonId: null, unresolved: 'protected_process' });
      } else {
        out.push({ pid: h.pid, handle: h.handle, tokenId: h.token.tokenId, objectAddress: h.token.address, logonId: h.token.logonId, unresolved: null });
      }
    }
    return out;
  }

  // --- boot -------------------------------------------------------------------------------------

  private boot(): void {
    const { system, localService, networkService } = WELL_KNOWN_LOGON_IDS;
    this.addLogon(system, 0, 'system', 'SYSTEM', 'NT AUTHORITY', 'NTLM', 'S-1-5-18');
    this.addLogon(localService, 0, 'service', 'LOCAL SERVICE', 'NT AUTHORITY', 'Negotiate', 'S-1-5-19');
    this.addLogon(networkService, 0, 'service', 'NETWORK SERVICE', 'NT AUTHORITY', 'Negotiate', 'S-1-5-20');
    const systemToken = this.newToken(system);
    const serviceTokens = [systemToken, this.newToken(system), this.newToken(localService), this.newToken(networkService)];

    this.addProcess(this.systemPid, 'System', 0, system, true);
    for (const image of ['smss.exe', 'csrss.exe', 'wininit.exe', 'services.exe']) this.addProcess(this.allocatePid(), image, 0, system, false);
    this.lsassPid = this.allocatePid();
    this.addProcess(this.lsassPid, 'lsass.exe', 0, system, true, LSASS_SERVICES);
    this.svchostPids = SVCHOST_INSTANCES.map(({ account, services }) => {
      const pid = this.allocatePid();
      this.addProcess(pid, 'svchost.exe', 0, WELL_KNOWN_LOGON_IDS[account], false, services);
      return pid;
    });
    // The first svchost hosts the User Manager (it takes every logon's tokens); SVCHOST_INSTANCES is never empty.
    this.userManagerPid = this.svchostPids[0] as number;
    this.addProcess(this.allocatePid(), 'spoolsv.exe', 0, system, false, SPOOLER_SERVICES);
    if (this.parameters.citrix) {
      this.ctxSvcHostPid = this.allocatePid();
      this.addProcess(this.ctxSvcHostPid, 'CtxSvcHost.exe', 0, system, false, CTXSVCHOST_SERVICES);
      this.addProcess(this.allocatePid(), 'BrokerAgent.exe', 0, system, false, BROKER_AGENT_SERVICES);
    }

    // Long-lived handles services keep to service tokens: the baseline every host shows.
    for (let i = 0; i < 6; i++) this.addHandle(this.systemPid, systemToken, Infinity);
    for (let i = 0; i < 40; i++) this.addHandle(this.lsassPid, serviceTokens[i % serviceTokens.length] as SimToken, Infinity);
    for (const pid of this.svchostPids) for (let i = 0, n = this.rng.int(2, 6); i < n; i++) this.addHandle(pid, this.rng.pick(serviceTokens), Infinity);
    if (this.ctxSvcHostPid !== null) for (let i = 0; i < 4; i++) this.addHandle(this.ctxSvcHostPid, systemToken, Infinity);

    // Console session 1 waits at the logon screen with its DWM-1 and UMFD-1.
    this.startVirtualAccounts(1);
    this.addLogon(this.allocateLogonId(), 0, 'interactive', 'UMFD-0', 'Font Driver Host', 'Negotiate', 'S-1-5-96-0-0');

    // The host is in steady state when the simulation starts: the configured users are logged on.
    for (let i = 0; i < this.parameters.users; i++) {
      const remaining = this.rng.int(5 * 60_000, this.parameters.meanSessionMs * 1.5);
      this.logon(remaining);
    }
  }

  private startVirtualAccounts(sessionId: number): { dwm: SimToken; umfd: SimToken; logonIds: string[] } {
    const dwmId = this.allocateLogonId();
    const umfdId = this.allocateLogonId();
    this.addLogon(dwmId, sessionId, 'interactive', `DWM-${sessionId}`, 'Window Manager', 'Negotiate', `S-1-5-90-0-${sessionId}`);
    this.addLogon(umfdId, sessionId, 'interactive', `UMFD-${sessionId}`, 'Font Driver Host', 'Negotiate', `S-1-5-96-0-${sessionId}`);
    const dwm = this.newToken(dwmId);
    const umfd = this.newToken(umfdId);
    return { dwm, umfd, logonIds: [dwmId, umfdId] };
  }

  // --- dynamics ---------------------------------------------------------------------------------

  private step(): void {
    for (const key of this.scheduledReleases) {
      const h = this.handles.get(key);
      if (h && h.releaseAt <= this.time) this.removeHandle(key, h);
    }
    for (const s of [...this.sessions.values()]) {
      if (s.logoffAt <= this.time) this.logoff(s);
      else if (s.state === 'active' && s.disconnectAt <= this.time) s.state = 'disconnected';
    }
    const arrivalsPerTick = (this.parameters.users / this.parameters.meanSessionMs) * SIMULATION_TICK_MS;
    if (this.rng.chance(arrivalsPerTick)) this.logon(this.rng.exponential(this.parameters.meanSessionMs) + 60_000);
    for (const logonId of this.releasable) {
      if ((this.references.get(logonId) ?? 0) === 0) {
        this.endedLogons.delete(logonId);
        this.deleteLogon(logonId);
      }
    }
    this.releasable.clear();
  }

  /** Lowest free session id: not used by a WTS session and not referenced by any logon session. */
  private allocateSessionId(): number {
    let id = 2;
    while (this.sessions.has(id) || (this.sessionIdReferences.get(id) ?? 0) > 0) id += 1;
    return id;
  }

  private logon(durationMs: number): void {
    const sessionId = this.allocateSessionId();
    const user = `user${String(this.rng.int(1, 400)).padStart(3, '0')}`;
    const userLogonId = this.allocateLogonId();
    const networkLogonId = this.allocateLogonId();
    this.addLogon(userLogonId, sessionId, 'remote_interactive', user, DOMAIN, 'Kerberos', `${DOMAIN_SID}-${1100 + Number.parseInt(user.slice(4), 10)}`);
    this.addLogon(networkLogonId, 0, 'network', user, DOMAIN, 'Kerberos', `${DOMAIN_SID}-${1100 + Number.parseInt(user.slice(4), 10)}`);
    this.endLogon(networkLogonId);
    const virtual = this.startVirtualAccounts(sessionId);
    const userToken = this.newToken(userLogonId);
    const userTokens = [userToken];

    const pids: number[] = [];
    const spawn = (image: string, logonId: string) => {
      const pid = this.allocatePid();
      this.addProcess(pid, image, sessionId, logonId, false);
      pids.push(pid);
      return pid;
    };
    spawn('csrss.exe', WELL_KNOWN_LOGON_IDS.system);
    const winlogon = spawn('winlogon.exe', WELL_KNOWN_LOGON_IDS.system);
    spawn('dwm.exe', virtual.dwm.logonId);
    spawn('fontdrvhost.exe', virtual.umfd.logonId);
    const explorer = spawn('explorer.exe', userLogonId);
    for (const image of ['rdpclip.exe', 'sihost.exe', 'taskhostw.exe', 'ctfmon.exe']) spawn(image, userLogonId);
    if (this.parameters.citrix) spawn('wfshell.exe', userLogonId);
    for (let i = 0, n = this.rng.int(1, 3); i < n; i++) spawn(this.rng.pick(USER_APPS), userLogonId);

    // The holders of the reference host (docs/background.md): System x4, lsass x4, several svchost instances, CtxSvcHost.
    for (let i = 0; i < 4; i++) this.addHandle(this.systemPid, userToken, Infinity);
    for (let i = 0; i < 4; i++) this.addHandle(this.lsassPid, userToken, Infinity);
    this.addHandle(this.lsassPid, virtual.dwm, Infinity);
    this.addHandle(this.lsassPid, virtual.umfd, Infinity);
    const holders = this.rng.shuffle(this.svchostPids).slice(0, 5);
    // Some services duplicate the token (DuplicateTokenEx: a new token object of the same logon session),
    // so not every protected handle has an accessible twin on the same object.
    for (const pid of holders) this.addHandle(pid, this.rng.chance(0.4) ? this.duplicateToken(userTokens, userLogonId) : userToken, Infinity);
    if (this.ctxSvcHostPid !== null) this.addHandle(this.ctxSvcHostPid, userToken, Infinity);
    this.addHandle(this.userManagerPid, virtual.dwm, Infinity);
    this.addHandle(this.userManagerPid, virtual.umfd, Infinity);
    this.addHandle(winlogon, userToken, Infinity);
    this.addHandle(explorer, userToken, Infinity);

    const connection = this.nextConnection++;
    const name = this.parameters.citrix ? `ICA-CGP#${connection}` : `RDP-Tcp#${connection}`;
    const disconnectAt = this.rng.chance(0.3) ? this.time + durationMs * this.rng.next() : Infinity;
    this.sessions.set(sessionId, {
      sessionId,
      name,
      user,
      state: 'active',
      disconnectAt,
      logoffAt: this.time + durationMs,
      logonIds: [userLogonId, ...virtual.logonIds],
      tokens: { user: userToken, dwm: virtual.dwm, umfd: virtual.umfd },
      userTokens,
      pids,
    });
  }

  private logoff(session: SimSession): void {
    this.sessions.delete(session.sessionId);
    for (const pid of session.pids) this.removeProcess(pid);
    const p = this.parameters;
    const protectedRelease = () => this.time + this.rng.int(p.protectedReleaseMs[0], p.protectedReleaseMs[1]);
    const serviceRelease = () => this.time + this.rng.int(0, SERVICE_RELEASE_MAX_MS);

    let serviceLeaked = false;
    const userHandles = session.userTokens.flatMap((t) => this.handlesOf(t));
    for (const h of userHandles) {
      if (h.pid === this.systemPid || h.pid === this.lsassPid) continue;
      if (this.rng.chance(p.serviceLeakShare)) serviceLeaked = true;
      else this.scheduleRelease(h, serviceRelease());
    }
    // lsass keeps one handle while a service leaks (the reference host's "8 handles remained", docs/background.md), or alone.
    let lsassKeeps = serviceLeaked || this.rng.chance(p.lsassOnlyLeakShare);
    for (const h of userHandles) {
      if (h.pid === this.systemPid) this.scheduleRelease(h, protectedRelease());
      else if (h.pid === this.lsassPid) {
        if (lsassKeeps) lsassKeeps = false;
        else this.scheduleRelease(h, protectedRelease());
      }
    }
    const virtualLeaked = this.rng.chance(p.virtualAccountLeakShare);
    for (const h of [...this.handlesOf(session.tokens.dwm), ...this.handlesOf(session.tokens.umfd)]) {
      if (h.pid === this.lsassPid) this.scheduleRelease(h, protectedRelease());
      else if (!(virtualLeaked && h.token === session.tokens.dwm)) this.scheduleRelease(h, serviceRelease());
    }
    for (const logonId of session.logonIds) this.endLogon(logonId);
  }

  // --- bookkeeping ------------------------------------------------------------------------------

  private duplicateToken(tokens: SimToken[], logonId: string): SimToken {
    const token = this.newToken(logonId);
    tokens.push(token);
    return token;
  }

  private handlesOf(token: SimToken): SimHandle[] {
    return [...(this.handlesByToken.get(token) ?? [])].map((key) => this.handles.get(key) as SimHandle);
  }

  /** The holder will close this handle at `time`. */
  private scheduleRelease(h: SimHandle, time: number): void {
    h.releaseAt = time;
    this.scheduledReleases.add(`${h.pid}:${h.handle}`);
  }

  /** The user logged off: the logon session goes once nothing references it. */
  private endLogon(logonId: string): void {
    this.endedLogons.add(logonId);
    if ((this.references.get(logonId) ?? 0) === 0) this.releasable.add(logonId);
  }

  private dropReference(logonId: string): void {
    const left = (this.references.get(logonId) ?? 1) - 1;
    this.references.set(logonId, left);
    if (left === 0 && this.endedLogons.has(logonId)) this.releasable.add(logonId);
  }

  private deleteLogon(logonId: string): void {
    const logon = this.logons.get(logonId);
    if (!logon) return;
    this.logons.delete(logonId);
    this.references.delete(logonId);
    const left = (this.sessionIdReferences.get(logon.sessionId) ?? 1) - 1;
    if (left > 0) this.sessionIdReferences.set(logon.sessionId, left);
    else this.sessionIdReferences.delete(logon.sessionId);
  }

  private allocatePid(): number {
    this.nextPid += 4 * this.rng.int(1, 12);
    return this.nextPid;
  }

  private allocateLogonId(): string {
    this.nextLuid += this.rng.int(1, 0x40);
    return formatLogonId(0, this.nextLuid);
  }

  private newToken(logonId: string): SimToken {
    this.nextTokenLuid += this.rng.int(1, 8);
    this.nextObject += 1n;
    const address = `0x${(0xffff8a0c_00000000n + this.nextObject * 0x60n).toString(16)}`;
    return { tokenId: formatLogonId(0, this.nextTokenLuid), address, logonId };
  }

  private addLogon(logonId: string, sessionId: number, logonType: LogonType, user: string, domain: string, authPackage: string, sid: string): void {
    this.logons.set(logonId, { logonId, sessionId, logonType, user, domain, authPackage, logonTime: new Date(this.time).toISOString(), sid });
    this.sessionIdReferences.set(sessionId, (this.sessionIdReferences.get(sessionId) ?? 0) + 1);
  }

  private addProcess(pid: number, image: string, sessionId: number, logonId: string, isProtected: boolean, services?: readonly string[]): void {
    this.processes.set(pid, { pid, image, sessionId, logonId, protected: isProtected, ...(services ? { services: [...services] } : {}) });
    this.references.set(logonId, (this.references.get(logonId) ?? 0) + 1);
  }

  private removeProcess(pid: number): void {
    const process = this.processes.get(pid);
    if (!process || process.logonId === null) return;
    this.processes.delete(pid);
    this.dropReference(process.logonId);
    for (const key of [...(this.handlesByPid.get(pid) ?? [])]) {
      const h = this.handles.get(key);
      if (h) this.removeHandle(key, h);
    }
  }

  private addHandle(pid: number, token: SimToken, releaseAt: number): void {
    const value = (this.handleCounters.get(pid) ?? 0x100) + 4 * this.rng.int(1, 3);
    this.handleCounters.set(pid, value);
    const key = `${pid}:${value}`;
    this.handles.set(key, { pid, handle: value, token, releaseAt });
    index(this.handlesByToken, token, key);
    index(this.handlesByPid, pid, key);
    this.references.set(token.logonId, (this.references.get(token.logonId) ?? 0) + 1);
  }

  private removeHandle(key: string, h: SimHandle): void {
    this.handles.delete(key);
    this.scheduledReleases.delete(key);
    unindex(this.handlesByToken, h.token, key);
    unindex(this.handlesByPid, h.pid, key);
    this.dropReference(h.token.logonId);
  }
}

function index<K>(map: Map<K, Set<string>>, key: K, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function unindex<K>(map: Map<K, Set<string>>, key: K, value: string): void {
  const set = map.get(key);
  set?.delete(value);
  if (set?.size === 0) map.delete(key);
}
