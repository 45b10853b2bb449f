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
  type ScriptedSession,
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
  ];
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
    const zombieHandles = snap.tokenHandles!.filter((h) => h.logonId === ZOMBIE);
    expect(zombieHandles).toHaveLength(8);
    expect(new Set(zombieHandles.map((h) => h.tokenId))).toEqual(new Set([held!.tokenId]));
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
    const expected = held!.holders.map((h, i) => ({ image: h.image.toLowerCase(), pid: h.status.pid, handles: holders[i]!.handles }));
    const actual = zombie.holders.map((h) => ({ image: h.image.toLowerCase(), pid: h.pid, handles: h.handles }));
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

  it('frees every buffer once with the right function, and keeps its own handle count flat', async () => {
    await expectFlatHandleCount(run);
    const audit = run.audit();
    expect(audit.hook, audit.hookLine ?? 'no hook line').toBe('ok');
    expectAllFreed(audit);
    expect(audit.byKind['wts1']).toBeGreaterThan(0);
    expect(audit.byKind['lsa-data']).toBeGreaterThan(0);
  });
});
