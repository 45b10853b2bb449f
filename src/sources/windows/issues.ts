import type { CollectionIssue } from '../../model/snapshot.js';

/** Counts benign events of one collection (races, vanished sessions, denied opens) for snapshot.issues. */
export class IssueCounter {
  private readonly counts = new Map<string, CollectionIssue>();

  add(collector: string, kind: string, count = 1): void {
    if (count <= 0) return;
    const key = `${collector}\u0000${kind}`;
    const existing = this.counts.get(key);
    this.counts.set(key, { collector, kind, count: (existing?.count ?? 0) + count });
  }

  get(collector: string, kind: string): number {
    return this.counts.get(`${collector}\u0000${kind}`)?.count ?? 0;
  }

  list(): CollectionIssue[] {
    return [...this.counts.values()].sort((a, b) => a.collector.localeCompare(b.collector) || a.kind.localeCompare(b.kind));
  }
}
