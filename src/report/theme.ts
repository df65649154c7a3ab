/**
 * The look shared by every plot in a report: a colour-blind-safe palette, one font stack that needs
 * no downloads, and the Vega config that applies them. Kept in one place so all figures of a
 * report match, the way a paper's figures do.
 */

/**
 * Okabe & Ito's colour-blind-safe categorical palette (Color Universal Design, 2008), reordered
 * so the first colours are the most distinct on white; their yellow is left out because thin
 * lines in it vanish on a white page.
 */
export const categoricalPalette: readonly string[] = [
  '#0072B2', // blue
  '#D55E00', // vermillion
  '#009E73', // bluish green
  '#CC79A7', // reddish purple
  '#E69F00', // orange
  '#56B4E9', // sky blue
  '#000000', // black
  '#8C6D31', // brown (not Okabe-Ito; an eighth colour that is still distinct for deuteranopes)
];

/** Neutral grey for reference lines, missing cells and secondary marks. */
export const neutralColor = '#999999';

/**
 * Fonts present on every desktop (Helvetica on macOS, Arial on Windows, Liberation Sans on Linux
 * are metrically identical), so nothing is fetched and `text-metrics.ts` can size text exactly.
 */
export const fontStack = 'Helvetica, Arial, "Liberation Sans", sans-serif';

/** Anchor colours of matplotlib's viridis (perceptually uniform, colour-blind-safe), 9 stops. */
const viridisStops: readonly (readonly [number, number, number])[] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

function hex(channel: number): string {
  return Math.round(Math.min(255, Math.max(0, channel))).toString(16).padStart(2, '0');
}

/** Viridis at t in [0, 1], linearly interpolated between the anchor stops. */
export function viridis(t: number): string {
  const clamped = Math.min(1, Math.max(0, t));
  const position = clamped * (viridisStops.length - 1);
  const low = Math.min(viridisStops.length - 2, Math.floor(position));
  const fraction = position - low;
  const a = viridisStops[low]!;
  const b = viridisStops[low + 1]!;
  return '#' + [0, 1, 2].map((i) => hex(a[i]! + (b[i]! - a[i]!) * fraction)).join('');
}

/**
 * n ordered colours for series that have an order (epochs, depths): dark purple → green. Stops at
 * 0.85 of viridis because its last yellow is unreadable as a thin line on white.
 */
export function sequentialColors(n: number): string[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`report/theme: sequentialColors needs a positive integer count, got ${n}`);
  if (n === 1) return [viridis(0.35)];
  return Array.from({ length: n }, (_, i) => viridis((0.85 * i) / (n - 1)));
}

/** Colour schemes a heatmap or contour plot may use (all are Vega built-ins). */
export type ColorScheme = 'viridis' | 'magma' | 'blues' | 'greys' | 'blueorange' | 'redblue';

/** The Vega config every plot is rendered with: sizes in px, the font stack, quiet grid lines. */
export const vegaConfig = {
  background: 'white',
  padding: 6,
  font: fontStack,
  view: { stroke: '#bbbbbb' },
  title: { fontSize: 14, fontWeight: 'bold', anchor: 'start', offset: 8, color: '#222222', subtitleFontSize: 12, subtitleColor: '#555555' },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: 'normal',
    titleColor: '#222222',
    labelColor: '#333333',
    domainColor: '#666666',
    tickColor: '#666666',
    gridColor: '#e6e6e6',
    labelOverlap: true,
  },
  legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal', symbolStrokeWidth: 2, labelLimit: 220, rowPadding: 3 },
  header: { labelFontSize: 13, labelFontWeight: 'bold', titleFontSize: 13 },
  // Tell assistive technology what the marks are, but not one element per data point.
  mark: { aria: false },
} as const;
