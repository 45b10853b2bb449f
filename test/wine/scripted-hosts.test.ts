/**
 * The real `--source windows` agent (Windows Node under Wine) against scripted RDS hosts: replacement
 * wtsapi32/secur32 DLLs (test/wine/fakes) serve the WTS sessions and LSA logon sessions; the handle
 * table, DuplicateHandle, TokenIds and structure layouts are Wine's real answers; only the logon id of
 * listed tokens is scripted (docs/windows-verification.md). Every scenario also checks, through the
 * DLLs' allocation log, that each buffer handed out was freed exactly once with the right function, and
 * that the agent's own handle count does not rise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFakes, setupWine, stopWine, type FakeBuild, type WineEnv } from '../../bench/wine-harness.js';
import {
  LOGON,
  RPC_S_CALL_FAILED_DNE,
  STATUS_ACCESS_DENIED,
  STATUS_NO_SUCH_LOGON_SESSION,
  ScriptedHostRun,
  WTS,
  holdExitedUserToken,
  settledHandleCounts,
  type AllocationAudit,
  type HeldToken,
  type ScriptedLogon,
  type ReportJson,
  type ScriptedSession,
  type SnapshotJson,
} from './scripted-host.js';

let wine: WineEnv;
let fakes: FakeBuild;
let dir: string;

beforeAll(() => {
  wine = setupWine();
  fakes = buildFakes();
  dir = mkdtempSync(join(tmpdir(), 'rdsleak-scripted-'));
});

afterAll(() => {
  if (wine) stopWine(wine);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// --- the article's host (seed-article.txt) ---------------------------------------------------------------

const DOMAIN_SID = 'S-1-5-21-2684510436-795239710-1557501712';
const ZOMBIE = '00000000:0017c025';
const NETWORK_SERVICE = '00000000:000003e4';

/** Well-known logon sessions every Windows host has; other tokens report NETWORK SERVICE (see defaultTokenLogon). */
const WELL_KNOWN_LOGONS: ScriptedLogon[] = [
  { id: '00000000:000003e7', type: LOGON.system, session: 0, nullData: true },
  { id: NETWORK_SERVICE, type: LOGON.service, session: 0, user: 'NETWORK SERVICE', domain: 'NT AUTHORITY', package: 'Negotiate', sid: 'S-1-5-20', time: '2017-04-05T22:10:00Z' },
  { id: '00000000:000003e5', type: LOGON.service, session: 0, user: 'LOCAL SERVICE', domain: 'NT AUTHORITY', package: 'Negotiate', sid: 'S-1-5-19', time: '2017-04-05T22:10:00Z' },
];

const SERVICES_AND_CONSOLE: ScriptedSession[] = [
  { id: 0, state: WTS.disconnected, name: 'Services' },
  { id: 1, state: WTS.connected, name: 'Console' },
];

/** Every buffer the fakes handed out was freed exactly once, by the right function. */
function expectAllFreed(audit: AllocationAudit): void {
  expect(audit.errors, 'data file errors').toEqual([]);
  expect(audit.allocations, 'the fakes were never called: were the replacement DLLs loaded?').toBeGreaterThan(0);
  expect(audit.unfreed, 'allocations never freed').toEqual([]);
  expect(audit.badFrees, 'double or foreign frees').toEqual([]);
  expect(audit.wrongFree, 'frees with the wrong function').toEqual([]);
  expect(audit.frees).toBe(audit.allocations);
}

async function expectFlatHandleCount(run: ScriptedHostRun, collections = 8): Promise<void> {
  const report = await run.diagnose(collections);
  expect(report.error).toBeNull();
  expect(report.valid, report.validationErrors.join('\n')).toBe(true);
  const settled = settledHandleCounts(report);
  expect(settled.length, JSON.stringify(report.ownHandleCounts)).toBe(collections - 3);
  expect(Math.max(...settled) - Math.min(...settled), JSON.stringify(report.ownHandleCounts)).toBeLessThanOrEqual(2);
}

describe('scenario 1: the article\'s host (zombie 0017c025 of HK\\test01 pinning session 4)', () => {
  const holders = [
    { image: 'svchost.exe', handles: 2 },
    { image: 'svchost.exe', handles: 2 },
    { image: 'svchost.exe', handles: 1 },
    { image: 'svchost.exe', handles: 1 },
    { image: 'svchost.exe', handles: 1 },
    { image: 'CtxSvcHost.exe', handles: 1 },
    // The article's lsass.exe held 4 more: the agent must not open lsass by default (their logon id stays unknown).
    { image: 'lsass.exe', handles: 4 },
  ];
  const isLsass = (image: string) => image.toLowerCase() === 'lsass.exe';
  let lsassHandles: SnapshotJson['tokenHandles'] & object = [];
  let held: HeldToken | undefined;
  let run: ScriptedHostRun;

  beforeAll(async () => {
    held = await holdExitedUserToken(wine, dir, holders, 'article');
    run = new ScriptedHostRun(wine, fakes, dir, 'article');
    run.write({
      sessions: [
        ...SERVICES_AND_CONSOLE,
        { id: 3, state: WTS.active, name: 'RDP-Tcp#1', user: 'Helge', domain: 'HK' },
        { id: 6, state: WTS.active, name: 'ICA-CGP#4', user: 'test01', domain: 'HK' },
        { id: 65536, state: WTS.listen, name: 'RDP-Tcp' },
        { id: 65537, state: WTS.listen, name: 'ICA-CGP' },
      ],
      logons: [
        ...WELL_KNOWN_LOGONS,
        { id: '00000000:000fd2f5', type: LOGON.remoteInteractive, session: 3, user: 'Helge', domain: 'HK', package: 'Negotiate', sid: `${DOMAIN_SID}-1104`, time: '2017-04-06T01:16:36Z' },
        { id: ZOMBIE, type: LOGON.remoteInteractive, session: 4, user: 'test01', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-16601`, time: '2017-04-06T01:17:38Z' },
        // test01 logged on again and got session 6: a live logon of the same user must not hide the zombie in 4.
        { id: '00000000:002a4f11', type: LOGON.remoteInteractive, session: 6, user: 'test01', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-16601`, time: '2017-04-06T02:40:00Z' },
      ],
      tokens: [{ id: held.tokenId, logon: ZOMBIE }],
      defaultTokenLogon: NETWORK_SERVICE,
    });
  });

  afterAll(async () => {
    await held?.stop();
  });

  it('decodes the WTS sessions, the logon session and the held token handles in `snapshot`', async () => {
    const snap = await run.snapshot();
    expect(snap.collectors.every((c) => c.success), JSON.stringify(snap.collectors)).toBe(true);
    expect(snap.wtsSessions).toEqual(
      expect.arrayContaining([
        { sessionId: 3, name: 'RDP-Tcp#1', state: 'active', user: 'Helge', domain: 'HK' },
        { sessionId: 6, name: 'ICA-CGP#4', state: 'active', user: 'test01', domain: 'HK' },
        { sessionId: 65536, name: 'RDP-Tcp', state: 'listen', user: null, domain: null },
      ]),
    );
    expect(snap.logonSessions!.find((l) => l.logonId === ZOMBIE)).toEqual({
      logonId: ZOMBIE,
      sessionId: 4,
      logonType: 'remote_interactive',
      user: 'test01',
      domain: 'HK',
      authPackage: 'Kerberos',
      logonTime: '2017-04-06T01:17:38.000Z',
      sid: `${DOMAIN_SID}-16601`,
    });
    const lsassPid = held!.holders.find((h) => isLsass(h.image))!.status.pid;
    const zombieHandles = snap.tokenHandles!.filter((h) => h.logonId === ZOMBIE && h.pid !== lsassPid);
    expect(zombieHandles).toHaveLength(8);
    expect(new Set(zombieHandles.map((h) => h.tokenId))).toEqual(new Set([held!.tokenId]));
    lsassHandles = snap.tokenHandles!.filter((h) => h.pid === lsassPid);
    expect(lsassHandles).toHaveLength(4);
    expect(snap.issues.find((i) => i.kind === 'session_no_data')?.count).toBe(1); // 0x3e7: NULL data, as on Windows
  });

  it('reports one zombie pinning session 4, naming each holder with its pid and handle count', async () => {
    const { code, report } = await run.report();
    expect(code).toBe(1); // zombies found
    expect(report.sessions?.highestSessionId).toBe(6);
    expect(report.zombies!.map((z) => z.logonId)).toEqual([ZOMBIE]);
    expect(report.pinnedSessionIds).toEqual([4]);
    const zombie = report.zombies![0]!;
    expect({ user: zombie.user, domain: zombie.domain, sessionId: zombie.sessionId }).toEqual({ user: 'test01', domain: 'HK', sessionId: 4 });
    const expected = held!.holders.map((h, i) => ({ image: h.image.toLowerCase(), pid: h.status.pid, handles: holders[i]!.handles })).filter((h) => !isLsass(h.image));
    const actual = zombie.holders.map((h) => ({ image: h.image.toLowerCase(), pid: h.pid, handles: h.handles })).filter((h) => !isLsass(h.image));
    expect(actual.sort((a, b) => a.pid - b.pid)).toEqual(expected.sort((a, b) => a.pid - b.pid));

    const text = await run.textReport();
    for (const h of expected) expect(text).toMatch(new RegExp(`${h.image.replace('.', '\\.')}\\s+${h.pid}\\s+${h.handles}\\b`, 'i'));
  });

  it('exports the zombie, the pinned session ID and the leaked handles per holder image on /metrics', async () => {
    const m = await run.metrics();
    expect(m.value('rdsleak_session_id_highest')).toBe(6);
    expect(m.value('rdsleak_zombie_session_ids')).toBe(1);
    expect(m.series('rdsleak_zombie_logon_session_info').map((s) => [s.labels.logon_id, s.labels.session_id])).toEqual([[ZOMBIE, '4']]);
    expect(m.value('rdsleak_leaked_token_handles', { process: 'svchost' })).toBe(7);
    expect(m.value('rdsleak_leaked_token_handles', { process: 'CtxSvcHost' })).toBe(1);
    expect(m.value('rdsleak_collector_success', { collector: 'lsa' })).toBe(1);
  });

  it('does not open lsass.exe by default: its handles stay unresolved, reason skipped', () => {
    expect(lsassHandles.map((h) => [h.logonId, h.unresolved])).toEqual(Array.from({ length: 4 }, () => [null, 'skipped']));
  });

  it('frees every buffer once with the right function, and keeps its own handle count flat', async () => {
    await expectFlatHandleCount(run);
    const audit = run.audit();
    expect(audit.hook, audit.hookLine ?? 'no hook line').toBe('ok');
    expectAllFreed(audit);
    expect(audit.byKind['wts1']).toBeGreaterThan(0);
    expect(audit.byKind['lsa-data']).toBeGreaterThan(0);
  });
});

describe('the token hook fails loudly', () => {
  it('makes LsaEnumerateLogonSessions fail while a host that lists tokens is served without the hook', async () => {
    const run = new ScriptedHostRun(wine, fakes, dir, 'no-hook');
    run.extraEnv = { RDSLEAK_FAKE_HOOK_DISABLE: '1' };
    run.write({ sessions: SERVICES_AND_CONSOLE, logons: WELL_KNOWN_LOGONS, tokens: [{ id: '00000000:00000001', logon: NETWORK_SERVICE }] });
    const report = await run.diagnose(1);
    expect(report.error).toBeNull();
    const lsa = report.snapshot!.collectors.find((c) => c.name === 'lsa');
    expect(lsa?.success).toBe(false);
    expect(lsa?.error).toMatch(/0xc00000e5/i); // STATUS_INTERNAL_ERROR
    const audit = run.audit();
    expect(audit.hook).toBe('failed');
    expect(audit.calls).toContain('call LsaEnumerateLogonSessions fails: token hook not installed');
    expectAllFreed(audit);
  });
});

// --- scenario 2 ------------------------------------------------------------------------------------------

describe('scenario 2: Citrix ICA sessions, listeners from 65536, disconnected sessions with empty names', () => {
  let run: ScriptedHostRun;
  const CAROL = '00000000:0031a001';
  let report: ReportJson;
  const FRANK = '00000000:0031a002';

  beforeAll(() => {
    run = new ScriptedHostRun(wine, fakes, dir, 'citrix');
    run.write({
      sessions: [
        ...SERVICES_AND_CONSOLE,
        { id: 2, state: WTS.active, name: 'ICA-CGP#1', user: 'alice', domain: 'HK', host: 'XA-01', farm: 'HKFarm' },
        // Disconnected sessions lose their WinStation name; the user stays.
        { id: 3, state: WTS.disconnected, name: '', user: 'bob', domain: 'HK', host: 'XA-01', farm: 'HKFarm' },
        { id: 7, state: WTS.disconnected, name: '' },
        { id: 65536, state: WTS.listen, name: 'RDP-Tcp' },
        { id: 65537, state: WTS.listen, name: 'ICA-CGP' },
        { id: 65538, state: WTS.listen, name: 'ICA-TCP' },
      ],
      logons: [
        ...WELL_KNOWN_LOGONS,
        { id: '00000000:00300002', type: LOGON.remoteInteractive, session: 2, user: 'alice', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-2001`, time: '2024-01-10T08:00:00Z' },
        { id: '00000000:00300003', type: LOGON.remoteInteractive, session: 3, user: 'bob', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-2002`, time: '2024-01-10T08:05:00Z' },
        // carol logged off from session 5, which is gone; frank's session 3 now belongs to bob.
        { id: CAROL, type: LOGON.remoteInteractive, session: 5, user: 'carol', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-2003`, time: '2024-01-09T08:00:00Z' },
        { id: FRANK, type: LOGON.remoteInteractive, session: 3, user: 'frank', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-2004`, time: '2024-01-08T08:00:00Z' },
      ],
      defaultTokenLogon: NETWORK_SERVICE,
    });
  });

  it('decodes ICA sessions, listeners and empty names; the listeners do not count as the highest session ID', async () => {
    const report = await run.diagnose(6);
    expect(report.error).toBeNull();
    const snap = report.snapshot!;
    expect(snap.wtsSessions).toEqual(
      expect.arrayContaining([
        { sessionId: 2, name: 'ICA-CGP#1', state: 'active', user: 'alice', domain: 'HK' },
        { sessionId: 3, name: '', state: 'disconnected', user: 'bob', domain: 'HK' },
        { sessionId: 7, name: '', state: 'disconnected', user: null, domain: null },
        { sessionId: 65538, name: 'ICA-TCP', state: 'listen', user: null, domain: null },
      ]),
    );
    const settled = settledHandleCounts(report);
    expect(Math.max(...settled) - Math.min(...settled), JSON.stringify(report.ownHandleCounts)).toBeLessThanOrEqual(2);

    const m = await run.metrics();
    expect(m.value('rdsleak_session_id_highest')).toBe(7);
    expect(m.value('rdsleak_sessions', { state: 'disconnected' })).toBe(2);
    expect(m.value('rdsleak_sessions', { state: 'active' })).toBe(1);
    expect(m.series('rdsleak_zombie_logon_session_info').map((s) => s.labels.logon_id).sort()).toEqual([CAROL, FRANK]);
  });

  it('reports carol (session gone) and frank (session reused) as zombies', async () => {
    ({ report } = await run.report());
    const reasons = Object.fromEntries(report.zombies!.map((z) => [z.logonId, z.reason]));
    expect(reasons).toEqual({ [CAROL]: 'session_gone', [FRANK]: 'session_reused' });
    expectAllFreed(run.audit());
  });

  it('pins only session 5: session 3 is in use by bob, so frank\'s zombie does not pin it', () => {
    expect(report.pinnedSessionIds).toEqual([5]);
  });
});

// --- scenario 3 ------------------------------------------------------------------------------------------

describe('scenario 3: WTSEnumerateSessionsExW fails, the agent falls back to WTSEnumerateSessionsW', () => {
  let run: ScriptedHostRun;
  const CAROL = '00000000:0041a001';
  let report: ReportJson;

  beforeAll(() => {
    run = new ScriptedHostRun(wine, fakes, dir, 'fallback');
    run.write({
      wtsExError: RPC_S_CALL_FAILED_DNE,
      sessions: [
        ...SERVICES_AND_CONSOLE,
        { id: 2, state: WTS.active, name: 'RDP-Tcp#3', user: 'alice', domain: 'HK' },
        { id: 3, state: WTS.active, name: 'RDP-Tcp#7', user: 'Helge', domain: 'HK' },
        { id: 65536, state: WTS.listen, name: 'RDP-Tcp' },
      ],
      logons: [
        ...WELL_KNOWN_LOGONS,
        { id: '00000000:00400002', type: LOGON.remoteInteractive, session: 2, user: 'alice', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-2001`, time: '2024-01-10T08:00:00Z' },
        { id: '00000000:00400003', type: LOGON.remoteInteractive, session: 3, user: 'Helge', domain: 'HK', package: 'Negotiate', sid: `${DOMAIN_SID}-1104`, time: '2024-01-10T08:05:00Z' },
        { id: CAROL, type: LOGON.remoteInteractive, session: 5, user: 'carol', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-2003`, time: '2024-01-09T08:00:00Z' },
      ],
      defaultTokenLogon: NETWORK_SERVICE,
    });
  });

  it('decodes the legacy list (names, no users) and frees it with WTSFreeMemory', async () => {
    const report = await run.diagnose(6);
    expect(report.error).toBeNull();
    const snap = report.snapshot!;
    expect(snap.collectors.find((c) => c.name === 'wts')?.success).toBe(true);
    expect(snap.wtsSessions).toEqual(
      expect.arrayContaining([
        { sessionId: 2, name: 'RDP-Tcp#3', state: 'active', user: null, domain: null },
        { sessionId: 3, name: 'RDP-Tcp#7', state: 'active', user: null, domain: null },
      ]),
    );
    const settled = settledHandleCounts(report);
    expect(Math.max(...settled) - Math.min(...settled), JSON.stringify(report.ownHandleCounts)).toBeLessThanOrEqual(2);
    const audit = run.audit();
    expect(audit.calls.filter((c) => c.startsWith('call WTSEnumerateSessionsExW fails'))).toHaveLength(6);
    expect(audit.byKind['wts']).toBe(6);
    expect(audit.byKind['wts1']).toBeUndefined();
    expectAllFreed(audit);
  });

  it('still finds carol, whose session is gone, from the name-less list', async () => {
    ({ report } = await run.report());
    expect(report.zombies!.map((z) => z.logonId)).toContain(CAROL);
  });

  it('does not report the live users of sessions 2 and 3 as zombies (only carol, whose session is gone)', () => {
    expect(report.zombies!.map((z) => z.logonId)).toEqual([CAROL]);
  });
});

// --- scenario 4 ------------------------------------------------------------------------------------------

describe('scenario 4: LSA errors are counted as issues, never fatal, and every buffer is freed', () => {
  let run: ScriptedHostRun;
  let held: HeldToken | undefined;
  const DAVE = '00000000:0051a004';
  const VANISHED = '00000000:0051a001';

  beforeAll(async () => {
    // Real token handles of a logon session that LSA fails to describe: counted, never dropped.
    held = await holdExitedUserToken(wine, dir, [{ image: 'svchost.exe', handles: 3 }], 'lsa-errors-holder');
    run = new ScriptedHostRun(wine, fakes, dir, 'lsa-errors');
    run.write({
      sessions: [...SERVICES_AND_CONSOLE, { id: 2, state: WTS.active, name: 'RDP-Tcp#0', user: 'dave', domain: 'HK' }],
      logons: [
        ...WELL_KNOWN_LOGONS,
        { id: VANISHED, type: LOGON.remoteInteractive, session: 4, status: STATUS_NO_SUCH_LOGON_SESSION }, // vanished after enumeration
        { id: '00000000:0051a002', type: LOGON.network, session: 0, status: STATUS_ACCESS_DENIED },
        { id: '00000000:0051a003', type: LOGON.remoteInteractive, session: 2, user: 'short', domain: 'HK', package: 'Kerberos', size: 0x50 },
        // Strings without a terminating NUL, garbage after Length: decoded by Length.
        { id: DAVE, type: LOGON.remoteInteractive, session: 2, user: 'dave', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-2005`, time: '2024-01-10T08:00:00Z', unterminated: true },
      ],
      tokens: [{ id: held.tokenId, logon: VANISHED }],
      defaultTokenLogon: NETWORK_SERVICE,
    });
  });

  afterAll(async () => {
    await held?.stop();
  });

  it('skips and counts vanished, denied, NULL and truncated logon sessions; decodes unterminated strings by Length', async () => {
    const report = await run.diagnose(6);
    expect(report.error).toBeNull();
    const snap = report.snapshot!;
    expect(snap.collectors.every((c) => c.success), JSON.stringify(snap.collectors)).toBe(true);
    expect(snap.logonSessions!.map((l) => l.logonId).sort()).toEqual(['00000000:000003e4', '00000000:000003e5', DAVE]);
    expect(snap.logonSessions!.find((l) => l.logonId === DAVE)).toMatchObject({ user: 'dave', domain: 'HK', authPackage: 'Kerberos', sid: `${DOMAIN_SID}-2005` });
    const issues = Object.fromEntries(snap.issues.filter((i) => i.collector === 'lsa').map((i) => [i.kind, i.count]));
    expect(issues).toEqual({ session_vanished: 1, session_denied: 1, session_no_data: 1, session_decode_failed: 1 });
    const settled = settledHandleCounts(report);
    expect(Math.max(...settled) - Math.min(...settled), JSON.stringify(report.ownHandleCounts)).toBeLessThanOrEqual(2);
    const audit = run.audit();
    expectAllFreed(audit);
    // The LUID array every collection; the data of 0x3e4, 0x3e5, the truncated one and dave in the first,
    // then (cached across scans) only the truncated one again, which never decodes and so is never cached.
    expect(audit.byKind['lsa-luids']).toBe(6);
    expect(audit.byKind['lsa-data']).toBe(4 + 5 * 1);
  });

  it('exports the issues on /metrics and keeps the lsa collector up', async () => {
    const m = await run.metrics();
    expect(m.value('rdsleak_collector_success', { collector: 'lsa' })).toBe(1);
    expect(m.value('rdsleak_collection_issues', { collector: 'lsa', kind: 'session_vanished' })).toBe(1);
    expect(m.value('rdsleak_collection_issues', { collector: 'lsa', kind: 'session_decode_failed' })).toBe(1);
  });

  it('counts the token handles of the logon session LSA could not describe, per holder, instead of dropping them', async () => {
    const m = await run.metrics();
    expect(m.value('rdsleak_unknown_logon_sessions')).toBe(1);
    expect(m.value('rdsleak_token_handles_unknown_logon_session', { process: 'svchost' })).toBe(3);
    expect(m.sum('rdsleak_zombie_logon_sessions')).toBe(0);
  });

  it('survives LsaEnumerateLogonSessions itself failing: the lsa collector fails, the others still run', async () => {
    const denied = new ScriptedHostRun(wine, fakes, dir, 'lsa-denied');
    denied.write({ lsaEnumStatus: STATUS_ACCESS_DENIED, sessions: SERVICES_AND_CONSOLE, logons: WELL_KNOWN_LOGONS, defaultTokenLogon: NETWORK_SERVICE });
    const report = await denied.diagnose(2);
    expect(report.error).toBeNull();
    const collectors = Object.fromEntries(report.snapshot!.collectors.map((c) => [c.name, c.success]));
    expect(collectors).toMatchObject({ lsa: false, wts: true, processes: true, handles: true, tokens: true });
    expect(report.snapshot!.collectors.find((c) => c.name === 'lsa')?.error).toMatch(/0xc0000022/i);
    const audit = denied.audit();
    expect(audit.byKind['lsa-luids']).toBeUndefined();
    expectAllFreed(audit);
  });
});

// --- scenario 5 ------------------------------------------------------------------------------------------

describe('scenario 5: DWM-N and UMFD-N virtual accounts of live and of recycled sessions', () => {
  let run: ScriptedHostRun;
  const tools: { stop(): Promise<void> }[] = [];
  let report: ReportJson;
  const ids = {
    dwm2: '00000000:00600021',
    umfd2: '00000000:00600022',
    dwm4old: '00000000:00600041',
    umfd4old: '00000000:00600042',
    dwm4: '00000000:00600043',
    umfd4: '00000000:00600044',
    dwm5: '00000000:00600051',
  };

  function virtual(id: string, kind: 'DWM' | 'UMFD', session: number, time: string): ScriptedLogon {
    return kind === 'DWM'
      ? { id, type: LOGON.interactive, session, user: `DWM-${session}`, domain: 'Window Manager', package: 'Negotiate', sid: `S-1-5-90-0-${session}`, time }
      : { id, type: LOGON.interactive, session, user: `UMFD-${session}`, domain: 'Font Driver Host', package: 'Negotiate', sid: `S-1-5-96-0-${session}`, time };
  }

  beforeAll(async () => {
    // dwm.exe and fontdrvhost.exe of the live sessions 2 and 4: real processes whose primary tokens get the virtual logon ids.
    const { nodeCopy, startLeakTool } = await import('../../bench/wine-harness.js');
    const specs = [
      { image: 'dwm.exe', logon: ids.dwm2 },
      { image: 'fontdrvhost.exe', logon: ids.umfd2 },
      { image: 'dwm.exe', logon: ids.dwm4 },
      { image: 'fontdrvhost.exe', logon: ids.umfd4 },
    ];
    const started = await Promise.all(
      specs.map(async (s, i) => {
        const tool = await startLeakTool(wine, 1, dir, { exe: nodeCopy(wine, s.image.replace('.exe', ''), s.image), name: `virtual-${i}` });
        tools.push(tool);
        return { id: tool.status.tokenId!, logon: s.logon };
      }),
    );
    run = new ScriptedHostRun(wine, fakes, dir, 'virtual');
    run.write({
      sessions: [
        ...SERVICES_AND_CONSOLE,
        { id: 2, state: WTS.active, name: 'RDP-Tcp#1', user: 'alice', domain: 'HK' },
        { id: 4, state: WTS.active, name: 'RDP-Tcp#9', user: 'bob', domain: 'HK' },
        { id: 65536, state: WTS.listen, name: 'RDP-Tcp' },
      ],
      logons: [
        ...WELL_KNOWN_LOGONS,
        { id: '00000000:00600002', type: LOGON.remoteInteractive, session: 2, user: 'alice', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-2001`, time: '2024-01-10T08:00:00Z' },
        { id: '00000000:00600004', type: LOGON.remoteInteractive, session: 4, user: 'bob', domain: 'HK', package: 'Kerberos', sid: `${DOMAIN_SID}-2002`, time: '2024-01-10T09:00:00Z' },
        virtual(ids.dwm2, 'DWM', 2, '2024-01-10T08:00:00Z'),
        virtual(ids.umfd2, 'UMFD', 2, '2024-01-10T08:00:00Z'),
        // session 4 was recycled: the first session's virtual accounts linger next to the new ones
        virtual(ids.dwm4old, 'DWM', 4, '2024-01-09T07:00:00Z'),
        virtual(ids.umfd4old, 'UMFD', 4, '2024-01-09T07:00:00Z'),
        virtual(ids.dwm4, 'DWM', 4, '2024-01-10T09:00:00Z'),
        virtual(ids.umfd4, 'UMFD', 4, '2024-01-10T09:00:00Z'),
        // session 5 is gone, its DWM account lingers
        virtual(ids.dwm5, 'DWM', 5, '2024-01-09T06:00:00Z'),
      ],
      tokens: started,
      defaultTokenLogon: NETWORK_SERVICE,
    });
  });

  afterAll(async () => {
    await Promise.all(tools.map((t) => t.stop()));
  });

  it('sees dwm.exe and fontdrvhost.exe in their virtual logon sessions and reports the lingering accounts', async () => {
    ({ report } = await run.report());
    expect(report.collectors.every((c) => c.success), JSON.stringify(report.collectors)).toBe(true);
    const zombies = Object.fromEntries(report.zombies!.map((z) => [z.logonId, `${z.accountKind} ${z.reason}`]));
    expect(zombies).toEqual({ [ids.dwm4old]: 'dwm replaced', [ids.umfd4old]: 'umfd replaced', [ids.dwm5]: 'dwm session_gone' });

    const m = await run.metrics();
    const info = m.series('rdsleak_zombie_logon_session_info').map((s) => `${s.labels.logon_id} ${s.labels.account_kind}`).sort();
    expect(info).toEqual([`${ids.dwm4old} dwm`, `${ids.umfd4old} umfd`, `${ids.dwm5} dwm`].sort());
  });

  it('frees every buffer and keeps its own handle count flat', async () => {
    const report = await run.diagnose(6);
    const processes = report.snapshot!.processes!;
    expect(processes.filter((p) => p.image === 'dwm.exe').map((p) => p.logonId).sort()).toEqual([ids.dwm2, ids.dwm4]);
    expect(processes.filter((p) => p.image === 'fontdrvhost.exe').map((p) => p.logonId).sort()).toEqual([ids.umfd2, ids.umfd4]);
    const settled = settledHandleCounts(report);
    expect(Math.max(...settled) - Math.min(...settled), JSON.stringify(report.ownHandleCounts)).toBeLessThanOrEqual(2);
    const audit = run.audit();
    expect(audit.hook).toBe('ok');
    expectAllFreed(audit);
  });

  it('pins only session 5: session 4 is live again (bob), its lingering virtual accounts do not pin it', () => {
    expect(report.pinnedSessionIds).toEqual([5]);
  });
});
