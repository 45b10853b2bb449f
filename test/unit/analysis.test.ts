import { describe, expect, it } from 'vitest';
import { analyzeSnapshot, DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions, type HostAnalysis } from '../../src/analysis/analyze.js';
import { HostAnalyzer } from '../../src/analysis/host-analyzer.js';
import { EMPTY_HISTORY, type CandidateHistory } from '../../src/analysis/zombie-tracker.js';
import { snapshotSchema, type Snapshot } from '../../src/model/snapshot.js';
import { ScenarioBuilder, minutesAfter } from '../fixtures/scenario-builder.js';
import { ARTICLE_LOGON_ID, articleHost, healthyHost } from '../fixtures/scenarios.js';

const T0 = '2026-11-25T10:00:00.000Z';

/** Analyses the same host state at each of the given minutes after T0, carrying the history. */
function observe(build: (at: string) => Snapshot, minutes: number[], options: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS) {
  const analyzer = new HostAnalyzer(options);
  let analysis: HostAnalysis | undefined;
  for (const m of minutes) {
    const snapshot = build(minutesAfter(T0, m));
    expect(snapshotSchema.safeParse(snapshot).success).toBe(true);
    analysis = analyzer.analyze(snapshot);
  }
  if (!analysis) throw new Error('observe needs at least one minute');
  return analysis;
}

describe('healthy host', () => {
  const a = observe((at) => healthyHost().build(at), [0, 10, 20]);

  it('reports sessions, highest id and no zombies', () => {
    expect(a.sessions?.present).toBe(3);
    expect(a.sessions?.highestSessionId).toBe(3);
    expect(a.sessions?.byState.active).toBe(2);
    expect(a.sessions?.byState.connected).toBe(1);
    expect(a.sessions?.byState.listen).toBe(0);
    expect(a.zombies).toEqual([]);
    expect(a.pinnedSessionIds).toEqual([]);
    expect(a.pendingCandidates).toBe(0);
  });

  it('counts token handles per holder, resolving protected holders through the shared token object', () => {
    expect(a.tokens?.total).toBe(18);
    expect(a.tokens?.leaked).toBe(0);
    expect(a.tokens?.byImage.get('System')?.total).toBe(8);
    expect(a.tokens?.byImage.get('System')?.unresolved.size).toBe(0);
    expect(a.tokens?.resolvedThroughSharedObject).toBe(16);
  });
});

describe("the article's host: session 4, logon 0x17c025", () => {
  const a = observe((at) => articleHost().build(at), [0, 6]);

  it('finds the zombie and the session id it pins', () => {
    expect(a.zombies?.map((z) => z.logon.logonId)).toEqual([ARTICLE_LOGON_ID]);
    expect(a.zombies?.[0]?.reason).toBe('session_gone');
    expect(a.zombies?.[0]?.accountKind).toBe('user');
    expect(a.zombies?.[0]?.ageSeconds).toBe(360);
    expect(a.pinnedSessionIds).toEqual([4]);
    expect(a.sessions?.highestSessionId).toBe(8);
    expect(a.sessions?.present).toBe(7);
  });

  it('lists its holders as handle.exe -a 17c025 does', () => {
    const holders = a.zombies?.[0]?.holders.map((h) => [h.image, h.pid, h.handles]);
    expect(holders).toEqual([
      ['System', 4, 4],
      ['lsass.exe', 640, 4],
      ['svchost.exe', 700, 1],
      ['svchost.exe', 704, 1],
      ['svchost.exe', 708, 1],
      ['svchost.exe', 712, 1],
      ['svchost.exe', 716, 1],
      ['CtxSvcHost.exe', 800, 1],
    ]);
    expect(a.zombies?.[0]?.handleCount).toBe(14);
  });

  it('counts leaked token handles per holder image', () => {
    const leaked = Object.fromEntries([...(a.tokens?.byImage ?? [])].map(([image, c]) => [image, c.leaked]));
    expect(leaked).toMatchObject({ System: 4, 'lsass.exe': 4, 'svchost.exe': 5, 'CtxSvcHost.exe': 1 });
    expect(a.tokens?.leaked).toBe(14);
  });
});

describe('a zombie held only by a protected process', () => {
  function build(at: string, hideAddresses: boolean) {
    const b = new ScenarioBuilder().session(2, 'anna');
    b.logon('00000000:00200001', 2, 'remote_interactive', 'anna').process(1500, 'explorer.exe', 2, '00000000:00200001');
    b.logon('00000000:00200002', 3, 'remote_interactive', 'gone-user');
    b.process(900, 'svchost.exe', 0, '00000000:000003e7');
    const zombieToken = b.token('00000000:00200002');
    // lsass keeps two handles; svchost's own handle to the same token object resolves them (or not, when addresses are hidden).
    b.handle(640, zombieToken, 2, 'protected_process', hideAddresses);
    b.handle(900, zombieToken, 1, null, hideAddresses);
    const liveToken = b.token('00000000:00200001');
    b.handle(640, liveToken, 3, 'protected_process', hideAddresses);
    return b.build(at);
  }

  it('resolves lsass handles through another handle to the same token object', () => {
    const a = observe((at) => build(at, false), [0, 6]);
    expect(a.zombies?.[0]?.holders.map((h) => [h.image, h.handles])).toEqual([
      ['lsass.exe', 2],
      ['svchost.exe', 1],
    ]);
    expect(a.tokens?.byImage.get('lsass.exe')?.leaked).toBe(2);
    // Its three handles to anna's token have no resolvable twin: they stay unresolved, with the reason.
    expect(a.tokens?.byImage.get('lsass.exe')?.unresolved.get('protected_process')).toBe(3);
    expect(a.tokens?.resolvedThroughSharedObject).toBe(2);
  });

  it('keeps lsass handles unresolved with their reason when no other handle shares the object', () => {
    const b = new ScenarioBuilder();
    b.logon('00000000:00200002', 3, 'remote_interactive', 'gone-user');
    b.handle(640, b.token('00000000:00200002'), 2, 'protected_process');
    const a = observe((at) => b.build(at), [0, 6]);
    expect(a.zombies?.map((z) => z.logon.logonId)).toEqual(['00000000:00200002']);
    expect(a.zombies?.[0]?.holders).toEqual([]);
    expect(a.tokens?.byImage.get('lsass.exe')?.unresolved.get('protected_process')).toBe(2);
    expect(a.tokens?.byImage.get('lsass.exe')?.total).toBe(2);
  });

  it('never drops handles whose object address is hidden', () => {
    const a = observe((at) => build(at, true), [0, 6]);
    expect(a.tokens?.byImage.get('lsass.exe')?.unresolved.get('protected_process')).toBe(5);
    expect(a.tokens?.byImage.get('svchost.exe')?.leaked).toBe(1);
    expect(a.tokens?.total).toBe(6);
  });
});

describe('grace period', () => {
  const options = { ...DEFAULT_ANALYSIS_OPTIONS, gracePeriodMs: 5 * 60_000 };

  it('does not count a logon session orphaned for less than the grace period', () => {
    const a = observe((at) => articleHost().build(at), [0, 4], options);
    expect(a.zombies).toEqual([]);
    expect(a.pendingCandidates).toBe(1);
  });

  it('counts it once the grace period has passed, measured from first sight', () => {
    expect(observe((at) => articleHost().build(at), [0, 5], options).zombies).toHaveLength(1);
    expect(observe((at) => articleHost().build(at), [3, 5, 7], options).zombies).toHaveLength(0);
  });

  it('forgets a candidate that recovered (a logoff that completed) and starts over', () => {
    let history: CandidateHistory = EMPTY_HISTORY;
    history = analyzeSnapshot(articleHost().build(minutesAfter(T0, 0)), history, options).history;
    history = analyzeSnapshot(healthyHost().build(minutesAfter(T0, 1)), history, options).history;
    const a = analyzeSnapshot(articleHost().build(minutesAfter(T0, 6)), history, options).analysis;
    expect(a.zombies).toEqual([]);
    expect(a.pendingCandidates).toBe(1);
  });

  it('counts at once with a grace period of 0 (the report command)', () => {
    expect(observe((at) => articleHost().build(at), [0], { ...options, gracePeriodMs: 0 }).zombies).toHaveLength(1);
  });
});

describe('console session reused by another user', () => {
  function build(at: string) {
    const b = new ScenarioBuilder().session(1, 'bob', 'active');
    b.logon('00000000:00300001', 1, 'interactive', 'alice').logon('00000000:00300002', 1, 'interactive', 'bob');
    b.process(1200, 'explorer.exe', 1, '00000000:00300002');
    b.process(900, 'svchost.exe', 0, '00000000:000003e7');
    b.handle(900, b.token('00000000:00300001'), 2);
    return b.build(at);
  }

  it("counts alice's lingering logon as a zombie, not bob's; it pins nothing, since bob's live session has the id", () => {
    const a = observe(build, [0, 10]);
    expect(a.zombies?.map((z) => [z.logon.user, z.reason])).toEqual([['alice', 'session_reused']]);
    expect(a.pinnedSessionIds).toEqual([]);
    expect(a.tokens?.byImage.get('svchost.exe')?.leaked).toBe(2);
  });

  it('does not count a second logon of the same user in the same session (the elevated linked token)', () => {
    const b = new ScenarioBuilder().session(2, 'carol');
    b.logon('00000000:00400001', 2, 'remote_interactive', 'carol').logon('00000000:00400002', 2, 'remote_interactive', 'carol');
    b.process(1300, 'explorer.exe', 2, '00000000:00400001');
    expect(observe((at) => b.build(at), [0, 30]).zombies).toEqual([]);
  });
});

describe('DWM and UMFD virtual accounts', () => {
  function build(at: string) {
    const b = new ScenarioBuilder().session(2, 'anna');
    b.logon('00000000:00500001', 2, 'remote_interactive', 'anna').process(1400, 'explorer.exe', 2, '00000000:00500001');
    // Session 2 recreated: the old DWM-2 lingers next to the live one; session 3 is gone with its UMFD-3 and DWM-3.
    b.logon('00000000:00500010', 2, 'interactive', 'DWM-2', 'Window Manager');
    b.logon('00000000:00500011', 2, 'interactive', 'DWM-2', 'Window Manager').process(1401, 'dwm.exe', 2, '00000000:00500011');
    b.logon('00000000:00500012', 2, 'interactive', 'UMFD-2', 'Font Driver Host');
    b.logon('00000000:00500020', 3, 'interactive', 'UMFD-3', 'Font Driver Host');
    b.logon('00000000:00500021', 3, 'interactive', 'DWM-3', 'Window Manager');
    b.process(900, 'svchost.exe', 0, '00000000:000003e7');
    b.handle(900, b.token('00000000:00500020'), 1).handle(900, b.token('00000000:00500010'), 1);
    return b.build(at);
  }

  it('tells them apart from user logons and finds replaced and orphaned ones', () => {
    const a = observe(build, [0, 10]);
    const found = a.zombies?.map((z) => [z.logon.user, z.accountKind, z.reason]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['DWM-2', 'dwm', 'replaced'],
        ['UMFD-3', 'umfd', 'session_gone'],
        ['DWM-3', 'dwm', 'session_gone'],
      ]),
    );
    // UMFD-2 has no process but no newer UMFD-2 replaced it and session 2 exists: not a zombie.
    expect(found).toHaveLength(3);
    // Session 2 was recreated (its DWM replaced): the id is in use again, only the vanished session 3 is pinned.
    expect(a.pinnedSessionIds).toEqual([3]);
  });
});

describe('session 0', () => {
  it('never reports an interactive logon of session 0 (a service using LogonUser) as pinning a session id', () => {
    const b = new ScenarioBuilder();
    b.logon('00000000:00600001', 0, 'interactive', 'svc_app').process(900, 'w3wp.exe', 0, '00000000:000003e7');
    b.handle(900, b.token('00000000:00600001'), 3);
    const a = observe((at) => b.build(at), [0, 30]);
    expect(a.zombies).toEqual([]);
    expect(a.pinnedSessionIds).toEqual([]);
    expect(a.tokens?.byImage.get('w3wp.exe')?.total).toBe(3);
  });
});

describe('missing collectors', () => {
  it('reports no zombies at all (unknown) when processes are missing, instead of calling every logon a zombie', () => {
    const snapshot = { ...articleHost().build(), processes: null };
    const a = analyzeSnapshot(snapshot, EMPTY_HISTORY, { ...DEFAULT_ANALYSIS_OPTIONS, gracePeriodMs: 0 }).analysis;
    expect(a.zombies).toBeNull();
    expect(a.pinnedSessionIds).toBeNull();
    expect(a.sessions?.present).toBe(7);
    expect(a.tokens?.total).toBe(14);
    expect(a.tokens?.byImage.get('unknown')?.total).toBe(14);
  });

  it('only counts the configured logon types', () => {
    const a = observe((at) => articleHost().build(at), [0, 10], { gracePeriodMs: 0, zombieLogonTypes: new Set(['interactive']) });
    expect(a.zombies).toEqual([]);
  });
});

describe('who owns a session: SIDs of its processes before names', () => {
  const ALICE = 'S-1-5-21-1-2-3-1001';
  const BOB = 'S-1-5-21-1-2-3-1002';
  const withSid = (s: Snapshot, sids: Record<string, string>): Snapshot => ({
    ...s,
    logonSessions: s.logonSessions?.map((l) => ({ ...l, sid: sids[l.logonId] ?? l.sid })) ?? null,
  });

  it('never calls a live user a zombie because WTS and LSA spell the account differently (UPN, Entra, FAS)', () => {
    const build = (at: string) => {
      const b = new ScenarioBuilder().session(2, 'AzureAD\\AliceSmith', 'active', '');
      // The user's logon with processes, and her linked (elevated) logon without any: both hers by SID.
      b.logon('00000000:00400001', 2, 'remote_interactive', 'alice@contoso.com', 'AzureAD').logon('00000000:00400002', 2, 'remote_interactive', 'alice@contoso.com', 'AzureAD');
      b.process(2100, 'explorer.exe', 2, '00000000:00400001');
      return withSid(b.build(at), { '00000000:00400001': ALICE, '00000000:00400002': ALICE });
    };
    const a = observe(build, [0, 10]);
    expect(a.zombies).toEqual([]);
    expect(a.pendingCandidates).toBe(0);
  });

  it('finds the previous user by SID when another user now runs in the session, whatever the names say', () => {
    const build = (at: string) => {
      const b = new ScenarioBuilder().session(2, 'alice', 'active');
      b.logon('00000000:00400001', 2, 'remote_interactive', 'alice').logon('00000000:00400003', 2, 'remote_interactive', 'alice');
      b.process(2100, 'explorer.exe', 2, '00000000:00400001');
      // The WTS name says alice, but the lingering logon belongs to bob's SID (a renamed account).
      return withSid(b.build(at), { '00000000:00400001': ALICE, '00000000:00400003': BOB });
    };
    expect(observe(build, [0, 10]).zombies?.map((z) => [z.logon.logonId, z.reason])).toEqual([['00000000:00400003', 'session_reused']]);
  });

  it('without WTS user names (the fallback enumeration) live sessions never become zombies', () => {
    const build = (at: string) => {
      const b = new ScenarioBuilder().session(2, null, 'active').session(3, null, 'active').session(4, null, 'disconnected');
      b.logon('00000000:00500001', 2, 'remote_interactive', 'alice').logon('00000000:00500002', 2, 'remote_interactive', 'alice');
      b.logon('00000000:00500003', 3, 'remote_interactive', 'bob').logon('00000000:00500004', 3, 'remote_interactive', 'carol');
      b.logon('00000000:00500005', 4, 'remote_interactive', 'dave');
      b.process(2100, 'explorer.exe', 2, '00000000:00500001').process(3100, 'explorer.exe', 3, '00000000:00500003');
      const s = withSid(b.build(at), {
        '00000000:00500001': ALICE,
        '00000000:00500002': ALICE,
        '00000000:00500003': BOB,
        '00000000:00500004': 'S-1-5-21-1-2-3-1003',
        '00000000:00500005': 'S-1-5-21-1-2-3-1004',
      });
      return { ...s, wtsUserNamesKnown: false };
    };
    const a = observe(build, [0, 10]);
    // alice's linked logon: hers by SID. carol's logon in bob's session: bob's processes prove it is not hers.
    // dave in session 4: no process tells, and no name either: unknown, so not a zombie.
    expect(a.zombies?.map((z) => [z.logon.user, z.reason])).toEqual([['carol', 'session_reused']]);
  });
});

describe('token handles of logon sessions LSA does not describe', () => {
  it('are counted per holder with the number of such logon sessions, not dropped; SYSTEM is known', () => {
    const b = articleHost();
    b.handle(700, { logonId: '00000000:00abcdef', tokenId: '00000000:00777777', address: null }, 3);
    b.handle(700, b.token('00000000:000003e7'), 2);
    const a = observe((at) => b.build(at), [0, 10]);
    expect(a.tokens?.undescribedLogonIds).toBe(1);
    expect(a.tokens?.byImage.get('svchost.exe')?.undescribed).toBe(3);
    expect(a.zombies?.map((z) => z.logon.logonId)).toEqual(['00000000:0017c025']);
  });

  it('are unknown (null) when the LSA collector failed', () => {
    const a = observe((at) => ({ ...articleHost().build(at), logonSessions: null }), [0]);
    expect(a.tokens?.undescribedLogonIds).toBeNull();
  });
});
