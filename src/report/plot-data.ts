/**
 * Shared plumbing for the plot builders: input checks with messages that name the plot and the
 * series, dropping of points a scale cannot show (counted, so the alt text says so), and axis
 * specs (log axes get ticks at powers of ten, like the log plots in Veit et al. and Li et al.).
 */
import { PlotError } from './render.js';

export type ScaleType = 'linear' | 'log';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** The frame every plot takes: a title (also the SVG `<title>`), alt text and the plot-area size. */
export interface PlotFrame {
  /** Shown above the plot and used as the SVG `<title>`. */
  readonly title: string;
  /** Smaller second line under the title. */
  readonly subtitle?: string;
  /** Alt text for screen readers; a description is generated from the data when omitted. */
  readonly description?: string;
  /** Width of the plot area in px, without axes and legend (default depends on the plot). */
  readonly width?: number;
  /** Height of the plot area in px. */
  readonly height?: number;
}

export function requireText(value: unknown, plot: string, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new PlotError(`report/${plot}: ${field} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

export function requireSize(value: number | undefined, fallback: number, plot: string, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 20 || value > 4000) throw new PlotError(`report/${plot}: ${field} must be between 20 and 4000 px, got ${value}`);
  return Math.round(value);
}

export function requireDomain(domain: readonly [number, number] | undefined, scale: ScaleType, plot: string, field: string): [number, number] | undefined {
  if (domain === undefined) return undefined;
  const [low, high] = domain;
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) throw new PlotError(`report/${plot}: ${field} must be [low, high] with finite low < high, got [${low}, ${high}]`);
  if (scale === 'log' && low <= 0) throw new PlotError(`report/${plot}: ${field} must be positive on a log scale, got [${low}, ${high}]`);
  return [low, high];
}

/** Names must be unique within one plot: they key the legend and the colour table. */
export function requireUniqueNames(names: readonly string[], plot: string, what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    requireText(name, plot, `${what} name`);
    if (seen.has(name)) throw new PlotError(`report/${plot}: ${what} name "${name}" is used twice; names must be unique within a plot`);
    seen.add(name);
  }
}

/** Whether a scale can place a value (log scales cannot place zero or negatives). */
export function isShowable(value: number, scale: ScaleType): boolean {
  return Number.isFinite(value) && (scale === 'linear' || value > 0);
}

/** Points a scale can show, and how many were dropped (NaN after divergence, zeros on log axes). */
export function showablePoints<P extends Point>(points: readonly P[], xScale: ScaleType, yScale: ScaleType): { kept: P[]; dropped: number } {
  const kept = points.filter((p) => isShowable(p.x, xScale) && isShowable(p.y, yScale));
  return { kept, dropped: points.length - kept.length };
}

/** A sentence for the alt text about dropped points, or '' when none were dropped. */
export function droppedNote(dropped: number): string {
  return dropped === 0 ? '' : ` ${dropped} point${dropped === 1 ? '' : 's'} not shown (not finite, or not positive on a log axis).`;
}

/** Extent of finite values, or undefined when there are none. */
export function extent(values: Iterable<number>): [number, number] | undefined {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return low <= high ? [low, high] : undefined;
}

/**
 * Tick values for a log axis over [low, high]: the powers of ten, plus 2× and 5× when the range
 * spans less than two and a half decades (otherwise there would be only two or three ticks).
 */
export function logTicks(low: number, high: number): number[] {
  const first = Math.floor(Math.log10(low) + 1e-9);
  const last = Math.ceil(Math.log10(high) - 1e-9);
  const multiples = Math.log10(high / low) < 2.5 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) {
    for (const m of multiples) {
      const tick = Number((m * 10 ** k).toPrecision(12));
      if (tick >= low * (1 - 1e-9) && tick <= high * (1 + 1e-9)) ticks.push(tick);
    }
  }
  return ticks;
}

/** Round a positive range out to whole decades (the log-axis analogue of a "nice" domain). */
export function decadeDomain(low: number, high: number): [number, number] {
  const lowPower = Math.floor(Math.log10(low) + 1e-9);
  let highPower = Math.ceil(Math.log10(high) - 1e-9);
  if (highPower === lowPower) highPower += 1;
  return [Number((10 ** lowPower).toPrecision(12)), Number((10 ** highPower).toPrecision(12))];
}

/** A Vega-Lite positional channel definition: scale type and domain, axis title, ticks, format. */
export function positionChannel(
  field: string,
  title: string,
  scale: ScaleType,
  domain: [number, number] | undefined,
  dataExtent: [number, number] | undefined,
  format: string | undefined,
  includeZero: boolean,
): Record<string, unknown> {
  const axis: Record<string, unknown> = { title, grid: true };
  const scaleSpec: Record<string, unknown> = { type: scale };
  if (scale === 'log') {
    const range = domain ?? (dataExtent ? decadeDomain(dataExtent[0], dataExtent[1]) : undefined);
    if (range) {
      scaleSpec.domain = range;
      axis.values = logTicks(range[0], range[1]);
    }
    if (format !== undefined) axis.format = format;
    // Plain decimals in the readable middle, SI prefixes for counts (100k, 1M), 1e-5 for tiny values.
    else axis.labelExpr = "datum.value >= 10000 ? format(datum.value, '~s') : datum.value >= 0.001 ? format(datum.value, '~g') : format(datum.value, '.0e')";
  } else {
    if (domain) scaleSpec.domain = domain;
    else scaleSpec.zero = includeZero;
    scaleSpec.nice = domain === undefined;
    if (format !== undefined) axis.format = format;
  }
  return { field, type: 'quantitative', title, scale: scaleSpec, axis };
}
