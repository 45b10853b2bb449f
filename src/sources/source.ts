import type { Snapshot } from '../model/snapshot.js';

export const SOURCE_KINDS = ['simulate', 'file', 'windows'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface CollectContext {
  /** Epoch milliseconds by which the snapshot must be returned; collectors still running then are marked timed out. */
  readonly deadline: number;
}

/**
 * How a source's time relates to the real clock, which is what commands need to know to apply the grace
 * period without knowing the source: a live host (real or simulated) is looked at again after waiting
 * `gracePeriod / scale` real milliseconds; a recording is replayed whole and its own timestamps apply.
 */
export type SourceClock = { readonly kind: 'live'; readonly scale: number } | { readonly kind: 'recorded'; readonly snapshots: number };

/**
 * Where snapshots come from: the edge of the architecture. The core (analysis, metrics, server) sees
 * only this interface and the snapshot model.
 */
export interface SnapshotSource {
  readonly kind: SourceKind;
  /** Shown in logs and in the build_info `source` label, e.g. `simulate:leaky`. */
  readonly description: string;
  readonly clock: SourceClock;
  /** A warning to print once before serving, e.g. that the data is simulated; null for real hosts. */
  readonly notice: string | null;
  collect(context: CollectContext): Promise<Snapshot>;
  /** The agent's own open handle count (Windows) when the source can tell; null to fall back to file descriptors. */
  ownHandleCount?(): number | null;
  close(): Promise<void>;
}
