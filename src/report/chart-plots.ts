/**
 * Bar charts (lesion error per deleted block, path-length histograms, parameter counts; grouped
 * bars compare residual with plain side by side) and scatter plots (parameters vs error, labelled
 * points), rendered to SVG by Vega-Lite. Re-exported from `plots.ts`.
 */
import type { TopLevelSpec } from 'vega-lite';
import {
  droppedNote, extent, isShowable, positionChannel, requireDomain, requireSize, requireText, requireUniqueNames, showablePoints,
  type PlotFrame, type ScaleType,
} from './plot-data.js';
import { PlotError, renderVegaLite } from './render.js';
import { categoricalPalette } from './theme.js';

export interface Bar {
  /** Position on the category axis; bars keep the order of first appearance. */
  readonly category: string;
  readonly value: number;
  /** Bars of one category with different groups stand side by side, coloured by group. */
  readonly group?: string;
  /** Half-width of an error bar (e.g. one standard deviation over seeds). */
  readonly error?: number;
}

export interface BarChartOptions extends PlotFrame {
  readonly bars: readonly Bar[];
  /** Title of the category axis. */
  readonly categoryLabel: string;
  /** Title of the value axis. */
  readonly valueLabel: string;
  /** Bars grow to the right instead of upward (better for long category names). */
  readonly horizontal?: boolean;
  readonly valueScale?: ScaleType;
  readonly valueDomain?: readonly [number, number];
  /** d3-format for value ticks and printed values, e.g. '.1%'. */
  readonly valueFormat?: string;
  /** Print each bar's value at its end. */
  readonly showValues?: boolean;
  /** Colour per group name; default: the palette in order of first appearance. */
  readonly groupColors?: Readonly<Record<string, string>>;
}

export interface ScatterPoint {
  readonly x: number;
  readonly y: number;
  /** Printed next to the point (e.g. "DenseNet-BC-100"). */
  readonly label?: string;
}

export interface ScatterSeries {
  readonly name: string;
  readonly points: readonly ScatterPoint[];
  readonly color?: string;
}

export interface ScatterOptions extends PlotFrame {
  readonly series: readonly ScatterSeries[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xScale?: ScaleType;
  readonly yScale?: ScaleType;
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  readonly xFormat?: string;
  readonly yFormat?: string;
  readonly legend?: 'right' | 'bottom' | 'none';
}

/** Shapes as well as colours, so series stay apart in greyscale print and for colour-blind readers. */
const shapes = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'wedge', 'stroke'];

function titleSpec(frame: PlotFrame): Record<string, unknown> {
  return { text: frame.title, ...(frame.subtitle ? { subtitle: frame.subtitle } : {}) };
}

/**
 * A bar chart (grouped when bars carry `group`) rendered to an SVG string.
 * @example await barChart({ title: 'Lesion', categoryLabel: 'deleted block', valueLabel: 'test error', bars: [{ category: '1', group: 'residual', value: 0.08 }] })
 */
export async function barChart(options: BarChartOptions): Promise<string> {
  const plot = `barChart "${options.title}"`;
  requireText(options.title, 'barChart', 'title');
  requireText(options.categoryLabel, plot, 'categoryLabel');
  requireText(options.valueLabel, plot, 'valueLabel');
  if (options.bars.length === 0) throw new PlotError(`report/${plot}: no bars to draw`);
  const scale = options.valueScale ?? 'linear';
  const domain = requireDomain(options.valueDomain, scale, plot, 'valueDomain');
  const seen = new Set<string>();
  for (const bar of options.bars) {
    requireText(bar.category, plot, 'bar category');
    const key = `${bar.category}\u0000${bar.group ?? ''}`;
    if (seen.has(key)) throw new PlotError(`report/${plot}: two bars for category "${bar.category}"${bar.group ? ` and group "${bar.group}"` : ''}`);
    seen.add(key);
    if (bar.error !== undefined && !(Number.isFinite(bar.error) && bar.error >= 0)) throw new PlotError(`report/${plot}: bar "${bar.category}" has an invalid error ${bar.error}`);
  }
  const shown = options.bars.filter((bar) => isShowable(bar.value, scale));
  const dropped = options.bars.length - shown.length;
  const categories = [...new Set(options.bars.map((bar) => bar.category))];
  const groups = [...new Set(options.bars.flatMap((bar) => (bar.group === undefined ? [] : [bar.group])))];
  const grouped = groups.length > 0;
  const colors = groups.map((group, i) => options.groupColors?.[group] ?? categoricalPalette[i % categoricalPalette.length]!);
  const rows = shown.map((bar) => ({
    category: bar.category, group: bar.group ?? '', value: bar.value,
    low: bar.value - (bar.error ?? 0), high: bar.value + (bar.error ?? 0),
  }));
  const horizontal = options.horizontal ?? false;
  const [categoryChannel, valueChannel, offsetChannel] = horizontal ? ['y', 'x', 'yOffset'] : ['x', 'y', 'xOffset'];
  const value = positionChannel('value', options.valueLabel, scale, domain, extent(rows.map((r) => r.value)), options.valueFormat, true);
  const category = { field: 'category', type: 'nominal', title: options.categoryLabel, sort: categories, axis: { labelAngle: 0, labelLimit: 160 } };
  const bandCount = categories.length * Math.max(1, groups.length);
  const defaultLength = Math.min(640, Math.max(160, bandCount * 22));
  const width = requireSize(options.width, horizontal ? 380 : defaultLength, plot, 'width');
  const height = requireSize(options.height, horizontal ? defaultLength : 240, plot, 'height');
  const colour = grouped
    ? { color: { field: 'group', type: 'nominal', scale: { domain: groups, range: colors }, legend: { title: null, orient: 'right' }, sort: null }, [offsetChannel]: { field: 'group', sort: groups } }
    : {};
  const layers: Record<string, unknown>[] = [
    { mark: { type: 'bar', ...(grouped ? {} : { color: categoricalPalette[0] }) }, encoding: { [categoryChannel]: category, [valueChannel]: value, ...colour } },
  ];
  if (options.bars.some((bar) => bar.error !== undefined)) {
    layers.push({
      mark: { type: 'rule', color: '#222222', strokeWidth: 1 },
      encoding: { [categoryChannel]: category, [valueChannel]: { ...value, field: 'low' }, [`${valueChannel}2`]: { field: 'high' }, ...(grouped ? { [offsetChannel]: { field: 'group', sort: groups } } : {}) },
    });
  }
  if (options.showValues) {
    layers.push({
      mark: { type: 'text', fontSize: 10, color: '#222222', ...(horizontal ? { align: 'left', dx: 3 } : { baseline: 'bottom', dy: -2 }) },
      encoding: {
        [categoryChannel]: category, [valueChannel]: value, ...(grouped ? { [offsetChannel]: { field: 'group', sort: groups } } : {}),
        text: { field: 'value', type: 'quantitative', format: options.valueFormat ?? '~g' },
      },
    });
  }
  const spec = { title: titleSpec(options), width, height, data: { values: rows }, layer: layers } as unknown as TopLevelSpec;
  const description = options.description ??
    `Bar chart "${options.title}": ${options.valueLabel} per ${options.categoryLabel} (${categories.length} categories${grouped ? `; groups ${groups.join(', ')}` : ''}).` + droppedNote(dropped);
  return renderVegaLite(spec, { title: options.title, description });
}

/**
 * A scatter plot (one shape and colour per series, optional point labels) rendered to an SVG string.
 * @example await scatter({ title: 'Efficiency', xLabel: 'parameters', yLabel: 'test error', xScale: 'log', series: [{ name: 'ResNet', points: [{ x: 1.7e6, y: 0.065, label: 'ResNet-110' }] }] })
 */
export async function scatter(options: ScatterOptions): Promise<string> {
  const plot = `scatter "${options.title}"`;
  requireText(options.title, 'scatter', 'title');
  requireText(options.xLabel, plot, 'xLabel');
  requireText(options.yLabel, plot, 'yLabel');
  if (options.series.length === 0) throw new PlotError(`report/${plot}: no series to draw`);
  requireUniqueNames(options.series.map((s) => s.name), plot, 'series');
  const xScale = options.xScale ?? 'linear';
  const yScale = options.yScale ?? 'linear';
  const xDomain = requireDomain(options.xDomain, xScale, plot, 'xDomain');
  const yDomain = requireDomain(options.yDomain, yScale, plot, 'yDomain');
  let dropped = 0;
  const rows = options.series.flatMap((s) => {
    const shown = showablePoints(s.points, xScale, yScale);
    dropped += shown.dropped;
    return shown.kept.map((p) => ({ series: s.name, x: p.x, y: p.y, label: p.label ?? '' }));
  });
  const names = options.series.map((s) => s.name);
  let next = 0;
  const colors = options.series.map((s) => s.color ?? categoricalPalette[next++ % categoricalPalette.length]!);
  const legendOrient = options.legend ?? 'right';
  const legend = legendOrient === 'none' ? null : { title: null, orient: legendOrient };
  const x = positionChannel('x', options.xLabel, xScale, xDomain, extent(rows.map((r) => r.x)), options.xFormat, false);
  const y = positionChannel('y', options.yLabel, yScale, yDomain, extent(rows.map((r) => r.y)), options.yFormat, false);
  // Keep points on the edge of the data range whole instead of half clipped by the frame.
  (x.scale as Record<string, unknown>).padding = 10;
  (y.scale as Record<string, unknown>).padding = 10;
  const key = { field: 'series', type: 'nominal', legend, sort: null };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'point', filled: true, size: 60, opacity: 0.9, clip: true },
      encoding: { x, y, color: { ...key, scale: { domain: names, range: colors } }, shape: { ...key, scale: { domain: names, range: shapes } } },
    },
  ];
  if (rows.some((r) => r.label !== '')) {
    layers.push({ mark: { type: 'text', align: 'left', baseline: 'middle', dx: 7, fontSize: 10, color: '#333333' }, encoding: { x, y, text: { field: 'label' } } });
  }
  const width = requireSize(options.width, 420, plot, 'width');
  const height = requireSize(options.height, 280, plot, 'height');
  const spec = { title: titleSpec(options), width, height, data: { values: rows }, layer: layers } as unknown as TopLevelSpec;
  const description = options.description ?? `Scatter plot "${options.title}": ${options.yLabel} against ${options.xLabel}; series: ${names.join(', ')}.` + droppedNote(dropped);
  return renderVegaLite(spec, { title: options.title, description });
}
