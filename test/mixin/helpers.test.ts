/** The test helpers themselves: missing binaries fail loudly, the PromQL inspection sees what lint relies on. */
import { describe, expect, it } from 'vitest';
import { githubSlug, parsePromQL, requireBinary, substituteGrafanaIntervals } from './helpers.js';

describe('test helpers', () => {
  it('requireBinary fails with the package to install instead of skipping', () => {
    expect(() => requireBinary('no-such-binary-rdsleak')).toThrow(/not found on PATH.*apt-get install/);
    expect(() => requireBinary('promtool')).not.toThrow();
  });

  it('parsePromQL reports syntax errors, selectors with matchers, aggregations without by/without', () => {
    expect(parsePromQL('sum(rate(x[5m])').errors.length).toBeGreaterThan(0);
    expect(parsePromQL('rate(x{job=~"$job"}[$__rate_interval])').errors.length).toBeGreaterThan(0);
    const ok = parsePromQL(substituteGrafanaIntervals('sum by (instance) (rate(rdsleak_collections_total{job=~"$job",instance="a"}[$__rate_interval])) / sum(up)'));
    expect(ok.errors).toEqual([]);
    expect(ok.selectors.map((s) => s.metric)).toEqual(['rdsleak_collections_total', 'up']);
    expect(ok.selectors[0]!.matchers).toEqual([
      { name: 'job', op: '=~', value: '$job' },
      { name: 'instance', op: '=', value: 'a' },
    ]);
    expect(ok.aggregations.map((a) => a.hasModifier)).toEqual([true, false]);
    expect(ok.functions).toEqual(['rate']);
    expect(parsePromQL('{__name__="up"}').selectors[0]!.metric).toBe('up');
  });

  it('githubSlug matches GitHub anchors', () => {
    expect(githubSlug('RdsSessionIdsNotReused')).toBe('rdssessionidsnotreused');
    expect(githubSlug('Draining and rebooting')).toBe('draining-and-rebooting');
    expect(githubSlug('What to send the vendor')).toBe('what-to-send-the-vendor');
  });
});
