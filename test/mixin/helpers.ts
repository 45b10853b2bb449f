/**
 * Shared helpers of the mixin and end-to-end tests: the repository root, external binaries (which must
 * be installed: a missing one fails the test with the package to install, it never skips), and PromQL
 * inspection with @prometheus-io/lezer-promql.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { METRIC_NAMES } from '../../src/metrics/catalog.js';
import { RECORDING_RULE_NAMES } from '../../mixin/rules.js';
import { USER_PROVIDED_METRICS } from '../../mixin/config.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian package that ships each binary (CI installs them with apt-get). */
const PACKAGES: Record<string, string> = {
  promtool: 'prometheus',
  prometheus: 'prometheus',
  amtool: 'prometheus-alertmanager',
  'prometheus-alertmanager': 'prometheus-alertmanager',
};

/** The absolute path of an executable on PATH; throws a clear error naming the package when missing. */
export function requireBinary(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  const pkg = PACKAGES[name] ?? name;
  throw new Error(`required binary '${name}' was not found on PATH: install it with 'apt-get install ${pkg}' (Debian package ${pkg})`);
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly output: string;
}

export function run(binary: string, args: readonly string[], cwd: string = REPO_ROOT): RunResult {
  const result = spawnSync(requireBinary(binary), args, { cwd, encoding: 'utf8', timeout: 110_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}${result.stderr}` };
}

/** Grafana's built-in interval variables, replaced by durations so the expression is plain PromQL. */
export function substituteGrafanaIntervals(expr: string, interval = '5m'): string {
  return expr.replace(/\$\{?__(rate_interval|interval|range)\}?/g, interval);
}

export interface Matcher {
  readonly name: string;
  readonly op: string;
  readonly value: string;
}

export interface SelectorInfo {
  /** The metric name, or null for a selector without one (e.g. `{__name__=~"..."}`). */
  readonly metric: string | null;
  readonly matchers: readonly Matcher[];
  readonly text: string;
}

export interface ParsedPromQL {
  /** Descriptions of the error nodes (empty when the expression parsed cleanly). */
  readonly errors: readonly string[];
  readonly selectors: readonly SelectorInfo[];
  /** Aggregations (sum, max, topk, ...) and whether they name their labels with by/without. */
  readonly aggregations: readonly { readonly text: string; readonly hasModifier: boolean }[];
  /** Function names called. */
  readonly functions: readonly string[];
}

function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  return JSON.parse(literal.startsWith("'") ? `"${literal.slice(1, -1).replace(/"/g, '\\"')}"` : literal) as string;
}

/** Parses a PromQL expression and lists its error nodes, vector selectors and aggregations. */
export function parsePromQL(expr: string): ParsedPromQL {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const selectors: SelectorInfo[] = [];
  const aggregations: { text: string; hasModifier: boolean }[] = [];
  const functions: string[] = [];
  const text = (from: number, to: number) => expr.slice(from, to);
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push(`syntax error at offset ${node.from}: ...${JSON.stringify(expr.slice(Math.max(0, node.from - 20), node.to + 20))}...`);
        return;
      }
      if (node.name === 'FunctionIdentifier') functions.push(text(node.from, node.to));
      if (node.name === 'AggregateExpr') {
        const hasModifier = node.node.getChild('AggregateModifier') !== null;
        aggregations.push({ text: text(node.from, node.to), hasModifier });
      }
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        const matchers: Matcher[] = [];
        const list = node.node.getChild('LabelMatchers');
        if (list) {
          for (let child = list.firstChild; child; child = child.nextSibling) {
            const name = child.getChild('LabelName') ?? child.getChild('QuotedLabelName');
            const op = child.getChild('MatchOp');
            const value = child.getChild('StringLiteral');
            if (name && op && value) {
              matchers.push({ name: text(name.from, name.to), op: text(op.from, op.to), value: unquote(text(value.from, value.to)) });
            }
          }
        }
        const nameMatcher = matchers.find((m) => m.name === '__name__' && m.op === '=');
        selectors.push({
          metric: identifier ? text(identifier.from, identifier.to) : (nameMatcher?.value ?? null),
          matchers,
          text: text(node.from, node.to),
        });
      }
    },
  });
  return { errors, selectors, aggregations, functions };
}

let defaultMetricNames: Set<string> | null = null;

/** Metric names prom-client's default collectors export (process_*, nodejs_*), with histogram/summary suffixes. */
export async function promClientDefaultMetricNames(): Promise<Set<string>> {
  if (defaultMetricNames) return defaultMetricNames;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
  }
  defaultMetricNames = names;
  return names;
}

/** Every metric name a dashboard or rule may reference. */
export async function knownMetricNames(): Promise<Set<string>> {
  // ALERTS: RdsSessionIdsNotReused reads its own firing state; the user-provided metrics feed expectedDown.
  return new Set([...METRIC_NAMES, ...RECORDING_RULE_NAMES, ...USER_PROVIDED_METRICS, 'up', 'ALERTS', ...(await promClientDefaultMetricNames())]);
}

/** GitHub's anchor for a Markdown heading. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
