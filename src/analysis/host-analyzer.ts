import type { Snapshot } from '../model/snapshot.js';
import { analyzeSnapshot, type HostAnalysis } from './analyze.js';
import { DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions } from './flags.js';
import { EMPTY_HISTORY, type CandidateHistory } from './zombie-tracker.js';

/** What the analyzer remembers between collections, and what survives a restart (the state file). */
export interface AnalyzerMemory {
  /** Logon ids orphaned now, with the snapshot time each was first seen so. */
  readonly history: CandidateHistory;
  /** Of those, the ones first seen at the very start of watching: their real age is longer. */
  readonly lowerBound: ReadonlySet<string>;
}

/**
 * The analysis of one host over time: owns the analysis options and the zombie candidate history (since
 * when each logon session has looked orphaned), so `serve` and `report` apply the grace period the same
 * way. Feed it the host's snapshots in order. A candidate already orphaned in the first snapshot it sees
 * (and not known from a restored memory) has an age that is only a lower bound: it says so.
 */
export class HostAnalyzer {
  private history: CandidateHistory;
  private lowerBound: Set<string>;
  private firstSnapshotAt: number | null = null;

  constructor(
    readonly options: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS,
    memory: AnalyzerMemory = { history: EMPTY_HISTORY, lowerBound: new Set() },
  ) {
    this.history = memory.history;
    this.lowerBound = new Set(memory.lowerBound);
  }

  analyze(snapshot: Snapshot): HostAnalysis {
    const { analysis, history } = analyzeSnapshot(snapshot, this.history, this.options);
    this.firstSnapshotAt ??= analysis.collectedAt;
    const lowerBound = new Set<string>();
    for (const [id, firstSeen] of history) {
      const restored = this.history.get(id) === firstSeen && this.lowerBound.has(id);
      if (restored || (firstSeen === this.firstSnapshotAt && !this.history.has(id))) lowerBound.add(id);
    }
    this.history = history;
    this.lowerBound = lowerBound;
    if (!analysis.zombies || lowerBound.size === 0) return analysis;
    return { ...analysis, zombies: analysis.zombies.map((z) => (lowerBound.has(z.logon.logonId) ? { ...z, ageIsLowerBound: true } : z)) };
  }

  get gracePeriodMs(): number {
    return this.options.gracePeriodMs;
  }

  /** What to keep across a restart. */
  get memory(): AnalyzerMemory {
    return { history: this.history, lowerBound: this.lowerBound };
  }
}
