/**
 * Line plots for reports, rendered at build time to inline SVG by Vega-Lite: `lineChart` for one
 * panel and `smallMultiples` for a row of panels sharing a y scale — He et al. 2015 Fig. 6 puts
 * "plain" and "ResNet" side by side, one colour per depth, thin dashed = training error, bold =
 * test error. Bars, scatter plots, heatmaps and contour plots live in `chart-plots.ts` and
 * `grid-plots.ts` and are re-exported here, so this module is the one plotting entry point.
 */
import type { TopLevelSpec } from 'vega-lite';
import {
  droppedNote, extent, positionChannel, requireDomain, requireSize, requireText, requireUniqueNames, showablePoints,
  type PlotFrame, type Point, type ScaleType,
} from './plot-data.js';
import { PlotError, renderVegaLite } from './render.js';
import { categoricalPalette, neutralColor } from './theme.js';

export { PlotError } from './render.js';
export type { PlotFrame, Point, ScaleType } from './plot-data.js';
export { categoricalPalette, sequentialColors, type ColorScheme } from './theme.js';
export { barChart, scatter, type Bar, type BarChartOptions, type ScatterPoint, type ScatterSeries, type ScatterOptions } from './chart-plots.js';
export { contourPlot, heatmap, type ContourPlotOptions, type HeatmapOptions } from './grid-plots.js';

/** One line. Series with the same `group` share a colour and one legend entry. */
export interface LineSeries {
  /** Unique within a panel; the legend label unless `group` is set. */
  readonly name: string;
  readonly points: readonly Point[];
  /** Legend entry and colour key shared by several series (e.g. "56 layers" for train and test). */
  readonly group?: string;
  /** CSS colour; default: the next colour of the colour-blind-safe palette per group. */
  readonly color?: string;
  /** Thin dashed line (He et al. draw training error this way). */
  readonly dashed?: boolean;
  /** Line width in px; default 2 for solid, 1.25 for dashed lines. */
  readonly strokeWidth?: number;
}

/** Legend labels for the two line styles, when series are grouped (e.g. train vs test). */
export interface LineStyleLegend {
  readonly solid: string;
  readonly dashed: string;
}

/** A horizontal (`axis: 'y'`) or vertical (`axis: 'x'`) grey reference line, e.g. chance level. */
export interface ReferenceLine {
  readonly axis: 'x' | 'y';
  readonly value: number;
  readonly label?: string;
}

interface LineAxes {
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xScale?: ScaleType;
  readonly yScale?: ScaleType;
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  /** d3-format string for tick labels, e.g. '.0%' for error rates stored as fractions. */
  readonly xFormat?: string;
  readonly yFormat?: string;
  /** Include zero in an automatic linear y domain (default true, as for error rates). */
  readonly yIncludeZero?: boolean;
  /** Legend entries for solid vs dashed series; shown only when series are grouped. */
  readonly styleLegend?: LineStyleLegend;
  readonly legend?: 'right' | 'bottom' | 'none';
  readonly referenceLines?: readonly ReferenceLine[];
}

export interface LineChartOptions extends PlotFrame, LineAxes {
  readonly series: readonly LineSeries[];
}

export interface SmallMultiplesOptions extends PlotFrame, LineAxes {
  /** Panels left to right; a series name used in several panels keeps one style and legend entry. */
  readonly panels: readonly { readonly title: string; readonly series: readonly LineSeries[] }[];
  /** Panels per row (default: all in one row); e.g. 2 lays four panels out as a 2 × 2 grid. */
  readonly columns?: number;
}

const dashedPattern = [5, 3];
const solidPattern = [1, 0];

/** The style of each legend key (group), resolved once for all panels so they agree. */
interface StyleTable {
  readonly keys: string[];
  readonly colors: string[];
  readonly grouped: boolean;
  readonly styleKeys: string[];
  readonly dashes: number[][];
  readonly widths: number[];
}

function buildStyleTable(series: readonly LineSeries[], plot: string, styleLegend: LineStyleLegend | undefined): StyleTable {
  const keyOf = (s: LineSeries) => s.group ?? s.name;
  const names = [...new Set(series.map((s) => s.name))];
  const keys = [...new Set(series.map(keyOf))];
  // Grouped when one legend key covers several differently named series (train + test of a depth).
  const grouped = keys.length < names.length;
  const colorByKey = new Map<string, string>();
  for (const s of series) {
    const key = keyOf(s);
    const existing = colorByKey.get(key);
    if (s.color !== undefined && existing !== undefined && existing !== s.color && series.some((t) => keyOf(t) === key && t.color === existing)) {
      throw new PlotError(`report/${plot}: series of "${key}" ask for different colours (${existing} and ${s.color})`);
    }
    if (s.color !== undefined) colorByKey.set(key, s.color);
  }
  let next = 0;
  const colors = keys.map((key) => colorByKey.get(key) ?? categoricalPalette[next++ % categoricalPalette.length]!);
  const widthOf = (s: LineSeries) => s.strokeWidth ?? (s.dashed ? 1.25 : 2);
  if (!grouped) {
    const first = (key: string) => series.find((s) => keyOf(s) === key)!;
    return {
      keys, colors, grouped,
      styleKeys: keys,
      dashes: keys.map((key) => (first(key).dashed ? dashedPattern : solidPattern)),
      widths: keys.map((key) => widthOf(first(key))),
    };
  }
  const solid = styleLegend?.solid ?? 'solid';
  const dashed = styleLegend?.dashed ?? 'dashed';
  const solidWidth = series.find((s) => !s.dashed);
  const dashedWidth = series.find((s) => s.dashed);
  return {
    keys, colors, grouped,
    styleKeys: [solid, dashed],
    dashes: [solidPattern, dashedPattern],
    widths: [solidWidth ? widthOf(solidWidth) : 2, dashedWidth ? widthOf(dashedWidth) : 1.25],
  };
}

interface LineRow {
  series: string;
  key: string;
  style: string;
  x: number;
  y: number;
}

function rowsFor(series: readonly LineSeries[], table: StyleTable, xScale: ScaleType, yScale: ScaleType): { rows: LineRow[]; dropped: number } {
  const rows: LineRow[] = [];
  let dropped = 0;
  for (const s of series) {
    const key = s.group ?? s.name;
    const style = table.grouped ? table.styleKeys[s.dashed ? 1 : 0]! : key;
    const shown = showablePoints(s.points, xScale, yScale);
    dropped += shown.dropped;
    for (const p of shown.kept) rows.push({ series: s.name, key, style, x: p.x, y: p.y });
  }
  return { rows, dropped };
}

/** One panel's layered Vega-Lite spec (lines + reference lines), without data-independent config. */
function linePanel(
  rows: LineRow[], table: StyleTable, axes: LineAxes, xDomain: [number, number] | undefined, yDomain: [number, number] | undefined,
  size: { width: number; height: number }, panelTitle: string | undefined, showYTitle: boolean, allRows: readonly LineRow[] = rows,
): Record<string, unknown> {
  const xScale = axes.xScale ?? 'linear';
  const yScale = axes.yScale ?? 'linear';
  const legendOrient = axes.legend ?? 'right';
  const legend = legendOrient === 'none' ? null : { title: null, orient: legendOrient, symbolType: 'stroke', symbolSize: 260 };
  const styleLegend = table.grouped && axes.styleLegend !== undefined && legend !== null ? legend : null;
  // Log axes take their decades from the rows of every panel, so the panels agree.
  const x = positionChannel('x', axes.xLabel, xScale, xDomain, extent(allRows.map((r) => r.x)), axes.xFormat, false);
  const y = positionChannel('y', showYTitle ? axes.yLabel : '', yScale, yDomain, extent(allRows.map((r) => r.y)), axes.yFormat, axes.yIncludeZero ?? true);
  const styleField = table.grouped ? 'style' : 'key';
  const lines = {
    data: { values: rows },
    mark: { type: 'line', strokeCap: 'round', strokeJoin: 'round', clip: true },
    encoding: {
      x, y,
      color: { field: 'key', type: 'nominal', scale: { domain: table.keys, range: table.colors }, legend, sort: null },
      strokeDash: { field: styleField, type: 'nominal', sort: table.styleKeys, scale: { domain: table.styleKeys, range: table.dashes }, legend: table.grouped ? styleLegend : legend },
      strokeWidth: { field: styleField, type: 'nominal', sort: table.styleKeys, scale: { domain: table.styleKeys, range: table.widths }, legend: table.grouped ? styleLegend : legend },
      detail: { field: 'series', type: 'nominal' },
    },
  };
  const references = (axes.referenceLines ?? []).map((line) => ({
    data: { values: [{ value: line.value, label: line.label ?? '' }] },
    layer: [
      { mark: { type: 'rule', color: neutralColor, strokeDash: [2, 2], strokeWidth: 1 }, encoding: { [line.axis]: { field: 'value', type: 'quantitative' } } },
      {
        mark: { type: 'text', color: '#555555', fontSize: 10, align: 'left', baseline: 'bottom', dx: 3, dy: -2, ...(line.axis === 'y' ? { x: 0 } : { y: 0, baseline: 'top' }) },
        encoding: { [line.axis]: { field: 'value', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  }));
  return { width: size.width, height: size.height, ...(panelTitle !== undefined ? { title: panelTitle } : {}), layer: [lines, ...references] };
}

function checkAxes(axes: LineAxes, plot: string): { xDomain?: [number, number]; yDomain?: [number, number] } {
  requireText(axes.xLabel, plot, 'xLabel');
  requireText(axes.yLabel, plot, 'yLabel');
  for (const line of axes.referenceLines ?? []) {
    if (!Number.isFinite(line.value)) throw new PlotError(`report/${plot}: reference line "${line.label ?? ''}" has a non-finite value ${line.value}`);
  }
  return {
    xDomain: requireDomain(axes.xDomain, axes.xScale ?? 'linear', plot, 'xDomain'),
    yDomain: requireDomain(axes.yDomain, axes.yScale ?? 'linear', plot, 'yDomain'),
  };
}

function describeLines(kind: string, options: PlotFrame & LineAxes, names: string[], dropped: number): string {
  const log = (scale: ScaleType | undefined) => (scale === 'log' ? ' (log scale)' : '');
  return (
    options.description ??
    `${kind} "${options.title}": ${options.yLabel}${log(options.yScale)} against ${options.xLabel}${log(options.xScale)}; lines: ${names.join(', ')}.` + droppedNote(dropped)
  );
}

/**
 * A line chart rendered to an SVG string.
 * @example await lineChart({ title: 'Training error', xLabel: 'epoch', yLabel: 'error', series: [{ name: 'plain-20', points }] })
 */
export async function lineChart(options: LineChartOptions): Promise<string> {
  const plot = `lineChart "${options.title}"`;
  requireText(options.title, 'lineChart', 'title');
  if (options.series.length === 0) throw new PlotError(`report/${plot}: no series to draw`);
  requireUniqueNames(options.series.map((s) => s.name), plot, 'series');
  const { xDomain, yDomain } = checkAxes(options, plot);
  const table = buildStyleTable(options.series, plot, options.styleLegend);
  const { rows, dropped } = rowsFor(options.series, table, options.xScale ?? 'linear', options.yScale ?? 'linear');
  const size = { width: requireSize(options.width, 420, plot, 'width'), height: requireSize(options.height, 260, plot, 'height') };
  const panel = linePanel(rows, table, options, xDomain, yDomain, size, undefined, true);
  const spec = { title: { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) }, ...panel } as TopLevelSpec;
  return renderVegaLite(spec, { title: options.title, description: describeLines('Line chart', options, options.series.map((s) => s.name), dropped) });
}

/**
 * A row of line charts sharing one y scale and one legend (He et al. 2015 Fig. 6 layout).
 * @example await smallMultiples({ title: 'CIFAR-10', xLabel: 'iteration', yLabel: 'error', panels: [{ title: 'plain', series }, { title: 'residual', series: res }] })
 */
export async function smallMultiples(options: SmallMultiplesOptions): Promise<string> {
  const plot = `smallMultiples "${options.title}"`;
  requireText(options.title, 'smallMultiples', 'title');
  if (options.panels.length === 0) throw new PlotError(`report/${plot}: no panels to draw`);
  options.panels.forEach((panel, i) => {
    requireText(panel.title, plot, `panels[${i}].title`);
    if (panel.series.length === 0) throw new PlotError(`report/${plot}: panel "${panel.title}" has no series`);
    requireUniqueNames(panel.series.map((s) => s.name), `${plot} panel "${panel.title}"`, 'series');
  });
  const { xDomain, yDomain } = checkAxes(options, plot);
  const allSeries = options.panels.flatMap((panel) => panel.series);
  const table = buildStyleTable(allSeries, plot, options.styleLegend);
  const xScale = options.xScale ?? 'linear';
  const yScale = options.yScale ?? 'linear';
  const panelRows = options.panels.map((panel) => rowsFor(panel.series, table, xScale, yScale));
  // One x and one y scale for all panels (resolve: shared), so heights compare across panels as
  // in the paper's figure; Vega-Lite unions the panels' data domains.
  const allRows = panelRows.flatMap((p) => p.rows);
  const size = { width: requireSize(options.width, 320, plot, 'width'), height: requireSize(options.height, 230, plot, 'height') };
  const columns = options.columns ?? options.panels.length;
  if (!Number.isInteger(columns) || columns < 1) throw new PlotError(`report/${plot}: columns must be a positive integer, got ${columns}`);
  const panels = options.panels.map((panel, i) => linePanel(panelRows[i]!.rows, table, options, xDomain, yDomain, size, panel.title, i % columns === 0, allRows));
  // Every level of the concat must say "shared", or a nested row keeps its own x and y scales.
  const resolve = { scale: { color: 'shared', strokeDash: 'shared', strokeWidth: 'shared', x: 'shared', y: 'shared' } };
  const gridRows = Array.from({ length: Math.ceil(panels.length / columns) }, (_, r) => ({ hconcat: panels.slice(r * columns, (r + 1) * columns), spacing: 18, resolve }));
  const spec = {
    title: { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) },
    ...(gridRows.length === 1 ? gridRows[0] : { vconcat: gridRows, spacing: 16, resolve }),
  } as unknown as TopLevelSpec;
  const names = [...new Set(allSeries.map((s) => s.name))];
  const dropped = panelRows.reduce((sum, p) => sum + p.dropped, 0);
  return renderVegaLite(spec, { title: options.title, description: describeLines(`${options.panels.length} panels (${options.panels.map((p) => p.title).join(', ')})`, options, names, dropped) });
}

