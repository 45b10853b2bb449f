import type { Logger } from 'pino';
import type { HostAnalysis } from '../analysis/analyze.js';
import { analysisOptionsFrom, type AnalysisOptions } from '../analysis/flags.js';
import { HostAnalyzer } from '../analysis/host-analyzer.js';
import { collectionSettingsFrom } from '../collection/flags.js';
import type { FlagValues } from '../flags/flag-values.js';
import { formatDuration } from '../flags/duration.js';
import { REPORT_FORMAT } from '../report/flags.js';
import { renderJsonReport, renderTextReport, reportExitCode, REPORT_EXIT, type ZombieEvidence } from '../report/report.js';
import { createSource } from '../sources/create-source.js';
import { sourceConfigFrom } from '../sources/flags.js';
import type { SnapshotSource } from '../sources/source.js';
import type { Io } from './io.js';
import { buildAnalysisRegistry } from '../metrics/analysis-metrics.js';
import { metricsOptionsFrom } from '../metrics/flags.js';
import { RdsLeakError, errorMessage } from '../errors.js';
import { parseAnalysisDocument, type ParsedAnalysisDocument } from '../report/analysis-document.js';
import { ANALYSIS_API_PATH } from '../server/status/status-page.js';
import { agentTargetFrom, getFromAgent, type AgentTarget } from './agent-client.js';

/**
 * The host's analysis as `serve` would give it: a recording is replayed whole (its own clock applies
 * the grace period); a live host is looked at again after the grace period when something looks
 * orphaned, so a logoff in progress never makes a monitoring check fail.
 */
async function analyseHost(source: SnapshotSource, options: AnalysisOptions, timeoutMs: number, io: Io): Promise<{ analysis: HostAnalysis | null; evidence: ZombieEvidence }> {
  const clock = source.clock;
  // One recorded snapshot cannot show that anything stayed orphaned: its orphaned logon sessions are
  // listed as not yet confirmed (exit 1), as `analyze` lists those of a single capture.
  const single = clock.kind === 'recorded' && clock.snapshots === 1 && options.gracePeriodMs > 0;
  const analyzer = new HostAnalyzer(single ? { ...options, gracePeriodMs: 0 } : options);
  const collect = async () => analyzer.analyze(await source.collect({ deadline: Date.now() + timeoutMs }));
  if (clock.kind === 'recorded') {
    let analysis: HostAnalysis | null = null;
    for (let i = 0; i < clock.snapshots; i++) analysis = await collect();
    return { analysis, evidence: single ? 'single_capture' : 'grace_period' };
  }
  return { analysis: await waitOutGracePeriod(analyzer, collect, clock.scale, io), evidence: 'grace_period' };
}

/** A live host: looked at again after the grace period (in the source's time) when something looks orphaned. */
async function waitOutGracePeriod(analyzer: HostAnalyzer, collect: () => Promise<HostAnalysis>, scale: number, io: Io): Promise<HostAnalysis> {
  const first = await collect();
  const pending = first.pendingCandidates;
  if (pending === 0 || analyzer.gracePeriodMs === 0) return first;
  const waitMs = analyzer.gracePeriodMs / scale;
  io.stderr.write(
    `rds-leak-exporter: ${pending} logon session${pending > 1 ? 's look' : ' looks'} orphaned; waiting ${formatDuration(Math.ceil(waitMs / 1000) * 1000)} (the grace period) to confirm (--zombie.grace-period=0s skips this)\n`,
  );
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  return collect();
}

/** Beyond the collection budget: an agent that has not collected yet collects once before it answers. */
const AGENT_ANSWER_MARGIN_MS = 5000;

function unusable(target: AgentTarget, problem: string): RdsLeakError {
  return new RdsLeakError('E_AGENT_ANSWER', `the agent at ${target.url.origin} ${problem}`);
}

/**
 * The running agent's answer in the chosen format, or null when no agent answered (nothing listens, or
 * what listens has no analysis API): the caller then collects itself.
 */
async function reportFromAgent(target: AgentTarget, flags: FlagValues, io: Io, timeoutMs: number): Promise<number | null> {
  const answer = await getFromAgent(target, ANALYSIS_API_PATH, timeoutMs + AGENT_ANSWER_MARGIN_MS);
  if (answer === null) return null;
  if (answer.status === 404) {
    io.stderr.write(`rds-leak-exporter: ${target.url.origin} has no ${ANALYSIS_API_PATH} (another program, or an older agent)\n`);
    return null;
  }
  if (answer.status === 401 || answer.status === 403) {
    throw unusable(target, `refused the request (${answer.status}): give --agent.basic-auth-user and the password in RDSLEAK_AGENT_PASSWORD`);
  }
  if (answer.status !== 200) throw unusable(target, `answered ${answer.status}: ${answer.body.split('\n')[0] ?? ''}`);
  let parsed: ParsedAnalysisDocument;
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
    parsed = parseAnalysisDocument(json);
  } catch (error) {
    throw unusable(target, `did not answer with the analysis JSON: ${errorMessage(error).split('\n')[0] ?? ''}`);
  }
  const { agent, analysis } = parsed;
  if (!analysis) {
    io.stderr.write(`rds-leak-exporter: the agent at ${target.url.origin} has no analysis: its latest collection failed: ${agent.lastCollection?.error ?? 'unknown error'}\n`);
    return REPORT_EXIT.error;
  }
  io.stderr.write(`rds-leak-exporter: answer of the running agent at ${target.url.origin}, collected at ${new Date(analysis.collectedAt).toISOString()}\n`);
  const format = flags.get(REPORT_FORMAT);
  if (format === 'prom') {
    const metrics = await getFromAgent(target, agent.telemetryPath, timeoutMs + AGENT_ANSWER_MARGIN_MS);
    if (metrics?.status !== 200) throw unusable(target, `answered ${metrics?.status ?? 'nothing'} on ${agent.telemetryPath}`);
    io.stdout.write(metrics.body);
  } else if (format === 'json') {
    // The report JSON with the agent's facts; the history is the status page's, not the report's.
    const { history: _history, ...report } = json as Record<string, unknown>;
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout.write(renderTextReport(analysis));
  }
  return reportExitCode(analysis);
}

/**
 * `report`: zombies and their holders; exit 0 none, 1 zombies, 2 error. The running agent is asked
 * first (it knows already; see agentTargetFrom for when); only without one does report collect itself.
 */
export async function reportCommand(flags: FlagValues, logger: Logger, io: Io): Promise<number> {
  const { timeoutMs } = collectionSettingsFrom(flags);
  const sourceConfig = sourceConfigFrom(flags);
  const target = agentTargetFrom(flags, sourceConfig.kind === 'windows');
  if (target) {
    const answered = await reportFromAgent(target, flags, io, timeoutMs);
    if (answered !== null) return answered;
    io.stderr.write(`rds-leak-exporter: no agent answered at ${target.url.origin}: collecting here (and waiting the grace period if a logon session looks orphaned)\n`);
  }
  const source = await createSource(sourceConfig, logger);
  try {
    const { analysis, evidence } = await analyseHost(source, analysisOptionsFrom(flags), timeoutMs, io);
    if (!analysis) return REPORT_EXIT.error;
    const format = flags.get(REPORT_FORMAT);
    if (format === 'prom') io.stdout.write(await buildAnalysisRegistry(analysis, metricsOptionsFrom(flags)).metrics());
    else io.stdout.write(format === 'json' ? renderJsonReport(analysis, evidence) : renderTextReport(analysis, evidence));
    return reportExitCode(analysis);
  } finally {
    await source.close();
  }
}
