import { describe, expect, it } from 'vitest';
import { analysisOptionsFrom } from '../../src/analysis/flags.js';
import { HostAnalyzer } from '../../src/analysis/host-analyzer.js';
import type { HostAnalysis } from '../../src/analysis/analyze.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { SessionIdHistory } from '../../src/collection/session-id-history.js';
import { analysisDocument, parseAnalysisDocument, type AgentFacts } from '../../src/report/analysis-document.js';
import { renderTextReport, reportExitCode } from '../../src/report/report.js';
import { createSource } from '../../src/sources/create-source.js';
import { sourceConfigFrom } from '../../src/sources/flags.js';
import { silentLogger } from '../fixtures/fake-sources.js';

async function simulatedAnalyses(args: string[], collections: number): Promise<HostAnalysis[]> {
  const { flags } = parseCommandLine(['report', ...args]);
  const source = await createSource(sourceConfigFrom(flags), silentLogger);
  const analyzer = new HostAnalyzer(analysisOptionsFrom(flags));
  const out: HostAnalysis[] = [];
  try {
    for (let i = 0; i < collections; i++) out.push(analyzer.analyze(await source.collect({ deadline: Date.now() + 10_000 })));
  } finally {
    await source.close();
  }
  return out;
}

const FACTS: AgentFacts = { version: '1.2.3', source: 'simulate:leaky', simulated: true, telemetryPath: '/metrics', userNamesIncluded: true, startedAt: Date.parse('2026-01-01T00:00:00Z') };

describe('the analysis document', () => {
  it('reads back to the same text report, for healthy and leaky hosts, with and without handles', async () => {
    for (const profile of ['healthy', 'leaky']) {
      const [analysis] = await simulatedAnalyses([`--simulate.profile=${profile}`, '--simulate.advance=3h', '--simulate.seed=7', '--zombie.grace-period=0s'], 1);
      const collection = { analysis: analysis!, startedAt: 0, durationSeconds: 0.1, error: null, timedOut: false };
      const parsed = parseAnalysisDocument(JSON.parse(JSON.stringify(analysisDocument(collection, FACTS, []))));
      expect(renderTextReport(parsed.analysis!)).toBe(renderTextReport(analysis!));
      expect(reportExitCode(parsed.analysis!)).toBe(reportExitCode(analysis!));
      expect(parsed.agent.version).toBe('1.2.3');
    }
  });

  it('nulls user, domain and SID of every zombie unless the agent opts in', async () => {
    const [analysis] = await simulatedAnalyses(['--simulate.profile=leaky', '--simulate.advance=3h', '--zombie.grace-period=0s'], 1);
    const collection = { analysis: analysis!, startedAt: 0, durationSeconds: 0.1, error: null, timedOut: false };
    const doc = analysisDocument(collection, { ...FACTS, userNamesIncluded: false }, []) as { zombies: Record<string, unknown>[] };
    expect(doc.zombies.length).toBeGreaterThan(0);
    for (const z of doc.zombies) expect([z.user, z.domain, z.sid]).toEqual([null, null, null]);
    const text = renderTextReport(parseAnalysisDocument(JSON.parse(JSON.stringify(doc))).analysis!);
    for (const z of analysis!.zombies!) expect(text).not.toContain(`${z.logon.domain}\\${z.logon.user}`);
  });

  it('a failed collection: the agent facts and the error, no analysis', () => {
    const doc = analysisDocument({ analysis: null, startedAt: 1000, durationSeconds: 2, error: 'boom', timedOut: false }, FACTS, []);
    const parsed = parseAnalysisDocument(JSON.parse(JSON.stringify(doc)));
    expect(parsed.analysis).toBeNull();
    expect(parsed.agent.lastCollection?.error).toBe('boom');
  });

  it('rejects what is not an analysis document', () => {
    expect(() => parseAnalysisDocument({ status: 'ok' })).toThrow();
    expect(() => parseAnalysisDocument({ agent: { ...FACTS, host: 'h', lastCollection: null }, collectedAt: 'yesterday' })).toThrow();
  });
});

describe('SessionIdHistory', () => {
  it('keeps the newest points up to its capacity, oldest first, and skips collections without sessions', async () => {
    const analyses = await simulatedAnalyses(['--simulate.profile=leaky', '--simulate.speed=600'], 5);
    const history = new SessionIdHistory(3);
    history.record(null);
    for (const a of analyses) history.record(a);
    history.record({ ...analyses[0]!, sessions: null });
    expect(history.list()).toEqual(analyses.slice(2).map((a) => ({ at: a.collectedAt, highestSessionId: a.sessions!.highestSessionId, present: a.sessions!.present })));
    expect(() => new SessionIdHistory(0)).toThrow(RangeError);
  });
});
