/** Small SVG charts drawn by hand (no chart library): line charts and log-scale bars. */

const SVG = 'http://www.w3.org/2000/svg';

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: [number, number][];
}

interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function element<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** 1-2-5 "nice" ticks covering [low, high]. */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return `${(v / 1000).toFixed(a >= 10000 ? 0 : 1)}k`;
  return a < 0.01 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

/** How far a chart may be enlarged beyond its drawing box when its container is wide. */
export const MAX_SCALE = 1.5;

function frame(svg: SVGSVGElement, box: Box, title: string): void {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${box.width} ${box.height}`);
  // Drawn for about its box's size: much wider, its type would be set huge.
  svg.style.maxWidth = `${Math.round(box.width * MAX_SCALE)}px`;
  svg.append(element('title', {}, title));
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yMax?: number;
  yMin?: number;
  /** Logarithmic y axis (decades), for values spanning several orders of magnitude. */
  logY?: boolean;
  legend?: Omit<Series, 'points'>[];
  /** Tick labels for integer x positions (block names, layer names). */
  xTicks?: string[];
}

/** A line chart with axes, ticks and a legend; y from 0 unless `yMin` is given. */
export function drawLineChart(svg: SVGSVGElement, series: Series[], options: LineChartOptions): void {
  // The legend has rows of its own under the title (wrapping when long), so run names never cover the plot.
  const legend: { s: Omit<Series, 'points'>; x: number; y: number }[] = [];
  let legendX = 46;
  let legendY = 26;
  for (const s of options.legend ?? series) {
    const width = s.label.length * 5.6 + 38;
    if (legendX > 46 && legendX + width - 16 > 420) {
      legendX = 46;
      legendY += 13;
    }
    legend.push({ s, x: legendX, y: legendY });
    legendX += width;
  }
  const box: Box = { width: 420, height: 226 + legendY, left: 46, right: 12, top: legendY + 14, bottom: options.xTicks ? 52 : 36 };
  frame(svg, box, options.title);
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const toY = (v: number): number => (options.logY ? Math.log10(v) : v);
  const ys = all.map((p) => toY(p[1])).filter(Number.isFinite);
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs, xMin + 1) : 1;
  const yMin = options.logY ? Math.floor(ys.length ? Math.min(...ys) : 0) : options.yMin ?? Math.min(0, ...ys);
  const yMax = options.logY ? Math.max(Math.ceil(ys.length ? Math.max(...ys) : 1), yMin + 1) : options.yMax ?? (ys.length ? Math.max(...ys) * 1.05 || 1 : 1);
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const sx = (x: number): number => box.left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const sy = (v: number): number => {
    const y = toY(v);
    return box.top + plotH - ((Math.min(Math.max(Number.isFinite(y) ? y : yMin, yMin), yMax) - yMin) / (yMax - yMin || 1)) * plotH;
  };

  const axes = element('g', { class: 'axis' });
  const yTicks = options.logY ? Array.from({ length: yMax - yMin + 1 }, (_, i) => 10 ** (yMin + i)) : niceTicks(yMin, yMax, 4);
  for (const t of yTicks) {
    axes.append(element('line', { x1: box.left, x2: box.width - box.right, y1: sy(t), y2: sy(t), class: 'grid' }));
    axes.append(element('text', { x: box.left - 6, y: sy(t) + 4, 'text-anchor': 'end' }, formatTick(t)));
  }
  if (options.xTicks) {
    options.xTicks.forEach((label, i) => {
      const x = sx(i);
      axes.append(element('text', { x, y: box.height - box.bottom + 12, 'text-anchor': 'end', transform: `rotate(-40 ${x} ${box.height - box.bottom + 12})` }, label));
    });
  } else for (const t of niceTicks(xMin, xMax, 5)) {
    axes.append(element('text', { x: sx(t), y: box.height - box.bottom + 16, 'text-anchor': 'middle' }, formatTick(t)));
  }
  axes.append(element('text', { x: box.left + plotW / 2, y: box.height - 4, 'text-anchor': 'middle', class: 'axis-label' }, options.xLabel));
  axes.append(element('text', { x: box.left, y: 16, class: 'chart-title' }, options.title));
  svg.append(axes);

  for (const { s, x, y } of legend) {
    svg.append(element('line', { x1: x, x2: x + 18, y1: y, y2: y, stroke: s.color, 'stroke-width': 2.5, ...(s.dashed ? { 'stroke-dasharray': '5 3' } : {}) }));
    svg.append(element('text', { x: x + 22, y: y + 4, class: 'legend' }, s.label));
  }
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
    svg.append(element('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round', class: 'series', 'data-label': s.label, 'data-points': s.points.length, ...(s.dashed ? { 'stroke-dasharray': '6 4' } : {}) }));
    if (s.points.length === 1) svg.append(element('circle', { cx: sx(s.points[0]![0]), cy: sy(s.points[0]![1]), r: 3, fill: s.color }));
  }
}

/**
 * One bar per layer, height ∝ log10 of the gradient norm over a shared [lo, hi] decade range, so
 * two runs' bars compare directly and a gradient that vanishes with depth shows as a slope.
 */
export function drawGradientBars(svg: SVGSVGElement, layers: string[], norms: number[], range: [number, number], color: string, title: string): void {
  const box: Box = { width: 420, height: 170, left: 46, right: 8, top: 22, bottom: 26 };
  frame(svg, box, title);
  const [lo, hi] = range;
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const sy = (v: number): number => box.top + plotH - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo || 1)) * plotH;
  const axes = element('g', { class: 'axis' });
  for (let e = lo; e <= hi; e++) {
    axes.append(element('line', { x1: box.left, x2: box.width - box.right, y1: sy(10 ** e), y2: sy(10 ** e), class: 'grid' }));
    axes.append(element('text', { x: box.left - 6, y: sy(10 ** e) + 4, 'text-anchor': 'end' }, `1e${e}`));
  }
  axes.append(element('text', { x: box.left, y: 14, class: 'chart-title' }, title));
  axes.append(element('text', { x: box.left + plotW / 2, y: box.height - 6, 'text-anchor': 'middle', class: 'axis-label' }, 'layer (input → output)'));
  svg.append(axes);
  const slot = plotW / Math.max(layers.length, 1);
  layers.forEach((layer, i) => {
    const value = norms[i] ?? 0;
    const y = sy(value);
    const bar = element('rect', {
      x: box.left + i * slot + slot * 0.12, y, width: Math.max(slot * 0.76, 1), height: Math.max(box.top + plotH - y, 0),
      fill: color, class: 'bar', 'data-layer': layer, 'data-value': value,
    });
    bar.append(element('title', {}, `${layer}: ‖∂L/∂W‖ = ${value.toExponential(2)}`));
    svg.append(bar);
  });
}

/**
 * A heat map of matrix[row][column] in [0, 1] (NaN cells left empty), as Huang et al. 2017 Fig. 5
 * draws feature reuse: rows are target layers, columns source layers.
 */
export function drawHeatmap(svg: SVGSVGElement, matrix: number[][], options: { title: string; rowLabel: string; columnLabel: string; rowNames?: string[] }): void {
  const rows = matrix.length;
  const columns = Math.max(1, ...matrix.map((r) => r.length));
  const cell = Math.min(26, 150 / Math.max(rows, columns));
  const box: Box = { width: 70 + columns * cell + 12, height: 40 + rows * cell + 30, left: 70, right: 12, top: 28, bottom: 30 };
  frame(svg, box, options.title);
  const axes = element('g', { class: 'axis' });
  axes.append(element('text', { x: 4, y: 14, class: 'chart-title' }, options.title));
  axes.append(element('text', { x: box.left + (columns * cell) / 2, y: box.top + rows * cell + 24, 'text-anchor': 'middle', class: 'axis-label' }, options.columnLabel));
  axes.append(element('text', { x: 4, y: box.top + (rows * cell) / 2 + 4, class: 'axis-label' }, options.rowLabel));
  svg.append(axes);
  matrix.forEach((row, r) => row.forEach((value, c) => {
    if (Number.isNaN(value)) return;
    // White (0) to the accent green (1), the same scale for every block.
    const level = Math.round(255 - value * 200);
    const rect = element('rect', { x: box.left + c * cell, y: box.top + r * cell, width: cell - 1, height: cell - 1, fill: `rgb(${level}, ${Math.round(255 - value * 128)}, ${Math.round(255 - value * 160)})`, class: 'heat', 'data-value': value });
    rect.append(element('title', {}, `${options.rowNames?.[r] ?? `target ${r + 1}`} ← source ${c}: ${value.toFixed(2)}`));
    svg.append(rect);
  }));
}

/** The decade range covering every finite positive value (at least two decades). */
export function decadeRange(values: number[]): [number, number] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [-4, 0];
  // Half a decade of room below the smallest bar, so no bar is drawn with zero height.
  const lo = Math.floor(Math.log10(Math.min(...positive)) - 0.5);
  const hi = Math.ceil(Math.log10(Math.max(...positive)));
  return [Math.min(lo, hi - 2), Math.max(hi, lo + 2)];
}
