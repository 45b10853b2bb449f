/**
 * Lint of the generated dashboards and rules against the conventions of
 * the monitoring-mixin conventions (docs/background.md): PromQL parses, every metric exists in the exporter's
 * catalog, alert names and annotations, runbook anchors, dashboard structure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERT_NAMES, ALERTS_FILE, DASHBOARD_FILES, RECORDING_RULE_NAMES, RULES_FILE, USER_PROVIDED_METRICS, defaultConfig, panelsOf, promTargets } from '../../mixin/index.js';
import type { AlertingRule, Dashboard, RecordingRule, RuleFile } from '../../mixin/index.js';
import { METRIC_NAMES } from '../../src/metrics/catalog.js';
import { REPO_ROOT, githubSlug, knownMetricNames, parsePromQL, substituteGrafanaIntervals } from './helpers.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const alertFile = parse(read(ALERTS_FILE)) as RuleFile<AlertingRule>;
const ruleFile = parse(read(RULES_FILE)) as RuleFile<RecordingRule>;
const alerts = alertFile.groups.flatMap((g) => g.rules);
const records = ruleFile.groups.flatMap((g) => g.rules);
const dashboardFiles = Object.values(DASHBOARD_FILES);
const boards: [string, Dashboard][] = dashboardFiles.map((f) => [f, JSON.parse(read(f)) as Dashboard]);
const runbooks = read('docs/runbooks.md');
const anchors = new Set([...runbooks.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => githubSlug(m[1]!)));

/** The matchers of the mixin's selector, e.g. [{name: 'job', op: '=', value: 'rds-leak-exporter'}]. */
const selectorMatchers = [...parsePromQL(`x{${defaultConfig.selector}}`).selectors[0]!.matchers];

let known: Set<string>;
beforeAll(async () => {
  known = await knownMetricNames();
});

interface Expression {
  readonly where: string;
  readonly expr: string;
}

const ruleExpressions: Expression[] = [
  ...alerts.map((a) => ({ where: `alert ${a.alert} (${a.labels.severity})`, expr: a.expr })),
  ...records.map((r) => ({ where: `record ${r.record}`, expr: r.expr })),
];

const dashboardExpressions: Expression[] = boards.flatMap(([file, d]) =>
  panelsOf(d).flatMap((p) => promTargets(p).map((t) => ({ where: `${file} panel "${p.title}" ${t.refId}`, expr: t.expr }))),
);

describe('PromQL in rules and dashboards', () => {
  it.each([...ruleExpressions, ...dashboardExpressions].map((e) => [e.where, e.expr]))('%s parses', (_where, expr) => {
    const parsed = parsePromQL(substituteGrafanaIntervals(expr));
    expect(parsed.errors).toEqual([]);
    expect(parsed.selectors.length).toBeGreaterThan(0);
  });

  it.each([...ruleExpressions, ...dashboardExpressions].map((e) => [e.where, e.expr]))('%s names only known metrics', (_where, expr) => {
    for (const s of parsePromQL(substituteGrafanaIntervals(expr)).selectors) {
      expect(s.metric, `selector without a metric name: ${s.text}`).not.toBeNull();
      expect(known.has(s.metric!), `${s.metric} is neither in src/metrics/catalog.ts, a recording rule, up, nor a prom-client default`).toBe(true);
    }
  });

  it('the dashboards and rules together use most of the catalog', () => {
    const used = new Set(
      [...ruleExpressions, ...dashboardExpressions].flatMap((e) => parsePromQL(substituteGrafanaIntervals(e.expr)).selectors.map((s) => s.metric)),
    );
    const unused = METRIC_NAMES.filter((m) => !used.has(m));
    // Only the benign-event counter and the bookkeeping gauges may be left out. The collection age
    // (issue 8) waits for its staleness alert in the mixin.
    const bookkeeping = ['rdsleak_collection_issues', 'rdsleak_last_collection_timestamp_seconds', 'rdsleak_zombie_logon_session_info_dropped'];
    expect(unused.filter((m) => !bookkeeping.includes(m))).toEqual([]);
  });
});

describe('recording rules', () => {
  it('define exactly the names the mixin exports', () => {
    expect(records.map((r) => r.record).sort()).toEqual([...RECORDING_RULE_NAMES].sort());
  });

  it.each(records.map((r) => [r.record, r]))('%s follows level:metric:operations, aggregates explicitly, selects the job', (name, rule) => {
    expect(name).toMatch(/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/);
    const parsed = parsePromQL(rule.expr);
    for (const a of parsed.aggregations) expect(a.hasModifier, `aggregation without by/without: ${a.text}`).toBe(true);
    for (const s of parsed.selectors) {
      // Recording rules carry the job already; ALERTS is joined to selected series; the user's expected-down metrics are not the exporter's.
      if (RECORDING_RULE_NAMES.includes(s.metric!) || s.metric === 'ALERTS' || (USER_PROVIDED_METRICS as readonly string[]).includes(s.metric!)) continue;
      expect(s.matchers, `${s.text} lacks the selector ${defaultConfig.selector}`).toEqual(expect.arrayContaining(selectorMatchers));
    }
  });
});

describe('alerts', () => {
  it('are exactly the documented set', () => {
    expect([...new Set(alerts.map((a) => a.alert))].sort()).toEqual([...ALERT_NAMES].sort());
  });

  it.each(alerts.map((a) => [`${a.alert} (${a.labels.severity})`, a]))('%s follows the naming and annotation conventions', (_name, a) => {
    expect(a.alert).toMatch(/^Rds([A-Z][a-z0-9]+)+$/);
    expect(['critical', 'warning', 'info']).toContain(a.labels.severity);
    expect(Object.keys(a.annotations).sort()).toEqual(['description', 'runbook_url', 'summary']);
    const { summary, description, runbook_url } = a.annotations;
    expect(summary, 'summary must be static').not.toMatch(/\{\{|\$labels|\$value/);
    expect(summary).toMatch(/^[A-Z]/);
    expect(summary).toMatch(/\.$/);
    expect(description, 'description must be templated').toMatch(/\{\{[^}]*\$(labels|value)[^}]*\}\}/);
    expect(description).toMatch(/^[A-Z{]/);
    expect(description).toMatch(/\.$/);
    expect(runbook_url).toBe(defaultConfig.runbookUrlPattern.replace('%s', a.alert.toLowerCase()));
  });

  it.each(alerts.map((a) => [`${a.alert} (${a.labels.severity})`, a]))('%s selects the exporter job in every raw selector', (_name, a) => {
    for (const s of parsePromQL(a.expr).selectors) {
      // Recording rules carry the job already; ALERTS is joined to selected series; the user's expected-down metrics are not the exporter's.
      if (RECORDING_RULE_NAMES.includes(s.metric!) || s.metric === 'ALERTS' || (USER_PROVIDED_METRICS as readonly string[]).includes(s.metric!)) continue;
      expect(s.matchers, `${s.text} lacks the selector ${defaultConfig.selector}`).toEqual(expect.arrayContaining(selectorMatchers));
    }
  });

  it.each([...ALERT_NAMES])('%s has a runbook section in docs/runbooks.md', (name) => {
    const anchor = alerts.find((a) => a.alert === name)!.annotations.runbook_url.split('#')[1]!;
    expect(anchors.has(anchor), `docs/runbooks.md has no heading with anchor #${anchor}`).toBe(true);
    expect(runbooks).toMatch(new RegExp(`^## ${name}$`, 'm'));
  });

  it('tiered alerts share name and summary; the critical tier is stricter and not slower', () => {
    const byName = new Map<string, AlertingRule[]>();
    for (const a of alerts) byName.set(a.alert, [...(byName.get(a.alert) ?? []), a]);
    for (const [name, tiers] of byName) {
      expect(new Set(tiers.map((t) => t.labels.severity)).size, `${name} repeats a severity`).toBe(tiers.length);
      if (tiers.length < 2) continue;
      expect(new Set(tiers.map((t) => t.annotations.summary)).size).toBe(1);
      const warning = tiers.find((t) => t.labels.severity === 'warning')!;
      const critical = tiers.find((t) => t.labels.severity === 'critical')!;
      expect(warning && critical, `${name}: a tiered alert needs warning and critical`).toBeTruthy();
    }
  });

  it('growth alerts pair a projection with an absolute floor', () => {
    for (const a of alerts.filter((x) => x.alert.endsWith('Growing'))) {
      expect(a.expr).toMatch(/predict_linear\(/);
      expect(a.expr).toMatch(/\band\b/);
      expect(a.for).toBeDefined();
    }
  });

  it('the exporter-down and exporter-absent alerts exist', () => {
    expect(alerts.find((a) => a.alert === 'RdsExporterDown')?.expr).toMatch(/^\(up\{[^}]*\}.*\) == 0$/);
    expect(alerts.find((a) => a.alert === 'RdsExporterSiteDown')?.labels.severity).toBe('critical');
    expect(alerts.find((a) => a.alert === 'RdsExporterAbsent')?.expr).toMatch(/^absent\(up\{/);
  });
});

/** The four bold-labelled parts of every alert section of docs/runbooks.md, in this order. */
const RUNBOOK_PARTS = ['Meaning', 'Confirm', 'What to do', 'Send to the vendor'] as const;
/** Alerts about the exporter itself: their vendor is rds-leak-exporter (logs, /health, version). */
const EXPORTER_HEALTH_ALERTS: readonly string[] = ['RdsExporterDown', 'RdsExporterSiteDown', 'RdsExporterAbsent', 'RdsCollectorFailing', 'RdsCollectorTimingOut', 'RdsExporterCollectionStale'];

/** The text of the `## <name>` section, up to the next `## ` heading. */
function runbookSection(name: string): string {
  const start = runbooks.search(new RegExp(`^## ${name}$`, 'm'));
  expect(start, `docs/runbooks.md has no section ## ${name}`).toBeGreaterThanOrEqual(0);
  const rest = runbooks.slice(start + 3);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('docs/runbooks.md', () => {
  it('has one section per alert and no section for an unknown alert', () => {
    const sections = [...runbooks.matchAll(/^## (Rds\w+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual([...ALERT_NAMES]);
  });

  it.each([...ALERT_NAMES])('the %s section has Meaning, Confirm, What to do and Send to the vendor, with what each needs', (name) => {
    const section = runbookSection(name);
    const parts = RUNBOOK_PARTS.map((label) => {
      const at = section.search(new RegExp(`^\\*\\*${label}[.:]?\\*\\*`, 'm'));
      expect(at, `${name}: no **${label}** part`).toBeGreaterThanOrEqual(0);
      return at;
    });
    expect(parts, `${name}: parts out of order`).toEqual([...parts].sort((a, b) => a - b));
    const part = (i: number) => section.slice(parts[i], parts[i + 1] ?? section.length);
    const [confirm, todo, vendor] = [part(1), part(2), part(3)];
    // Confirm names the PromQL or metrics behind the alert.
    expect(confirm, `${name}: Confirm names no metric or PromQL`).toMatch(/`[^`]*\b(rdsleak_\w+|instance:rdsleak_\w+|up)\{[^`]*`/);
    if (EXPORTER_HEALTH_ALERTS.includes(name)) {
      expect(vendor, `${name}: Send to the vendor`).toMatch(/\blogs?\b/);
      expect(vendor, `${name}: Send to the vendor`).toContain('/health');
      expect(vendor, `${name}: Send to the vendor`).toMatch(/exporter version/);
    } else {
      expect(confirm, `${name}: Confirm`).toContain('rds-leak-exporter report');
      expect(confirm, `${name}: Confirm`).toContain('handle.exe -a <luid>');
      for (const needle of ['Set-RDSessionHost', '-NewConnectionAllowed No', 'change logon /drain', 'maintenance mode']) {
        expect(todo, `${name}: What to do lacks ${needle}`).toContain(needle);
      }
      expect(todo, `${name}: What to do`).toMatch(/restart/i);
      for (const needle of ['rds-leak-exporter report --report.format json', 'rds-leak-exporter snapshot', 'handle.exe', 'version']) {
        expect(vendor, `${name}: Send to the vendor lacks ${needle}`).toContain(needle);
      }
    }
  });

  it('every internal link points at an existing anchor', () => {
    for (const [, anchor] of runbooks.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors.has(anchor!), `#${anchor}`).toBe(true);
  });
});

const isHostBoard = (file: string) => file === DASHBOARD_FILES.host;

describe.each(boards)('%s', (file, d) => {
  it('has a stable uid, title, tags, a current schemaVersion and is not editable', () => {
    const expectedUid = file.includes('farm') ? 'rds-leak-farm-overview' : 'rds-leak-host-detail';
    expect(d.uid).toBe(expectedUid);
    expect(d.uid!.length).toBeLessThanOrEqual(40);
    expect(d.uid).toMatch(/^[a-z0-9-]+$/);
    expect(d.title).toMatch(/^RDS /);
    expect(d.tags!.length).toBeGreaterThan(0);
    expect(d.editable).toBe(false);
    // The Foundation SDK's schema version (mixins used to ship 39; Grafana migrates older ones on load).
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d.description!.length).toBeGreaterThan(0);
  });

  it('has the datasource, job and instance variables (and farm and site on the farm overview)', () => {
    const vars = d.templating.list!;
    expect(vars.map((v) => v.name)).toEqual(isHostBoard(file) ? ['datasource', 'job', 'instance'] : ['datasource', 'job', 'farm', 'site', 'instance']);
    expect(vars[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const labelOf: Record<string, string> = { job: 'job', instance: 'instance', farm: defaultConfig.labels.farm, site: defaultConfig.labels.site };
    for (const v of vars.slice(1)) {
      expect(v).toMatchObject({ type: 'query', refresh: 2, datasource: { type: 'prometheus', uid: '${datasource}' } });
      if (isHostBoard(file) && v.name === 'instance') {
        // One host: single-select without All; Grafana selects the first host until one is chosen.
        expect(v).toMatchObject({ multi: false, includeAll: false });
        expect(v).not.toHaveProperty('allValue');
        expect(v).not.toHaveProperty('current');
      } else {
        // farm and site are optional labels: `.*` also matches series without them; job and instance always exist.
        const allValue = v.name === 'farm' || v.name === 'site' ? '.*' : '.+';
        expect(v).toMatchObject({ multi: true, includeAll: true, allValue, current: { value: ['$__all'] } });
      }
      const q = typeof v.query === 'string' ? v.query : '';
      const inner = /^label_values\((.+), (\w+)\)$/.exec(q);
      expect(inner, `variable ${v.name}: ${q}`).not.toBeNull();
      expect(inner![2]).toBe(labelOf[v.name]);
      const parsed = parsePromQL(inner![1]!);
      expect(parsed.errors).toEqual([]);
      expect(METRIC_NAMES).toContain(parsed.selectors[0]!.metric);
    }
  });

  it('links to the other dashboard', () => {
    const other = boards.find(([f]) => f !== file)![1];
    expect(d.links!.map((l) => l.url)).toContain(`/d/${other.uid}`);
    expect(d.links!.every((l) => l.includeVars && l.keepTime)).toBe(true);
  });

  it('every panel has a unique id, a description, a unit and the datasource variable; panels fit the grid without overlap', () => {
    const ids = new Set<number>();
    const panels = panelsOf(d);
    expect(new Set(panels.map((p) => p.title)).size, 'panel titles must be unique').toBe(panels.length);
    const cells = new Set<string>();
    for (const p of panels) {
      expect(p.id, `panel ${p.title} has no id`).toBeDefined();
      expect(ids.has(p.id!), `duplicate panel id ${p.id}`).toBe(false);
      ids.add(p.id!);
      expect((p.description ?? '').trim().length, `panel ${p.title} has no description`).toBeGreaterThan(10);
      expect(p.fieldConfig?.defaults.unit, `panel ${p.title} has no unit`).toMatch(/^\w+$/);
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(['timeseries', 'stat', 'table', 'bargauge', 'gauge']).toContain(p.type);
      expect(promTargets(p).length).toBeGreaterThan(0);
      const { x, y, w, h } = p.gridPos!;
      expect(x + w, `panel ${p.title} is outside the 24-column grid`).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `panel ${p.title} overlaps another panel`).toBe(false);
          cells.add(`${i},${j}`);
        }
    }
  });

  it('every target uses ${datasource}, job, instance (and farm and site) matchers on every selector, and $__rate_interval in rates', () => {
    const { farm, site } = defaultConfig.labels;
    const boardMatchers = isHostBoard(file)
      ? []
      : [
          { name: farm, op: '=~', value: '$farm' },
          { name: site, op: '=~', value: '$site' },
        ];
    for (const p of panelsOf(d)) {
      const refIds = new Set<string>();
      for (const t of promTargets(p)) {
        const where = `panel "${p.title}" ${t.refId}: ${t.expr}`;
        expect(t.refId, where).toBeDefined();
        expect(refIds.has(t.refId!), where).toBe(false);
        refIds.add(t.refId!);
        expect(t.datasource, where).toEqual({ type: 'prometheus', uid: '${datasource}' });
        const parsed = parsePromQL(substituteGrafanaIntervals(t.expr));
        for (const s of parsed.selectors) {
          expect(s.matchers, `${where}: ${s.text}`).toEqual(
            expect.arrayContaining([
              { name: 'job', op: '=~', value: '$job' },
              // The host dashboard shows one host: its single-valued instance is matched exactly.
              { name: 'instance', op: isHostBoard(file) ? '=' : '=~', value: '$instance' },
              ...boardMatchers,
            ]),
          );
          expect(s.matchers.filter((m) => m.name === 'instance'), `${where}: one instance matcher`).toHaveLength(1);
        }
        if (isHostBoard(file)) {
          // Every series of the host dashboard keeps its instance label: aggregations keep it.
          for (const a of parsed.aggregations) {
            const modifier = /^\w+\s*(by|without)\s*\(([^)]*)\)/.exec(a.text);
            expect(modifier, `${where}: aggregation without by/without: ${a.text}`).not.toBeNull();
            const labels = modifier![2]!.split(',').map((l) => l.trim());
            if (modifier![1] === 'by') expect(labels, `${where}: ${a.text} drops instance`).toContain('instance');
            else expect(labels, `${where}: ${a.text} drops instance`).not.toContain('instance');
          }
        }
        for (const [, fn, range] of t.expr.matchAll(/\b(rate|irate|increase|delta|idelta|deriv)\s*\([^[]*\[([^\]]+)\]/g)) {
          // increase over the whole dashboard range ranks hosts for a topk/bottomk limit.
          if (fn === 'increase' && range === '$__range') continue;
          expect(range, `${where}: ${fn}() must use $__rate_interval`).toBe('$__rate_interval');
        }
        if (parsed.functions.some((f) => ['rate', 'irate'].includes(f))) expect(t.expr).toContain('[$__rate_interval]');
      }
    }
  });

  it('uses at least one rate, so $__rate_interval is exercised', () => {
    expect(panelsOf(d).some((p) => promTargets(p).some((t) => t.expr.includes('$__rate_interval')))).toBe(true);
  });
});

describe('dashboard content', () => {
  const board = (name: string) => boards.find(([f]) => f.includes(name))![1];
  const titles = (name: string) => panelsOf(board(name)).map((p) => p.title);

  it('the farm overview shows what issues 4 and 9 ask for', () => {
    const k = defaultConfig.dashboard.topk;
    expect(titles('farm')).toEqual(
      expect.arrayContaining([
        'Worst hosts',
        'Hosts not reusing session IDs',
        'Largest session-ID gap',
        `Highest session ID vs sessions present, top ${k} hosts`,
        `Zombie logon sessions, top ${k} hosts`,
        `Pinned session IDs, top ${k} hosts`,
        'Hosts ranked by leaked token handles',
        'Top leaking processes across the farm',
        'Exporter health',
      ]),
    );
  });

  it('every per-host time series of the farm overview is limited to the topk hosts over the whole range', () => {
    const k = defaultConfig.dashboard.topk;
    for (const p of panelsOf(board('farm')).filter((x) => x.type === 'timeseries')) {
      for (const t of promTargets(p)) {
        const perHost = /by \(instance\)/.test(t.expr);
        if (perHost) expect(t.expr, `${p.title}`).toMatch(new RegExp(`and on \\(instance\\)\\n(top|bottom)k\\(${k}, .*@ end\\(\\)`));
        else expect(t.expr, `${p.title}`).toMatch(new RegExp(`^topk\\(${k}, `));
      }
    }
  });

  it('table rows link to the host dashboard by the instance column; time series by the instance label', () => {
    for (const p of panelsOf(board('farm'))) {
      const links = (p.fieldConfig?.defaults.links ?? []) as { url: string }[];
      for (const l of links) {
        if (p.type === 'table') expect(l.url, p.title).toContain('var-instance=${__data.fields.instance}');
        else expect(l.url, p.title).toContain('var-instance=${__field.labels.instance}');
      }
    }
    const tables = panelsOf(board('farm')).filter((p) => p.type === 'table');
    expect(tables.map((p) => p.title).sort()).toEqual(['Exporter health', 'Worst hosts']);
    for (const t of tables) expect(((t.fieldConfig?.defaults.links ?? []) as unknown[]).length, t.title).toBe(1);
  });

  it('the host detail shows what issue 4 asks for', () => {
    expect(titles('host')).toEqual(
      expect.arrayContaining([
        'Session IDs',
        'Sessions by state',
        'Zombie logon sessions by logon type',
        'Oldest zombie age',
        'Leaked token handles per process',
        'Zombie logon session list',
        'Token handles per process',
        'Unresolved token handles by reason',
        'Collector success',
        'Collector duration',
      ]),
    );
    const table = panelsOf(board('host')).find((p) => p.title === 'Zombie logon session list')!;
    expect(table.type).toBe('table');
    expect(promTargets(table)[0]!.expr).toMatch(/^rdsleak_zombie_logon_session_info\{/);
  });
});
