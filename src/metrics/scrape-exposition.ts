import type { Registry } from 'prom-client';

/** Metrics in the Prometheus text format, ready to send. */
export interface RenderedExposition {
  readonly text: string;
  readonly contentType: string;
}

/** The bytes of one answer to a scrape. */
export interface ExpositionBody {
  readonly body: Buffer;
  readonly contentType: string;
}

/** What `/metrics` answers: the exposition for a scrape that must be answered by `deadline` (epoch ms). */
export interface MetricsExposition {
  render(deadline: number): Promise<ExpositionBody>;
}

/** Prefix of every metric this exporter defines itself (prom-client's process_* and nodejs_* are not). */
export const OWN_METRIC_PREFIX = 'rdsleak_';

/**
 * Only the exporter's own rdsleak_* families of an exposition: what a textfile merged by windows_exporter
 * may hold (its textfile collector fails on a process_* series it already exports itself).
 */
export function ownFamiliesOnly(text: string): string {
  const kept = text.split('\n').filter((line) => {
    const name = line.startsWith('# ') ? line.split(' ', 3)[2] : line.split(/[{ ]/, 1)[0];
    return name !== undefined && name.startsWith(OWN_METRIC_PREFIX);
  });
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}

export async function renderRegistry(registry: Registry): Promise<RenderedExposition> {
  return { text: await registry.metrics(), contentType: registry.contentType };
}

/**
 * Two expositions of disjoint metric families as one: cheaper than merging registries, and what lets
 * the analysis be rendered once per collection while the exporter's own metrics stay current.
 */
export function concatExpositions(first: RenderedExposition, second: RenderedExposition): RenderedExposition {
  if (first.contentType !== second.contentType) throw new Error(`cannot join expositions of ${first.contentType} and ${second.contentType}`);
  const separator = first.text === '' || first.text.endsWith('\n\n') ? '' : first.text.endsWith('\n') ? '\n' : '\n\n';
  return { text: `${first.text}${separator}${second.text}`, contentType: first.contentType };
}
