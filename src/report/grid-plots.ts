/**
 * Plots of values on a grid: `heatmap` (linear CKA between block outputs, Kornblith et al. 2019;
 * DenseNet feature reuse, Huang et al. 2017 Fig. 5) and `contourPlot` (2-D loss surfaces around a
 * minimum, Li et al. 2018 Fig. 5). The heatmap is Vega-Lite; the contour plot is plain Vega because
 * Vega's `isocontour` transform (marching squares from d3-contour) has no Vega-Lite counterpart.
 * Re-exported from `plots.ts`.
 */
import type * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { logTicks, requireSize, requireText, type PlotFrame } from './plot-data.js';
import { PlotError, renderVega, renderVegaLite } from './render.js';
import { fontStack, vegaConfig, type ColorScheme } from './theme.js';

export interface HeatmapOptions extends PlotFrame {
  /** Row labels, top to bottom. */
  readonly rows: readonly string[];
  /** Column labels, left to right. */
  readonly cols: readonly string[];
  /** values[r][c] for row r and column c; null marks a cell with no value (drawn light grey). */
  readonly values: readonly (readonly (number | null)[])[];
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Default 'viridis'; diverging schemes get a domain symmetric about zero. */
  readonly colorScheme?: ColorScheme;
  /** Colour scale domain; default: the extent of the values. */
  readonly domain?: readonly [number, number];
  /** Title of the colour legend, e.g. "CKA". */
  readonly colorLabel?: string;
  /** Print each value in its cell (default: when there are at most 144 cells). */
  readonly showValues?: boolean;
  /** d3-format for printed values and legend labels (default '.2f'). */
  readonly valueFormat?: string;
}

export interface ContourPlotOptions extends PlotFrame {
  /** Grid x coordinates, ascending and evenly spaced (e.g. the α of Li et al.'s directions). */
  readonly xs: readonly number[];
  /** Grid y coordinates, ascending and evenly spaced. */
  readonly ys: readonly number[];
  /** values[j][i] is the value at (xs[i], ys[j]); non-finite values are drawn as the largest finite one. */
  readonly values: readonly (readonly number[])[];
  readonly xLabel: string;
  readonly yLabel: string;
  /** Number of contour levels (default 12) or the explicit level values. */
  readonly levels?: number | readonly number[];
  /** Space automatic levels geometrically and colour on a log scale (losses span decades). */
  readonly logLevels?: boolean;
  readonly colorScheme?: ColorScheme;
  /** Title of the colour legend, e.g. "training loss". */
  readonly colorLabel?: string;
  /** A point to mark, e.g. the trained minimum at (0, 0). */
  readonly marker?: { readonly x: number; readonly y: number; readonly label?: string };
}

const darkAtLow: ReadonlySet<ColorScheme> = new Set(['viridis', 'magma']);
const diverging: ReadonlySet<ColorScheme> = new Set(['blueorange', 'redblue']);

/** Text colour that stays readable on a cell whose value sits at fraction t of the colour domain. */
function textColorOn(scheme: ColorScheme, t: number): string {
  if (diverging.has(scheme)) return Math.abs(t - 0.5) > 0.32 ? '#ffffff' : '#111111';
  const darkness = darkAtLow.has(scheme) ? 1 - t : t;
  return darkness > 0.55 ? '#ffffff' : '#111111';
}

/**
 * A heatmap with one rect per cell rendered to an SVG string.
 * @example await heatmap({ title: 'Linear CKA', rows: names, cols: names, values: cka, domain: [0, 1], colorLabel: 'CKA' })
 */
export async function heatmap(options: HeatmapOptions): Promise<string> {
  const plot = `heatmap "${options.title}"`;
  requireText(options.title, 'heatmap', 'title');
  const { rows, cols, values } = options;
  if (rows.length === 0 || cols.length === 0) throw new PlotError(`report/${plot}: needs at least one row and one column, got ${rows.length} × ${cols.length}`);
  if (new Set(rows).size !== rows.length) throw new PlotError(`report/${plot}: row labels must be unique`);
  if (new Set(cols).size !== cols.length) throw new PlotError(`report/${plot}: column labels must be unique`);
  if (values.length !== rows.length) throw new PlotError(`report/${plot}: values has ${values.length} rows but ${rows.length} row labels`);
  values.forEach((row, r) => {
    if (row.length !== cols.length) throw new PlotError(`report/${plot}: values[${r}] has ${row.length} entries but there are ${cols.length} columns`);
  });
  const scheme = options.colorScheme ?? 'viridis';
  const finite = values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  let domain: [number, number];
  if (options.domain) {
    if (!(options.domain[0] < options.domain[1])) throw new PlotError(`report/${plot}: domain must be [low, high] with low < high`);
    domain = [options.domain[0], options.domain[1]];
  } else if (finite.length === 0) {
    domain = [0, 1];
  } else {
    const low = Math.min(...finite);
    const high = Math.max(...finite);
    const bound = Math.max(Math.abs(low), Math.abs(high)) || 1;
    domain = diverging.has(scheme) ? [-bound, bound] : low === high ? [low - 0.5, high + 0.5] : [low, high];
  }
  const format = options.valueFormat ?? '.2f';
  const cells = rows.flatMap((row, r) =>
    cols.map((col, c) => {
      const raw = values[r]![c]!;
      const value = raw !== null && Number.isFinite(raw) ? raw : null;
      const t = value === null ? 0 : Math.min(1, Math.max(0, (value - domain[0]) / (domain[1] - domain[0])));
      return { row, col, value, textColor: textColorOn(scheme, t) };
    }),
  );
  const cellSize = Math.min(40, Math.max(12, Math.floor(360 / Math.max(rows.length, cols.length))));
  const width = requireSize(options.width, cellSize * cols.length, plot, 'width');
  const height = requireSize(options.height, cellSize * rows.length, plot, 'height');
  const x = { field: 'col', type: 'ordinal', sort: [...cols], title: options.xLabel ?? null, axis: { labelAngle: cols.some((c) => c.length > 3) ? -45 : 0, domain: false, ticks: false } };
  const y = { field: 'row', type: 'ordinal', sort: [...rows], title: options.yLabel ?? null, axis: { domain: false, ticks: false } };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'rect', invalid: 'show', stroke: 'white', strokeWidth: cellSize >= 16 ? 1 : 0.5 },
      encoding: {
        x, y,
        color: {
          condition: { test: 'datum.value === null', value: '#eeeeee' },
          field: 'value', type: 'quantitative',
          scale: { scheme, domain, clamp: true, ...(diverging.has(scheme) ? { domainMid: 0 } : {}) },
          legend: { title: options.colorLabel ?? null, format, gradientLength: Math.max(80, Math.min(height, 220)) },
        },
      },
    },
  ];
  if (options.showValues ?? cells.length <= 144) {
    layers.push({
      transform: [{ filter: 'datum.value !== null' }],
      mark: { type: 'text', fontSize: Math.min(11, Math.max(8, cellSize / 3.2)) },
      encoding: { x, y, text: { field: 'value', type: 'quantitative', format }, color: { condition: { test: "datum.textColor === '#ffffff'", value: '#ffffff' }, value: '#111111' } },
    });
  }
  const spec = {
    title: { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) },
    width, height, data: { values: cells }, layer: layers,
    config: { axis: { grid: false } },
  } as unknown as TopLevelSpec;
  const description = options.description ??
    `Heatmap "${options.title}": ${rows.length} rows${options.yLabel ? ` (${options.yLabel})` : ''} by ${cols.length} columns${options.xLabel ? ` (${options.xLabel})` : ''}; colour from ${domain[0]} to ${domain[1]}.`;
  return renderVegaLite(spec, { title: options.title, description });
}

/** Require ascending, evenly spaced coordinates (the contour grid maps index → position linearly). */
function requireEvenGrid(coordinates: readonly number[], plot: string, field: string): number {
  if (coordinates.length < 2) throw new PlotError(`report/${plot}: ${field} needs at least 2 coordinates, got ${coordinates.length}`);
  const step = (coordinates[coordinates.length - 1]! - coordinates[0]!) / (coordinates.length - 1);
  if (!(step > 0)) throw new PlotError(`report/${plot}: ${field} must be ascending`);
  coordinates.forEach((value, i) => {
    if (!Number.isFinite(value) || Math.abs(value - (coordinates[0]! + i * step)) > 0.01 * step) {
      throw new PlotError(`report/${plot}: ${field} must be evenly spaced; ${field}[${i}] = ${value}, expected ${coordinates[0]! + i * step}`);
    }
  });
  return step;
}

function contourLevels(options: ContourPlotOptions, low: number, high: number, plot: string): number[] {
  if (Array.isArray(options.levels)) {
    const levels = [...(options.levels as readonly number[])];
    if (levels.length === 0 || levels.some((l, i) => !Number.isFinite(l) || (i > 0 && l <= levels[i - 1]!))) {
      throw new PlotError(`report/${plot}: levels must be finite and strictly ascending`);
    }
    return levels;
  }
  const count = (options.levels as number | undefined) ?? 12;
  if (!Number.isInteger(count) || count < 2 || count > 64) throw new PlotError(`report/${plot}: levels must be an integer from 2 to 64, got ${count}`);
  if (high === low) return [low];
  // The lowest level equals the minimum, so the first filled band covers the whole grid.
  if (options.logLevels) {
    if (low <= 0) throw new PlotError(`report/${plot}: logLevels needs positive values; the smallest is ${low}`);
    return Array.from({ length: count }, (_, i) => low * (high / low) ** (i / count));
  }
  return Array.from({ length: count }, (_, i) => low + ((high - low) * i) / count);
}

/**
 * Filled contours of a 2-D grid with contour lines, a colour legend and an optional marker,
 * rendered to an SVG string.
 * @example await contourPlot({ title: 'ResNet-20 loss surface', xs: alphas, ys: betas, values: loss, xLabel: 'δ', yLabel: 'η', logLevels: true, marker: { x: 0, y: 0, label: 'minimum' } })
 */
export async function contourPlot(options: ContourPlotOptions): Promise<string> {
  const plot = `contourPlot "${options.title}"`;
  requireText(options.title, 'contourPlot', 'title');
  requireText(options.xLabel, plot, 'xLabel');
  requireText(options.yLabel, plot, 'yLabel');
  const dx = requireEvenGrid(options.xs, plot, 'xs');
  const dy = requireEvenGrid(options.ys, plot, 'ys');
  const nx = options.xs.length;
  const ny = options.ys.length;
  if (options.values.length !== ny) throw new PlotError(`report/${plot}: values has ${options.values.length} rows but ys has ${ny} coordinates`);
  options.values.forEach((row, j) => {
    if (row.length !== nx) throw new PlotError(`report/${plot}: values[${j}] has ${row.length} entries but xs has ${nx} coordinates`);
  });
  const finite = options.values.flat().filter((v) => Number.isFinite(v));
  if (finite.length === 0) throw new PlotError(`report/${plot}: no finite values to contour`);
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  const replaced = nx * ny - finite.length;
  // d3-contour reads the grid row-major with row 0 at the top of the picture: highest y first.
  const flat: number[] = [];
  for (let j = ny - 1; j >= 0; j--) for (const v of options.values[j]!) flat.push(Number.isFinite(v) ? v : high);
  const levels = contourLevels(options, low, high, plot);
  const width = requireSize(options.width, 320, plot, 'width');
  const height = requireSize(options.height, 320, plot, 'height');
  // Sample i sits at the centre of grid cell i, so the axes extend half a step past the samples.
  const xDomain = [options.xs[0]! - dx / 2, options.xs[nx - 1]! + dx / 2];
  const yDomain = [options.ys[0]! - dy / 2, options.ys[ny - 1]! + dy / 2];
  const logColor = options.logLevels === true && levels[0]! > 0;
  const axisStyle = { ...vegaConfig.axis, labelFont: fontStack, titleFont: fontStack, grid: false };
  const spec = {
    width, height, padding: vegaConfig.padding, autosize: 'pad', background: 'white',
    title: { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) },
    config: {
      title: { ...vegaConfig.title, font: fontStack, subtitleFont: fontStack },
      axis: axisStyle,
      legend: { ...vegaConfig.legend, labelFont: fontStack, titleFont: fontStack },
      text: { font: fontStack },
    },
    data: [
      {
        name: 'contours',
        values: [{ width: nx, height: ny, values: flat, scale: [width / nx, height / ny] }],
        transform: [{ type: 'isocontour', thresholds: levels, smooth: true }],
      },
      { name: 'marker', values: options.marker ? [{ x: options.marker.x, y: options.marker.y, label: options.marker.label ?? '' }] : [] },
    ],
    scales: [
      { name: 'x', type: 'linear', domain: xDomain, range: 'width', zero: false, nice: false },
      { name: 'y', type: 'linear', domain: yDomain, range: 'height', zero: false, nice: false },
      {
        name: 'color', type: logColor ? 'log' : 'linear', domain: [levels[0]!, Math.max(high, levels[levels.length - 1]!)],
        range: { scheme: options.colorScheme ?? 'viridis' }, zero: false, nice: false,
      },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: options.xLabel, tickCount: 5 },
      { orient: 'left', scale: 'y', title: options.yLabel, tickCount: 5 },
    ],
    legends: [{
      fill: 'color', type: 'gradient', title: options.colorLabel ?? '', format: '.3~g', gradientLength: Math.max(80, height - 40),
      // Vega labels only the ends of a log gradient; ticks at 1-2-5 × powers of ten read better.
      ...(logColor ? { values: logTicks(levels[0]!, Math.max(high, levels[levels.length - 1]!)) } : {}),
    }],
    marks: [
      {
        type: 'path', from: { data: 'contours' }, clip: true,
        encode: { enter: { fill: { scale: 'color', field: 'contour.value' }, stroke: { value: '#ffffff' }, strokeWidth: { value: 0.6 }, strokeOpacity: { value: 0.7 } } },
        transform: [{ type: 'geopath', field: 'datum.contour' }],
      },
      {
        type: 'symbol', from: { data: 'marker' },
        encode: { enter: { x: { scale: 'x', field: 'x' }, y: { scale: 'y', field: 'y' }, shape: { value: 'cross' }, size: { value: 90 }, fill: { value: '#ffffff' }, stroke: { value: '#000000' }, strokeWidth: { value: 1 } } },
      },
      {
        type: 'text', from: { data: 'marker' },
        encode: { enter: { x: { scale: 'x', field: 'x', offset: 8 }, y: { scale: 'y', field: 'y', offset: -6 }, text: { field: 'label' }, fill: { value: '#ffffff' }, fontSize: { value: 11 }, font: { value: fontStack } } },
      },
    ],
  } as unknown as vega.Spec;
  const description = options.description ??
    `Contour plot "${options.title}": ${options.colorLabel ?? 'value'} over ${options.xLabel} (${options.xs[0]} to ${options.xs[nx - 1]}) and ${options.yLabel} (${options.ys[0]} to ${options.ys[ny - 1]}), ${nx} × ${ny} grid, from ${low.toPrecision(3)} to ${high.toPrecision(3)}, ${levels.length} levels.` +
    (replaced > 0 ? ` ${replaced} non-finite grid values drawn as the maximum.` : '');
  return renderVega(spec, { title: options.title, description });
}
