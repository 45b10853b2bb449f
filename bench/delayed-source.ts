import type { CollectContext, SnapshotSource } from '../src/sources/source.js';

/**
 * A benchmark-only source: `source` with `delayMs` of waiting added to every collection, as a large host
 * under Wine spends its seconds in native calls on koffi's worker threads. The wait costs no CPU, so
 * what it shows is whether a scrape waits for a collection, not what a collection's CPU use costs scrapes.
 */
export function delayedSource(source: SnapshotSource, delayMs: number): SnapshotSource {
  return {
    kind: source.kind,
    description: source.description,
    clock: source.clock,
    notice: source.notice,
    async collect(context: CollectContext) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return source.collect(context);
    },
    ...(source.ownHandleCount ? { ownHandleCount: () => source.ownHandleCount?.() ?? null } : {}),
    close: () => source.close(),
  };
}
