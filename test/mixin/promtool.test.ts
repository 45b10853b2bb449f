/**
 * promtool: the generated rule files are valid, and the unit tests in alerts/tests pass. Every alert has
 * a test in which it fires, stays silent and resolves; every recording rule has a promql_expr_test.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ALERT_NAMES, RECORDING_RULE_NAMES } from '../../mixin/rules.js';
import { REPO_ROOT, run } from './helpers.js';

const TEST_DIR = join(REPO_ROOT, 'alerts/tests');
const testFiles = readdirSync(TEST_DIR).filter((f) => f.endsWith('.yml')).sort();

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: unknown[] | null;
}
interface PromtoolTestFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: AlertTest[]; promql_expr_test?: { expr: string }[] }[];
}

function durationSeconds(d: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  for (const [, n, u] of d.matchAll(/(\d+)([smhd])/g)) total += Number(n) * units[u!]!;
  return total;
}

const tests: PromtoolTestFile[] = testFiles.map((f) => parse(readFileSync(join(TEST_DIR, f), 'utf8')) as PromtoolTestFile);

describe('promtool', () => {
  it('check rules accepts the generated alert and recording rules', () => {
    const result = run('promtool', ['check', 'rules', 'alerts/rds-leak-alerts.yml', 'alerts/rds-leak-rules.yml']);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it('has unit tests in alerts/tests', () => {
    expect(testFiles.length).toBeGreaterThan(0);
  });

  // One promtool run per file: the whole-day scenarios take seconds each, more on a busy machine.
  it.each(testFiles)('test rules passes the unit tests in alerts/tests/%s', (file) => {
    const result = run('promtool', ['test', 'rules', file], TEST_DIR);
    expect(result.status, result.output).toBe(0);
    expect(result.output).not.toContain('FAILED');
  }, 120_000);

  it.each([...ALERT_NAMES])('%s is tested firing, silent and resolved', (alert) => {
    // Per test group: the alert must be expected to fire at some time, and expected silent at a later
    // time (resolved); and somewhere it must be expected silent while other hosts are present.
    let fires = false;
    let resolves = false;
    for (const file of tests) {
      for (const group of file.tests) {
        const cases = (group.alert_rule_test ?? []).filter((c) => c.alertname === alert);
        const firing = cases.filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => durationSeconds(c.eval_time));
        const silent = cases.filter((c) => (c.exp_alerts ?? []).length === 0).map((c) => durationSeconds(c.eval_time));
        if (firing.length > 0) fires = true;
        if (firing.length > 0 && silent.some((t) => t > Math.min(...firing))) resolves = true;
      }
    }
    expect(fires, `${alert}: no test expects it to fire`).toBe(true);
    expect(resolves, `${alert}: no test expects it to resolve after firing`).toBe(true);
    const healthy = tests.flatMap((f) => f.tests).find((t) => t.name === 'healthy host stays silent');
    expect(healthy?.alert_rule_test?.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length === 0), `${alert}: not in the healthy-host test`).toBe(true);
  });

  it.each([...RECORDING_RULE_NAMES])('recording rule %s has a promql_expr_test', (record) => {
    const tested = tests.flatMap((f) => f.tests).some((t) => (t.promql_expr_test ?? []).some((e) => e.expr.trim() === record));
    expect(tested).toBe(true);
  });
});
