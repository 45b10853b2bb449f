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
