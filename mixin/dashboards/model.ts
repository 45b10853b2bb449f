/**
 * A small typed subset of the Grafana dashboard JSON model (schemaVersion 39) and builders for it.
 * Only the fields the mixin uses are modelled; Grafana fills in the rest with its defaults.
 */
import type { MixinConfig } from '../config.js';

export const SCHEMA_VERSION = 39;

export interface DataSourceRef {
  readonly type: 'prometheus';
  readonly uid: string;
}

/** Every panel and target uses the dashboard's datasource variable. */
export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** Matchers every query of a multi-host dashboard carries (job and instance are multi-select with All). */
export const SEL = 'job=~"$job",instance=~"$instance"';

/**
 * Matchers every query of a one-host dashboard carries: `instance` is single-select without All, so it
 * is matched exactly (Grafana does not regex-escape a single-valued variable, so `=~` would let the dots
 * of `rdsh-ber-017.corp` match other hosts).
 */
export const HOST_SEL = 'job=~"$job",instance="$instance"';

export interface Target {
  readonly refId: string;
  readonly datasource: DataSourceRef;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: boolean;
  readonly instant: boolean;
  readonly format: 'time_series' | 'table';
  readonly editorMode: 'code';
}

export type PanelType = 'timeseries' | 'stat' | 'table' | 'bargauge' | 'gauge';

export interface GridPos {
  readonly h: number;
  readonly w: number;
  readonly x: number;
  readonly y: number;
}

export interface Link {
  readonly title: string;
  readonly url: string;
  readonly targetBlank?: boolean;
}

export interface Panel {
  readonly id: number;
  readonly type: PanelType;
  readonly title: string;
  readonly description: string;
  readonly datasource: DataSourceRef;
  readonly gridPos: GridPos;
  readonly targets: readonly Target[];
  readonly fieldConfig: {
    readonly defaults: Record<string, unknown> & { readonly unit: string };
    readonly overrides: readonly unknown[];
  };
  readonly options: Record<string, unknown>;
  readonly transformations?: readonly unknown[];
}

export interface VariableOption {
  readonly selected: boolean;
  readonly text: string | readonly string[];
  readonly value: string | readonly string[];
}

export interface DatasourceVariable {
  readonly name: 'datasource';
  readonly label: string;
  readonly type: 'datasource';
  readonly query: 'prometheus';
  readonly current: Record<string, never>;
  readonly hide: 0;
  readonly options: readonly [];
  readonly refresh: 1;
  readonly regex: '';
}

export interface QueryVariable {
  readonly name: string;
  readonly label: string;
  readonly type: 'query';
  readonly datasource: DataSourceRef;
  readonly definition: string;
  readonly query: { readonly query: string; readonly refId: string };
  readonly multi: boolean;
  readonly includeAll: boolean;
  /** Only with includeAll. */
  readonly allValue?: string;
  /** All for a multi-select variable; empty for a single-select one, so Grafana selects the first value. */
  readonly current: VariableOption | Record<string, never>;
  readonly hide: 0;
  readonly options: readonly [];
  /** 2 = on time range change. */
  readonly refresh: 2;
  readonly regex: '';
  readonly sort: 1;
}

export interface DashboardLink {
  readonly title: string;
  readonly type: 'link';
  readonly url: string;
  readonly icon: 'dashboard';
  readonly tooltip: string;
  readonly includeVars: boolean;
  readonly keepTime: boolean;
  readonly asDropdown: false;
  readonly targetBlank: false;
  readonly tags: readonly [];
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly editable: false;
  readonly graphTooltip: 1;
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly version: 1;
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: 'now' };
  readonly timepicker: Record<string, never>;
  readonly timezone: string;
  readonly fiscalYearStartMonth: 0;
  readonly liveNow: false;
  readonly weekStart: '';
  readonly annotations: { readonly list: readonly unknown[] };
  readonly links: readonly DashboardLink[];
  readonly templating: { readonly list: readonly (DatasourceVariable | QueryVariable)[] };
  readonly panels: readonly Panel[];
}

export function dashboardUid(config: MixinConfig, name: string): string {
  return `${config.dashboard.uidPrefix}-${name}`;
}

/**
 * The dashboard variables. `instance: 'multi'` (farm overview): job and instance are multi-select with
 * All. `instance: 'single'` (host detail): instance is one host, without All; `current` is left empty so
 * Grafana selects the first host (sorted alphabetically) until the user or a link (`var-instance=...`)
 * chooses one.
 */
export function templating(config: MixinConfig, instance: 'multi' | 'single' = 'multi'): Dashboard['templating'] {
  const all: VariableOption = { selected: true, text: ['All'], value: ['$__all'] };
  const variable = (name: string, label: string, definition: string, multi: boolean): QueryVariable => ({
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition,
    query: { query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    multi,
    includeAll: multi,
    ...(multi ? { allValue: '.+' } : {}),
    current: multi ? all : {},
    hide: 0,
    options: [],
    refresh: 2,
    regex: '',
    sort: 1,
  });
  return {
    list: [
      { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, options: [], refresh: 1, regex: '' },
      variable('job', 'Job', `label_values(${config.variableMetric}, job)`, true),
      variable('instance', 'Host', `label_values(${config.variableMetric}{job=~"$job"}, instance)`, instance === 'multi'),
    ],
  };
}

/** Colour steps for a gauge whose alert has a warning and a critical threshold: yellow above zero, orange at the warning and red at the critical threshold. */
export function tierSteps(warning: number, critical: number): { value: number; color: string }[] {
  const steps = [
    { value: 1, color: 'yellow' },
    { value: warning, color: 'orange' },
    { value: critical, color: 'red' },
  ];
  // Keep them strictly ascending (a threshold of 1 replaces the yellow step).
  return steps.filter((step, i) => steps.slice(i + 1).every((later) => later.value > step.value));
}

export function dashboardLink(title: string, uid: string, tooltip: string): DashboardLink {
  return {
    title,
    type: 'link',
    url: `/d/${uid}`,
    icon: 'dashboard',
    tooltip,
    includeVars: true,
    keepTime: true,
    asDropdown: false,
    targetBlank: false,
    tags: [],
  };
}

export interface QuerySpec {
  readonly expr: string;
  readonly legend?: string;
  /** Instant queries for stat, bar gauge and table panels that show the latest value. */
  readonly instant?: boolean;
  readonly table?: boolean;
}

export interface PanelSpec {
  readonly type: PanelType;
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly QuerySpec[];
  readonly w: number;
  readonly h: number;
  readonly min?: number;
  readonly decimals?: number;
  readonly stack?: boolean;
  readonly links?: readonly Link[];
  /** Colour thresholds: steps after the green base. */
  readonly steps?: readonly { readonly value: number; readonly color: string }[];
  readonly transformations?: readonly unknown[];
  readonly options?: Record<string, unknown>;
  readonly overrides?: readonly unknown[];
}

function targets(queries: readonly QuerySpec[]): Target[] {
  return queries.map((q, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DATASOURCE,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: !(q.instant ?? false),
    instant: q.instant ?? false,
    format: q.table ? 'table' : 'time_series',
    editorMode: 'code',
  }));
}

function panelOptions(spec: PanelSpec): Record<string, unknown> {
  const reduce = { calcs: ['lastNotNull'], fields: '', values: false };
  switch (spec.type) {
    case 'timeseries':
      return {
        legend: { calcs: ['lastNotNull', 'max'], displayMode: 'table', placement: 'bottom', showLegend: true, sortBy: 'Last *', sortDesc: true },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
    case 'stat':
      return { colorMode: 'value', graphMode: 'area', justifyMode: 'auto', orientation: 'auto', reduceOptions: reduce, textMode: 'auto' };
    case 'bargauge':
      return { displayMode: 'gradient', orientation: 'horizontal', reduceOptions: { ...reduce, values: true }, showUnfilled: true, valueMode: 'color' };
    case 'gauge':
      return { reduceOptions: reduce, showThresholdLabels: false, showThresholdMarkers: true };
    case 'table':
      return { cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' }, showHeader: true };
  }
}

function fieldDefaults(spec: PanelSpec): Panel['fieldConfig']['defaults'] {
  const defaults: Record<string, unknown> & { unit: string } = {
    unit: spec.unit,
    color: { mode: spec.type === 'timeseries' ? 'palette-classic' : 'thresholds' },
    thresholds: {
      mode: 'absolute',
      steps: [{ color: 'green', value: null }, ...(spec.steps ?? [])],
    },
  };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.decimals !== undefined) defaults.decimals = spec.decimals;
  if (spec.links) defaults.links = spec.links;
  if (spec.type === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineInterpolation: 'stepAfter',
      lineWidth: 1,
      fillOpacity: spec.stack ? 30 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: { group: 'A', mode: spec.stack ? 'normal' : 'none' },
      axisSoftMin: 0,
    };
  }
  if (spec.type === 'table') defaults.custom = { align: 'auto', cellOptions: { type: 'auto' }, filterable: true };
  return defaults;
}

/** Lays panels out left to right on the 24-column grid, wrapping to a new row when a panel does not fit. */
export function layout(specs: readonly PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((spec, i) => {
    if (spec.w > 24) throw new Error(`panel ${spec.title} is wider than the grid`);
    if (x + spec.w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { h: spec.h, w: spec.w, x, y };
    x += spec.w;
    rowHeight = Math.max(rowHeight, spec.h);
    const panel: Panel = {
      id: i + 1,
      type: spec.type,
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      gridPos,
      targets: targets(spec.queries),
      fieldConfig: { defaults: fieldDefaults(spec), overrides: spec.overrides ?? [] },
      options: { ...panelOptions(spec), ...(spec.options ?? {}) },
      ...(spec.transformations ? { transformations: spec.transformations } : {}),
    };
    return panel;
  });
}

export function dashboard(
  config: MixinConfig,
  fields: {
    uid: string;
    title: string;
    description: string;
    links: readonly DashboardLink[];
    panels: readonly Panel[];
    /** One host (single-select instance) or many (multi-select with All, the default). */
    instance?: 'multi' | 'single';
  },
): Dashboard {
  if (fields.uid.length > 40) throw new Error(`dashboard uid ${fields.uid} is longer than 40 characters`);
  return {
    uid: fields.uid,
    title: fields.title,
    description: fields.description,
    tags: [...config.dashboard.tags],
    editable: false,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: config.dashboard.refresh,
    time: { from: config.dashboard.timeFrom, to: 'now' },
    timepicker: {},
    timezone: config.dashboard.timezone,
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: fields.links,
    templating: templating(config, fields.instance ?? 'multi'),
    panels: fields.panels,
  };
}
