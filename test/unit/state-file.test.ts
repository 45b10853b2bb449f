import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyze.js';
import { HostAnalyzer } from '../../src/analysis/host-analyzer.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { stateFilePath } from '../../src/collection/flags.js';
import { CandidateStateFile } from '../../src/collection/state-file.js';
import { silentLogger } from '../fixtures/fake-sources.js';
import { minutesAfter } from '../fixtures/scenario-builder.js';
import { ARTICLE_LOGON_ID, articleHost } from '../fixtures/scenarios.js';
import { tempDir } from '../fixtures/temp-dir.js';

const T0 = '2026-11-25T10:00:00.000Z';

describe('zombie history across an agent restart (the state file)', () => {
  it('keeps zombie counts and ages instead of starting again at 0 for the grace period', () => {
    const path = join(tempDir('state'), 'state.json');
    const first = new HostAnalyzer(DEFAULT_ANALYSIS_OPTIONS);
    const store = new CandidateStateFile(path, 'rds01', silentLogger);
    first.analyze(articleHost().build(minutesAfter(T0, 0)));
    first.analyze(articleHost().build(minutesAfter(T0, 10)));
    store.save(first.memory, Date.parse(minutesAfter(T0, 10)));

    // Restart: a new analyzer from the file sees the zombie at once, with its age from first sight.
    const restored = new CandidateStateFile(path, 'RDS01', silentLogger).load();
    expect(restored?.history.get(ARTICLE_LOGON_ID)).toBe(Date.parse(T0));
    const second = new HostAnalyzer(DEFAULT_ANALYSIS_OPTIONS, restored ?? undefined);
    const a = second.analyze(articleHost().build(minutesAfter(T0, 12)));
    expect(a.zombies?.map((z) => [z.logon.logonId, z.ageSeconds, z.ageIsLowerBound])).toEqual([[ARTICLE_LOGON_ID, 720, true]]);

    // Without the file the same restart would count nothing for 5 minutes.
    expect(new HostAnalyzer(DEFAULT_ANALYSIS_OPTIONS).analyze(articleHost().build(minutesAfter(T0, 12))).zombies).toEqual([]);
  });

  it('says when an age is a lower bound: orphaned already when the agent started watching', () => {
    const analyzer = new HostAnalyzer(DEFAULT_ANALYSIS_OPTIONS);
    analyzer.analyze(articleHost().build(minutesAfter(T0, 0)));
    const a = analyzer.analyze(articleHost().build(minutesAfter(T0, 6)));
    expect(a.zombies?.[0]?.ageIsLowerBound).toBe(true);
  });

  it('ignores a missing, broken or foreign file and never throws', () => {
    const dir = tempDir('state-bad');
    expect(new CandidateStateFile(join(dir, 'none.json'), 'rds01', silentLogger).load()).toBeNull();
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"version":1,');
    expect(new CandidateStateFile(broken, 'rds01', silentLogger).load()).toBeNull();
    const other = join(dir, 'other.json');
    new CandidateStateFile(other, 'rds02', silentLogger).save({ history: new Map([[ARTICLE_LOGON_ID, 0]]), lowerBound: new Set() }, 0);
    expect(new CandidateStateFile(other, 'rds01', silentLogger).load()).toBeNull();
    expect(() => new CandidateStateFile(join(dir, 'no/such/dir/state.json'), 'rds01', silentLogger).save({ history: new Map(), lowerBound: new Set() }, 0)).not.toThrow();
  });

  it('writes atomically, and only when the history changed', () => {
    const path = join(tempDir('state-write'), 'state.json');
    const store = new CandidateStateFile(path, 'rds01', silentLogger);
    const memory = { history: new Map([[ARTICLE_LOGON_ID, Date.parse(T0)]]), lowerBound: new Set<string>() };
    store.save(memory, 1000);
    const written = readFileSync(path, 'utf8');
    store.save(memory, 2000);
    expect(readFileSync(path, 'utf8')).toBe(written); // unchanged history: savedAt not rewritten
    expect(JSON.parse(written)).toMatchObject({ version: 1, host: 'rds01', candidates: [{ logonId: ARTICLE_LOGON_ID, firstSeen: T0, ageIsLowerBound: false }] });
  });

  it('lives next to the config file, under ProgramData on Windows, nowhere by default elsewhere', () => {
    const flags = (argv: string[]) => parseCommandLine(argv).flags;
    expect(stateFilePath(flags([]), '/etc/rds/config.yaml', 'linux')).toBe('/etc/rds/rds-leak-exporter-state.json');
    expect(stateFilePath(flags([]), null, 'win32', { ProgramData: 'C:\\ProgramData' })).toBe('C:\\ProgramData\\rds-leak-exporter\\state.json');
    expect(stateFilePath(flags([]), null, 'linux')).toBeNull();
    expect(stateFilePath(flags(['--zombie.state-file=none']), '/etc/rds/config.yaml', 'linux')).toBeNull();
    expect(stateFilePath(flags(['--zombie.state-file=/var/lib/x.json']), null, 'linux')).toBe('/var/lib/x.json');
  });
});
