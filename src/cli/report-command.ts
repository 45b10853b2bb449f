import type { Logger } from 'pino';
import type { HostAnalysis } from '../analysis/analyze.js';
import { analysisOptionsFrom } from '../analysis/flags.js';
import { HostAnalyzer } from '../analysis/host-analyzer.js';
import { collectionSettingsFrom } from '../collection/flags.js';
import type { FlagValues } from '../flags/flag-values.js';
import { formatDuration } from '../flags/duration.js';
import { REPORT_FORMAT } from '../report/flags.js';
import { renderJsonReport, renderTextReport, reportExitCode, REPORT_EXIT } from '../report/report.js';
import { createSource } from '../sources/create-source.js';
import { sourceConfigFrom } from '../sources/flags.js';
import type { SnapshotSource } from '../sources/source.js';
import type { Io } from './io.js';
import { buildAnalysisRegistry } from '../metrics/analysis-metrics.js';
import { metricsOptionsFrom } from '../metrics/flags.js';

/**
 * The host's analysis as `serve` would give it: a recording is replayed whole (its own clock applies
 * the grace period); a live host is looked at again after the grace period when something looks
 * orphaned, so a logoff in progress never makes a monitoring check fail.
 */
async function analyseHost(source: SnapshotSource, analyzer: HostAnalyzer, timeoutMs: number, io: Io): Promise<HostAnalysis | null> {
  const collect = async () => analyzer.analyze(await source.collect({ deadline: Date.now() + timeoutMs }));
  const clock = source.clock;
  if (clock.kind === 'recorded') {
    let analysis: HostAnalysis | null = null;
    for (let i = 0; i < clock.snapshots; i++) analysis = await collect();
    return analysis;
  }
  const first = await collect();
  const pending = first.pendingCandidates;
  if (pending === 0 || analyzer.gracePeriodMs === 0) return first;
  const waitMs = analyzer.gracePeriodMs / clock.scale;
  io.stderr.write(
    `rds-leak-exporter: ${pending} logon session${pending > 1 ? 's look' : ' looks'} orphaned; waiting ${formatDuration(Math.ceil(waitMs / 1000) * 1000)} (the grace period) to confirm (--zombie.grace-period=0s skips this)\n`,
  );
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  return collect();
}

/** `report`: zombies and their holders; exit 0 none, 1 zombies, 2 error. */
export async function reportCommand(flags: FlagValues, logger: Logger, io: Io): Promise<number> {
  const { timeoutMs } = collectionSettingsFrom(flags);
  const source = await createSource(sourceConfigFrom(flags), logger);
  try {
    const analysis = await analyseHost(source, new HostAnalyzer(analysisOptionsFrom(flags)), timeoutMs, io);
    if (!analysis) return REPORT_EXIT.error;
    const format = flags.get(REPORT_FORMAT);
    if (format === 'prom') io.stdout.write(await buildAnalysisRegistry(analysis, metricsOptionsFrom(flags)).metrics());
    else io.stdout.write(format === 'json' ? renderJsonReport(analysis) : renderTextReport(analysis));
    return reportExitCode(analysis);
  } finally {
    await source.close();
  }
}
