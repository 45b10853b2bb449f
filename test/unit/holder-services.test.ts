import { describe, expect, it } from 'vitest';
import { HostAnalyzer } from '../../src/analysis/host-analyzer.js';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyze.js';
import { snapshotSchema, type Snapshot } from '../../src/model/snapshot.js';
import { holderLabel, jsonReport, renderTextReport } from '../../src/report/report.js';
import { ARTICLE_LOGON_ID, articleHost } from '../fixtures/scenarios.js';

const analyse = (snapshot: Snapshot) => new HostAnalyzer({ ...DEFAULT_ANALYSIS_OPTIONS, gracePeriodMs: 0 }).analyze(snapshot);

/** The article's host, with the services the SCM would list for two of its svchost instances and CtxSvcHost. */
const withServices = () =>
  articleHost()
    .services(700, ['ProfSvc', 'UserManager'])
    .services(704, ['Schedule'])
    .services(800, ['CtxSvcHost'])
    .build();

describe('holders with service names', () => {
  it('the snapshot carries them, and an older snapshot without them still loads', () => {
    expect(snapshotSchema.safeParse(withServices()).success).toBe(true);
    const old = articleHost().build();
    expect(old.processes?.some((p) => 'services' in p)).toBe(false);
    expect(snapshotSchema.safeParse(old).success).toBe(true);
  });

  it('the schema keeps one spelling: no empty list, no empty name', () => {
    const bad = (services: string[]) => {
      const s = articleHost().build();
      s.processes = s.processes!.map((p) => (p.pid === 700 ? { ...p, services } : p));
      return snapshotSchema.safeParse(s).success;
    };
    expect(bad([])).toBe(false);
    expect(bad([''])).toBe(false);
    expect(bad(['Schedule'])).toBe(true);
  });

  it('the analysis passes them to the holders of each zombie; a holder hosting none has no services', () => {
    const zombie = analyse(withServices()).zombies?.find((z) => z.logon.logonId === ARTICLE_LOGON_ID);
    const byPid = new Map(zombie?.holders.map((h) => [h.pid, h]));
    expect(byPid.get(700)?.services).toEqual(['ProfSvc', 'UserManager']);
    expect(byPid.get(704)?.services).toEqual(['Schedule']);
    expect(byPid.get(800)?.services).toEqual(['CtxSvcHost']);
    expect(byPid.get(708)).toEqual({ pid: 708, image: 'svchost.exe', handles: 1 });
  });

  it('the text report names a holder as svchost.exe 700 (ProfSvc, UserManager), and keeps the handle.exe hint', () => {
    const text = renderTextReport(analyse(withServices()));
    expect(text).toMatch(/\n {2}svchost\.exe 700 \(ProfSvc, UserManager\) +1\n/);
    expect(text).toMatch(/\n {2}svchost\.exe 704 \(Schedule\) +1\n/);
    expect(text).toMatch(/\n {2}CtxSvcHost\.exe 800 \(CtxSvcHost\) +1\n/);
    expect(text).toMatch(/\n {2}svchost\.exe 708 +1\n/);
    expect(text).toContain('confirm with: handle.exe -a 17c025');
    // The handle counts stay in one column, however long a holder's name.
    const rows = text.split('\n').filter((l) => /^ {2}(svchost|CtxSvcHost)\.exe \d+/.test(l));
    expect(new Set(rows.map((r) => r.lastIndexOf(' '))).size).toBe(1);
  });

  it('the JSON report gives holder objects their services, and leaves the key out when there are none', () => {
    const zombies = jsonReport(analyse(withServices())).zombies as { holders: { pid: number; services?: string[] }[] }[];
    const holders = zombies[0]!.holders;
    expect(holders.find((h) => h.pid === 700)?.services).toEqual(['ProfSvc', 'UserManager']);
    expect(holders.find((h) => h.pid === 708)).not.toHaveProperty('services');
  });

  it('holderLabel: with and without services', () => {
    expect(holderLabel({ pid: 1064, image: 'svchost.exe', handles: 2, services: ['Schedule', 'ProfSvc'] })).toBe('svchost.exe 1064 (Schedule, ProfSvc)');
    expect(holderLabel({ pid: 960, image: 'lsass.exe', handles: 4 })).toBe('lsass.exe 960');
    expect(holderLabel({ pid: 960, image: 'lsass.exe', handles: 4, services: [] })).toBe('lsass.exe 960');
  });
});
