import type { Snapshot } from '../model/snapshot.js';

export const SOURCE_KINDS = ['simulate', 'file', 'windows'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface CollectContext {
  /** Epoch milliseconds by which the snapshot must be returned; collectors still running then are marked timed out. */
  readonly deadline: number;
}

/**
 * Where snapshots come from: the edge of the architecture. The core (analysis, metrics, server) sees
 * only this interface and the snapshot model.
 */
export interface SnapshotSource {
  readonly kind: SourceKind;
  /** Shown in logs and in the build_info `source` label, e.g. `simulate:leaky`. */
  readonly description: string;
  /**
   * Snapshot seconds per real second: 1 for real hosts (absent), the speed for the simulated host.
   * Lets one-shot commands wait out a grace period without knowing the source.
   */
  readonly timeScale?: number;
  collect(context: CollectContext): Promise<Snapshot>;
  /** The agent's own open handle count (Windows) when the source can tell; null to fall back to file descriptors. */
  ownHandleCount?(): number | null;
  close(): Promise<void>;
}
