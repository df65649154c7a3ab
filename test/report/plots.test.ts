import { describe, expect, it } from 'vitest';
import { logTicks } from '../../src/report/plot-data.js';
import { barChart, contourPlot, heatmap, lineChart, PlotError, scatter, sequentialColors, smallMultiples, type LineSeries } from '../../src/report/plots.js';

/** The number of elements opened by `<g class="CLASS…` (Vega names every mark group by type and role). */
function countGroups(svg: string, classPrefix: string): number {
  return svg.split(`<g class="${classPrefix}`).length - 1;
}

/** The `<path>` elements directly inside every `<g class="CLASS…">` group (mark items are paths). */
function pathsInGroups(svg: string, classPrefix: string): number {
  let total = 0;
  for (const part of svg.split(`<g class="${classPrefix}`).slice(1)) {
    const body = part.slice(0, part.indexOf('</g>'));
    total += body.split('<path').length - 1;
  }
  return total;
}

/** Text content of every `<text>` element. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

/** Labels of left y axes (Vega places them 7 px left of the axis line, anchored at their end). */
function yAxisLabels(svg: string): string[] {
  return [...svg.matchAll(/<text text-anchor="end" transform="translate\(-7,[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

/** Number of `<text>` elements inside every `<g class="CLASS…">` group. */
function textsInGroups(svg: string, classPrefix: string): number {
  let total = 0;
  for (const part of svg.split(`<g class="${classPrefix}`).slice(1)) total += part.slice(0, part.indexOf('</g>')).split('<text').length - 1;
  return total;
}

const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ x: i + 1, y: f(i) }));

describe('lineChart', () => {
  const series: LineSeries[] = [
    { name: 'plain-20', points: ramp(10, (i) => 0.9 - 0.05 * i) },
    { name: 'plain-56', points: ramp(10, (i) => 0.9 - 0.03 * i), dashed: true },
    { name: 'residual-56', points: ramp(10, (i) => 0.9 - 0.07 * i) },
  ];

  it('draws one line per series and labels the axes and the legend', async () => {
    const svg = await lineChart({ title: 'Training error', xLabel: 'epoch', yLabel: 'training error', series });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(countGroups(svg, 'mark-line role-mark')).toBe(3);
    expect(pathsInGroups(svg, 'mark-line role-mark')).toBe(3);
    const labels = texts(svg);
    for (const name of ['plain-20', 'plain-56', 'residual-56', 'epoch', 'training error', 'Training error']) expect(labels).toContain(name);
    // The dashed series is the only one drawn with a dash pattern.
    expect(svg.match(/stroke-dasharray="5,3"/g)?.length).toBe(2); // the line and its legend symbol
  });

  it('puts a title and description in the SVG for screen readers', async () => {
    const svg = await lineChart({ title: 'Loss', description: 'Loss falls for both nets.', xLabel: 'step', yLabel: 'loss', series });
    expect(svg).toMatch(/^<svg[^>]* role="img" aria-labelledby="(p[0-9a-f]{8}-title) (p[0-9a-f]{8}-desc)"/);
    expect(svg).toContain('>Loss</title>');
    expect(svg).toContain('>Loss falls for both nets.</desc>');
  });

  it('puts log-scale ticks at powers of ten', async () => {
    const svg = await lineChart({
      title: 'Gradient norm', xLabel: 'layer', yLabel: 'norm', yScale: 'log',
      series: [{ name: 'init', points: ramp(8, (i) => 3e-4 * 10 ** (i / 2)) }], // 3e-4 … ≈ 0.95
    });
    expect(yAxisLabels(svg)).toEqual(['1e-4', '0.001', '0.01', '0.1', '1']);
  });

  it('drops points a log axis cannot show and says so in the description', async () => {
    const svg = await lineChart({ title: 'With zeros', xLabel: 'x', yLabel: 'y', yScale: 'log', series: [{ name: 's', points: [{ x: 1, y: 0 }, { x: 2, y: 1 }, { x: 3, y: Number.NaN }, { x: 4, y: 10 }] }] });
    expect(svg).toContain('2 points not shown');
  });

  it('rejects bad input with a message naming the plot and field', async () => {
    await expect(lineChart({ title: 'Dup', xLabel: 'x', yLabel: 'y', series: [series[0]!, series[0]!] })).rejects.toThrow(/lineChart "Dup".*series name "plain-20" is used twice/);
    await expect(lineChart({ title: 'Empty', xLabel: 'x', yLabel: 'y', series: [] })).rejects.toThrow(PlotError);
    await expect(lineChart({ title: 'Dom', xLabel: 'x', yLabel: 'y', yScale: 'log', yDomain: [0, 1], series })).rejects.toThrow(/yDomain must be positive on a log scale/);
  });

  it('gives byte-identical SVG for the same data, different SVG for different data', async () => {
    const options = { title: 'Same', xLabel: 'epoch', yLabel: 'error', series };
    const [a, b] = await Promise.all([lineChart(options), lineChart(options)]);
    expect(a).toBe(b);
    const c = await lineChart({ ...options, series: [...series.slice(0, 2), { name: 'residual-56', points: ramp(10, (i) => 0.9 - 0.06 * i) }] });
    expect(c).not.toBe(a);
  });

  it('gives each plot its own clip-path ids so several plots can share a page', async () => {
    const a = await lineChart({ title: 'A', xLabel: 'x', yLabel: 'y', series });
    const b = await lineChart({ title: 'B', xLabel: 'x', yLabel: 'y', series });
    const ids = (svg: string) => [...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
    expect(ids(a).length).toBeGreaterThan(2);
    for (const id of ids(a)) expect(ids(b)).not.toContain(id);
    // Every url(#…) reference points at an id defined in the same SVG.
    for (const ref of a.matchAll(/url\(#([^)]+)\)/g)) expect(ids(a)).toContain(ref[1]);
  });
});

describe('smallMultiples', () => {
  const depths = [20, 56];
  const panel = (kind: string, slope: number): LineSeries[] =>
    depths.flatMap((d) => [
      { name: `${d} train`, group: `${d} layers`, dashed: true, points: ramp(6, (i) => 0.8 - slope * i * (d / 56)) },
      { name: `${d} test`, group: `${d} layers`, points: ramp(6, (i) => 0.85 - slope * i * (d / 56)) },
    ]);

  it('draws the panels side by side with one legend entry per group plus the line styles', async () => {
    const svg = await smallMultiples({
      title: 'Degradation', xLabel: 'epoch', yLabel: 'error', styleLegend: { solid: 'test error', dashed: 'training error' },
      panels: [{ title: 'plain', series: panel('plain', 0.05) }, { title: 'residual', series: panel('residual', 0.1) }],
    });
    expect(countGroups(svg, 'mark-line role-mark')).toBe(8);
    const labels = texts(svg);
    for (const label of ['plain', 'residual', '20 layers', '56 layers', 'test error', 'training error']) expect(labels.filter((t) => t === label)).toHaveLength(1);
    // Both panels share one y scale: their y tick labels are identical.
    const yTicks = yAxisLabels(svg);
    expect(yTicks.length).toBeGreaterThan(2);
    const half = yTicks.length / 2;
    expect(yTicks.slice(0, half)).toEqual(yTicks.slice(half));
  });

  it('wraps panels into rows with `columns`, still sharing one y scale', async () => {
    const svg = await smallMultiples({
      title: 'Grid', xLabel: 'layer', yLabel: 'gradient norm', yScale: 'log', columns: 2,
      panels: [1, 2, 3, 4].map((k) => ({ title: `net ${k}`, series: [{ name: 'init', points: ramp(5, (i) => 1e-3 * 10 ** ((k * i) / 4)) }] })),
    });
    const ticks = yAxisLabels(svg);
    expect(ticks.length % 4).toBe(0);
    const perPanel = ticks.length / 4;
    for (let p = 1; p < 4; p++) expect(ticks.slice(p * perPanel, (p + 1) * perPanel)).toEqual(ticks.slice(0, perPanel));
    // The y title is drawn once per row, on the left panel.
    expect(texts(svg).filter((t) => t === 'gradient norm')).toHaveLength(2);
  });

  it('rejects a panel without series', async () => {
    await expect(smallMultiples({ title: 'P', xLabel: 'x', yLabel: 'y', panels: [{ title: 'empty', series: [] }] })).rejects.toThrow(/panel "empty" has no series/);
  });
});

describe('heatmap', () => {
  it('draws rows × cols cells with their labels', async () => {
    const rows = ['b1', 'b2', 'b3'];
    const cols = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const values = rows.map((_, r) => cols.map((_, c) => (r === 1 && c === 4 ? null : (r + c) / 6)));
    const svg = await heatmap({ title: 'CKA', rows, cols, values, domain: [0, 1], colorLabel: 'CKA' });
    expect(pathsInGroups(svg, 'mark-rect role-mark')).toBe(15);
    const labels = texts(svg);
    for (const label of [...rows, ...cols]) expect(labels).toContain(label);
    // Every cell but the null one prints its value; the null cell is drawn light grey.
    expect(textsInGroups(svg, 'mark-text role-mark')).toBe(14);
    expect(svg.match(/fill="#eeeeee"/g)).toHaveLength(1);
  });

  it('rejects a values matrix of the wrong shape', async () => {
    await expect(heatmap({ title: 'H', rows: ['a', 'b'], cols: ['x'], values: [[1]] })).rejects.toThrow(/values has 1 rows but 2 row labels/);
    await expect(heatmap({ title: 'H', rows: ['a'], cols: ['x', 'y'], values: [[1]] })).rejects.toThrow(/values\[0\] has 1 entries but there are 2 columns/);
  });
});

describe('contourPlot', () => {
  const grid = Array.from({ length: 11 }, (_, i) => -1 + i / 5);
  const bowl = grid.map((y) => grid.map((x) => 0.1 + x * x + 2 * y * y));

  it('draws one filled contour per level and the marker', async () => {
    const svg = await contourPlot({ title: 'Loss surface', xs: grid, ys: grid, values: bowl, xLabel: 'δ', yLabel: 'η', levels: [0.1, 0.5, 1, 2], marker: { x: 0, y: 0, label: 'minimum' } });
    expect(pathsInGroups(svg, 'mark-path role-mark')).toBe(4);
    expect(texts(svg)).toContain('minimum');
    expect(texts(svg)).toContain('δ');
  });

  it('rejects uneven grids and mismatched shapes', async () => {
    await expect(contourPlot({ title: 'C', xs: [0, 1, 3], ys: grid, values: bowl, xLabel: 'x', yLabel: 'y' })).rejects.toThrow(/xs must be evenly spaced/);
    await expect(contourPlot({ title: 'C', xs: grid, ys: grid, values: bowl.slice(1), xLabel: 'x', yLabel: 'y' })).rejects.toThrow(/values has 10 rows but ys has 11/);
  });
});

describe('barChart and scatter', () => {
  it('draws one bar per (category, group) in the given order', async () => {
    const bars = ['1', '2', '3'].flatMap((category) => [{ category, group: 'residual', value: 0.1 }, { category, group: 'plain', value: 0.8 }]);
    const svg = await barChart({ title: 'Lesion', categoryLabel: 'deleted block', valueLabel: 'test error', bars });
    expect(pathsInGroups(svg, 'mark-rect role-mark')).toBe(6);
    const labels = texts(svg);
    expect(labels.indexOf('1')).toBeLessThan(labels.indexOf('3'));
    expect(labels).toContain('residual');
  });

  it('draws every scatter point with its label', async () => {
    const svg = await scatter({ title: 'Efficiency', xLabel: 'parameters', yLabel: 'error', xScale: 'log', series: [{ name: 'ResNet', points: [{ x: 2.7e5, y: 0.09, label: 'ResNet-20' }, { x: 1.7e6, y: 0.06, label: 'ResNet-110' }] }] });
    expect(pathsInGroups(svg, 'mark-symbol role-mark')).toBe(2);
    expect(texts(svg)).toEqual(expect.arrayContaining(['ResNet-20', 'ResNet-110', '100k', '1M']));
  });
});

describe('helpers', () => {
  it('logTicks gives decades, and 1-2-5 steps inside short ranges', () => {
    expect(logTicks(1e-3, 10)).toEqual([0.001, 0.01, 0.1, 1, 10]);
    expect(logTicks(1, 10)).toEqual([1, 2, 5, 10]);
  });

  it('sequentialColors gives n distinct hex colours', () => {
    const colors = sequentialColors(5);
    expect(new Set(colors).size).toBe(5);
    for (const c of colors) expect(c).toMatch(/^#[0-9a-f]{6}$/);
  });
});
