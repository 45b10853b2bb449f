import { describe, expect, it } from 'vitest';
import { analyzeSnapshot, DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyze.js';
import { EMPTY_HISTORY, type CandidateHistory } from '../../src/analysis/zombie-tracker.js';
import { snapshotSchema } from '../../src/model/snapshot.js';
import { profileParameters } from '../../src/sources/simulate/profiles.js';
import { SimulatedHost } from '../../src/sources/simulate/simulated-host.js';
import { simulationConfig } from '../../src/sources/simulate/profiles.js';
import { SimulateSource, simulatedSnapshot } from '../../src/sources/simulate/simulate-source.js';

const BOOT = Date.parse('2026-11-25T00:00:00.000Z');
const MINUTE = 60_000;

function run(profile: 'healthy' | 'leaky', seed: number, minutes: number, everyMinutes = 1) {
  const host = new SimulatedHost(profileParameters(profile), seed, BOOT);
  let history: CandidateHistory = EMPTY_HISTORY;
  const samples = [];
  for (let m = 0; m <= minutes; m += everyMinutes) {
    host.advanceTo(BOOT + m * MINUTE);
    const { analysis, history: next } = analyzeSnapshot(simulatedSnapshot(host, 'sim', 'simulate:test'), history, DEFAULT_ANALYSIS_OPTIONS);
    history = next;
    samples.push({ minute: m, zombies: analysis.zombies?.length ?? -1, highest: analysis.sessions?.highestSessionId ?? -1, present: analysis.sessions?.present ?? -1, leaked: analysis.tokens?.leaked ?? -1 });
  }
  return { host, samples };
}

describe('simulated host', () => {
  it('is deterministic: the same seed gives the same snapshots, however often it is sampled', () => {
    const a = new SimulatedHost(profileParameters('leaky'), 42, BOOT);
    const b = new SimulatedHost(profileParameters('leaky'), 42, BOOT);
    for (let m = 0; m <= 240; m += 1) a.advanceTo(BOOT + m * MINUTE);
    b.advanceTo(BOOT + 240 * MINUTE);
    expect(simulatedSnapshot(a, 'h', 's')).toEqual(simulatedSnapshot(b, 'h', 's'));
  });

  it('differs with another seed', () => {
    const a = new SimulatedHost(profileParameters('leaky'), 1, BOOT);
    const b = new SimulatedHost(profileParameters('leaky'), 2, BOOT);
    a.advanceTo(BOOT + 60 * MINUTE);
    b.advanceTo(BOOT + 60 * MINUTE);
    expect(simulatedSnapshot(a, 'h', 's')).not.toEqual(simulatedSnapshot(b, 'h', 's'));
  });

  it('produces valid snapshots with the real set of logon sessions per user session', () => {
    const host = new SimulatedHost(profileParameters('leaky'), 3, BOOT);
    host.advanceTo(BOOT + 90 * MINUTE);
    const snapshot = simulatedSnapshot(host, 'h', 's');
    expect(snapshotSchema.safeParse(snapshot).success).toBe(true);
    const active = snapshot.wtsSessions!.find((s) => s.state === 'active' && s.sessionId > 1)!;
    const inSession = snapshot.logonSessions!.filter((l) => l.sessionId === active.sessionId).map((l) => l.user);
    expect(inSession).toEqual(expect.arrayContaining([active.user, `DWM-${active.sessionId}`, `UMFD-${active.sessionId}`]));
    const images = new Set(snapshot.processes!.map((p) => p.image));
    for (const image of ['System', 'lsass.exe', 'svchost.exe', 'CtxSvcHost.exe', 'dwm.exe', 'explorer.exe']) expect(images).toContain(image);
  });

  it('names the services of its service processes, and the holders of a leak read svchost.exe <pid> (<services>)', () => {
    const host = new SimulatedHost(profileParameters('leaky'), 7, BOOT);
    host.advanceTo(BOOT + 6 * 60 * MINUTE);
    const snapshot = simulatedSnapshot(host, 'h', 's');
    expect(snapshotSchema.safeParse(snapshot).success).toBe(true);
    const svchosts = snapshot.processes!.filter((p) => p.image === 'svchost.exe');
    expect(svchosts.length).toBeGreaterThan(5);
    expect(svchosts.every((p) => p.services && p.services.length > 0)).toBe(true);
    // A service runs in one process only.
    const all = snapshot.processes!.flatMap((p) => p.services ?? []);
    expect(new Set(all).size).toBe(all.length);
    expect(svchosts.some((p) => p.services!.join() === 'UserManager,ProfSvc')).toBe(true);
    expect(snapshot.processes!.find((p) => p.image === 'CtxSvcHost.exe')?.services?.length).toBeGreaterThan(0);
    // User sessions' processes host no services.
    expect(snapshot.processes!.filter((p) => (p.sessionId ?? 0) > 1).some((p) => p.services)).toBe(false);
    const { analysis } = analyzeSnapshot(snapshot, EMPTY_HISTORY, { ...DEFAULT_ANALYSIS_OPTIONS, gracePeriodMs: 0 });
    const svchostHolders = analysis.zombies!.flatMap((z) => z.holders).filter((h) => h.image === 'svchost.exe');
    expect(svchostHolders.length).toBeGreaterThan(0);
    expect(svchostHolders.every((h) => h.services && h.services.length > 0)).toBe(true);
  });

  it('healthy: keeps zero zombies and reuses session ids for a simulated day', () => {
    const { samples } = run('healthy', 7, 24 * 60, 5);
    expect(Math.max(...samples.map((s) => s.zombies))).toBe(0);
    expect(Math.max(...samples.map((s) => s.leaked))).toBe(0);
    // Ids are reused: the highest id stays near the number of sessions instead of climbing.
    const last = samples.at(-1)!;
    expect(last.highest).toBeLessThan(last.present + 25);
  });

  it('leaky: zombies accumulate and the highest session id climbs past the sessions present', () => {
    const { samples } = run('leaky', 7, 6 * 60, 1);
    const at60 = samples.find((s) => s.minute === 60)!;
    expect(at60.zombies).toBeGreaterThan(0);
    expect(at60.highest).toBeGreaterThan(at60.present);
    const last = samples.at(-1)!;
    expect(last.zombies).toBeGreaterThan(at60.zombies);
    expect(last.highest - last.present).toBeGreaterThan(at60.highest - at60.present);
    expect(last.leaked).toBeGreaterThan(0);
  });

  it('allocates the lowest free session id, skipping ids pinned by logon sessions', () => {
    const host = new SimulatedHost({ ...profileParameters('leaky'), users: 3 }, 5, BOOT);
    const snapshot = simulatedSnapshot(host, 'h', 's');
    expect(snapshot.wtsSessions!.filter((s) => s.sessionId > 1 && s.sessionId < 65536).map((s) => s.sessionId)).toEqual([2, 3, 4]);
  });

  it('runs its clock at the configured speed from the moment the source starts', async () => {
    let now = BOOT;
    const source = new SimulateSource(simulationConfig({ profile: 'healthy', speed: 60, seed: 1, hostName: 'sim-a' }), () => now);
    now += 10_000;
    const snapshot = await source.collect({ deadline: now + 1000 });
    expect(Date.parse(snapshot.collectedAt)).toBe(BOOT + 600_000);
    expect(snapshot.host).toBe('sim-a');
    expect(snapshot.source).toBe('simulate:healthy');
  });
});
