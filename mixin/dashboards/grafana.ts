/**
 * Dashboards are built with Grafana's own typed builders (@grafana/grafana-foundation-sdk): this module
 * holds the mixin's conventions on top of them (datasource variable on every panel and query, colour
 * thresholds from the alert thresholds, a 24-column layout, variables) so farm.ts and host.ts only
 * describe panels. test/mixin/schema.test.ts checks the output against @grafana/schema's types.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  BarGaugeDisplayMode,
  BarGaugeValueMode,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  GraphDrawStyle,
  LegendDisplayMode,
  LegendPlacement,
  LineInterpolation,
  ReduceDataOptionsBuilder,
  SortOrder,
  StackingConfigBuilder,
  StackingMode,
  TableCellHeight,
  TableSortByFieldStateBuilder,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizOrientation,
  VizTooltipOptionsBuilder,
  type DataSourceRef,
} from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  type DataTransformerConfig,
  DatasourceVariableBuilder,
  type DynamicConfigValue,
  FieldColorBuilder,
  FieldColorModeId,
  type Panel,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { DataqueryBuilder, type Dataquery, PromQueryFormat, QueryEditorMode } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import type { MixinConfig } from '../config.js';

export type { Dashboard, Panel };
export type PromTarget = Dataquery;

/** Every panel and target uses the dashboard's datasource variable. */
export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export type PanelType = 'timeseries' | 'stat' | 'table' | 'bargauge';

export interface QuerySpec {
  readonly expr: string;
  readonly legend?: string;
  /** Instant queries for stat, bar gauge and table panels that show the latest value. */
  readonly instant?: boolean;
  readonly table?: boolean;
}

export interface Link {
  readonly title: string;
  readonly url: string;
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
  readonly stack?: boolean;
  /** Data links (per value): `${__field.labels.instance}` for time series, `${__data.fields.instance}` for table rows. */
  readonly links?: readonly Link[];
  /** Colour thresholds: steps after the green base. */
  readonly steps?: readonly { readonly value: number; readonly color: string }[];
  readonly transformations?: readonly DataTransformerConfig[];
  readonly overrides?: readonly { readonly name: string; readonly properties: readonly DynamicConfigValue[] }[];
  /** Table sort, by column display name. */
  readonly sortBy?: readonly { readonly column: string; readonly desc: boolean }[];
}

export function dashboardUid(config: MixinConfig, name: string): string {
  return `${config.dashboard.uidPrefix}-${name}`;
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

function target(q: QuerySpec, index: number): DataqueryBuilder {
  const b = new DataqueryBuilder()
    .refId(String.fromCharCode(65 + index))
    .datasource(DATASOURCE)
    .expr(q.expr)
    .legendFormat(q.legend ?? '__auto')
    .format(q.table ? PromQueryFormat.Table : PromQueryFormat.TimeSeries)
    .editorMode(QueryEditorMode.Code);
  return q.instant ? b.instant() : b.range();
}

/** The builder methods every panel type shares. */
interface CommonPanelBuilder<B> extends cog.Builder<Panel> {
  id(id: number): B;
  title(title: string): B;
  description(description: string): B;
  datasource(datasource: DataSourceRef): B;
  gridPos(gridPos: { x: number; y: number; w: number; h: number }): B;
  unit(unit: string): B;
  min(min: number): B;
  thresholds(thresholds: cog.Builder<{ mode: ThresholdsMode; steps: { value: number | null; color: string }[] }>): B;
  colorScheme(color: FieldColorBuilder): B;
  dataLinks(links: DashboardLinkBuilder[]): B;
  withTarget(target: DataqueryBuilder): B;
  withTransformation(transformation: DataTransformerConfig): B;
  overrideByName(name: string, properties: DynamicConfigValue[]): B;
}

function common<B extends CommonPanelBuilder<B>>(builder: B, spec: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }): B {
  let b = builder
    .id(id)
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .gridPos(gridPos)
    .unit(spec.unit)
    .colorScheme(new FieldColorBuilder().mode(spec.type === 'timeseries' ? FieldColorModeId.PaletteClassic : FieldColorModeId.Thresholds))
    .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([{ value: null, color: 'green' }, ...(spec.steps ?? [])]));
  if (spec.min !== undefined) b = b.min(spec.min);
  if (spec.links) b = b.dataLinks(spec.links.map((l) => new DashboardLinkBuilder(l.title).type(DashboardLinkType.Link).url(l.url)));
  spec.queries.forEach((q, i) => {
    b = b.withTarget(target(q, i));
  });
  for (const t of spec.transformations ?? []) b = b.withTransformation(t);
  for (const o of spec.overrides ?? []) b = b.overrideByName(o.name, [...o.properties]);
  return b;
}

const lastValue = () => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false);

function panel(spec: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }): cog.Builder<Panel> {
  switch (spec.type) {
    case 'timeseries':
      return common(new TimeseriesPanel(), spec, id, gridPos)
        .legend(
          new VizLegendOptionsBuilder()
            .calcs(['lastNotNull', 'max'])
            .displayMode(LegendDisplayMode.Table)
            .placement(LegendPlacement.Bottom)
            .showLegend(true)
            .sortBy('Last *')
            .sortDesc(true),
        )
        .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
        .drawStyle(GraphDrawStyle.Line)
        .lineInterpolation(LineInterpolation.StepAfter)
        .lineWidth(1)
        .fillOpacity(spec.stack ? 30 : 10)
        .showPoints(VisibilityMode.Never)
        .spanNulls(false)
        .axisSoftMin(0)
        .stacking(new StackingConfigBuilder().group('A').mode(spec.stack ? StackingMode.Normal : StackingMode.None));
    case 'stat':
      return common(new StatPanel(), spec, id, gridPos)
        .colorMode(BigValueColorMode.Value)
        .graphMode(BigValueGraphMode.Area)
        .justifyMode(BigValueJustifyMode.Auto)
        .orientation(VizOrientation.Auto)
        .textMode(BigValueTextMode.Auto)
        .reduceOptions(lastValue());
    case 'bargauge':
      return common(new BarGaugePanel(), spec, id, gridPos)
        .displayMode(BarGaugeDisplayMode.Gradient)
        .orientation(VizOrientation.Horizontal)
        .valueMode(BarGaugeValueMode.Color)
        .showUnfilled(true)
        .reduceOptions(lastValue().values(true));
    case 'table': {
      let b = common(new TablePanel(), spec, id, gridPos).cellHeight(TableCellHeight.Sm).showHeader(true).filterable(true);
      if (spec.sortBy) b = b.sortBy(spec.sortBy.map((s) => new TableSortByFieldStateBuilder().displayName(s.column).desc(s.desc)));
      return b;
    }
  }
}

/** Lays panels out left to right on the 24-column grid, wrapping to a new row when a panel does not fit. */
export function layout(specs: readonly PanelSpec[]): cog.Builder<Panel>[] {
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
    return panel(spec, i + 1, gridPos);
  });
}

export interface VariableSpec {
  readonly name: string;
  readonly label: string;
  /** label_values(...) query. */
  readonly query: string;
  /** Multi-select with All (allValue); single-select without All otherwise. */
  readonly allValue?: string;
}

/**
 * A query variable, refreshed when the time range changes. Multi-select ones include All; `allValue`
 * `.*` also matches series without the label (optional labels such as farm and site), `.+` does not.
 */
function queryVariable(v: VariableSpec): QueryVariableBuilder {
  const b = new QueryVariableBuilder(v.name)
    .label(v.label)
    .datasource(DATASOURCE)
    .query(v.query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
  if (v.allValue === undefined) return b.multi(false).includeAll(false);
  return b.multi(true).includeAll(true).allValue(v.allValue).current({ selected: true, text: ['All'], value: ['$__all'] });
}

export function dashboardLink(title: string, uid: string, tooltip: string): DashboardLinkBuilder {
  return new DashboardLinkBuilder(title).type(DashboardLinkType.Link).url(`/d/${uid}`).icon('dashboard').tooltip(tooltip).includeVars(true).keepTime(true);
}

export function buildDashboard(
  config: MixinConfig,
  fields: {
    uid: string;
    title: string;
    description: string;
    links: readonly DashboardLinkBuilder[];
    panels: readonly PanelSpec[];
    variables: readonly VariableSpec[];
  },
): Dashboard {
  if (fields.uid.length > 40) throw new Error(`dashboard uid ${fields.uid} is longer than 40 characters`);
  let b = new DashboardBuilder(fields.title)
    .uid(fields.uid)
    .description(fields.description)
    .tags([...config.dashboard.tags])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh(config.dashboard.refresh)
    .time({ from: config.dashboard.timeFrom, to: 'now' })
    .timezone(config.dashboard.timezone)
    .links([...fields.links])
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'));
  for (const v of fields.variables) b = b.withVariable(queryVariable(v));
  for (const p of layout(fields.panels)) b = b.withPanel(p);
  return withoutIntervalFields(b.build());
}

/**
 * The SDK's variable builders set the interval variable's `auto`, `auto_min` and `auto_count` on every
 * variable; @grafana/schema has them on interval variables only (test/mixin/schema.test.ts). Grafana
 * ignores them elsewhere; drop them so the JSON matches the schema.
 */
function withoutIntervalFields(d: Dashboard): Dashboard {
  const list = d.templating?.list?.map((v) => {
    if ((v.type as string) === 'interval') return v;
    const { auto: _auto, auto_min: _autoMin, auto_count: _autoCount, ...rest } = v;
    return rest;
  });
  return list ? { ...d, templating: { ...d.templating, list } } : d;
}

/** The panels of a dashboard (this mixin uses no rows). */
export function panelsOf(d: Dashboard): Panel[] {
  return (d.panels ?? []).filter((p): p is Panel => p.type !== 'row');
}

/** A panel's Prometheus queries. */
export function promTargets(p: Panel): PromTarget[] {
  return (p.targets ?? []) as PromTarget[];
}
