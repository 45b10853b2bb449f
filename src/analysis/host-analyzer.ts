import type { Snapshot } from '../model/snapshot.js';
import { analyzeSnapshot, type HostAnalysis } from './analyze.js';
import { DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions } from './flags.js';
import { EMPTY_HISTORY, type CandidateHistory } from './zombie-tracker.js';

/**
 * The analysis of one host over time: owns the analysis options and the zombie candidate history (since
 * when each logon session has looked orphaned), so `serve` and `report` apply the grace period the same
 * way. Feed it the host's snapshots in order.
 */
export class HostAnalyzer {
  private history: CandidateHistory;

  constructor(
    readonly options: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS,
    history: CandidateHistory = EMPTY_HISTORY,
  ) {
    this.history = history;
  }

  analyze(snapshot: Snapshot): HostAnalysis {
    const { analysis, history } = analyzeSnapshot(snapshot, this.history, this.options);
    this.history = history;
    return analysis;
  }

  get gracePeriodMs(): number {
    return this.options.gracePeriodMs;
  }

  /** Logon ids currently orphaned, with the snapshot time each was first seen so. */
  get candidateHistory(): CandidateHistory {
    return this.history;
  }
}
