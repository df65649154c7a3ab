/**
 * Vega-Lite / Vega specs → SVG strings, headless in Node (no DOM, no canvas), deterministic.
 *
 * Vega-Lite compiles to a Vega spec; a Vega `View` with `renderer: 'none'` lays out the scene and
 * `toSVG()` serialises it. Three fixes make the output fit for inlining many plots in one page:
 * clip-path/gradient ids restart for every plot (Vega's counters are process-global) and get a
 * per-plot prefix (so two plots on one page never share an id); the root `<svg>` gets a `<title>`
 * and `<desc>` with `role="img"` for screen readers; renders run one at a time because the id
 * counters are shared state.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { escapeHtml } from './escape.js';
import { installTextMetrics } from './text-metrics.js';
import { vegaConfig } from './theme.js';

/** What a screen reader (and a reader of the raw SVG) is told the plot shows. */
export interface PlotLabel {
  /** Short name of the plot; becomes the SVG's `<title>`. */
  readonly title: string;
  /** One or two sentences of alt text; becomes the SVG's `<desc>`. */
  readonly description: string;
}

/** Thrown when a plot cannot be built from its inputs; the message names the plot and the field. */
export class PlotError extends Error {
  override readonly name = 'PlotError';
}

let queue: Promise<unknown> = Promise.resolve();

/** Run `task` after every earlier render has finished (Vega's SVG def ids are global counters). */
function serialised<T>(task: () => Promise<T>): Promise<T> {
  const result = queue.then(task, task);
  queue = result.catch(() => undefined);
  return result;
}

/** 32-bit FNV-1a of a string as 8 hex digits: a stable, short id prefix for one plot's defs. */
export function fnv1aHex(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Give every `id` in the SVG a per-plot prefix and rewrite the references to it. */
function prefixIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(match[1]!);
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_, open: string, id: string, close: string) => `${open}${prefix}${id}${close}`)
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (ids.has(id) ? `url(#${prefix}${id})` : whole))
    .replace(/(href=")#([^"]+)(")/g, (whole, open: string, id: string, close: string) => (ids.has(id) ? `${open}#${prefix}${id}${close}` : whole));
}

/**
 * Round long floats in geometry attributes to 3 decimals (Vega prints paths that way already but
 * not transforms, e.g. `translate(42.000000000000036,16)`): a thousandth of a pixel is invisible,
 * and the SVG gets smaller and diffs cleanly.
 */
function roundGeometry(svg: string): string {
  return svg.replace(/\s(d|transform|x|y|width|height)="([^"]*)"/g, (_, name: string, value: string) =>
    ` ${name}="${value.replace(/-?\d+\.\d{4,}/g, (n) => String(Number(Number(n).toFixed(3))))}"`,
  );
}

/** Add `role="img"`, `aria-labelledby`, `<title>` and `<desc>` to the root `<svg>` element. */
function labelSvg(svg: string, label: PlotLabel, prefix: string): string {
  const openEnd = svg.indexOf('>');
  if (!svg.startsWith('<svg') || openEnd < 0) throw new PlotError(`report/render: Vega did not return an <svg> element for "${label.title}"`);
  // Vega may emit its own ARIA attributes from the spec description; ours replace them.
  const openTag = svg
    .slice(0, openEnd)
    .replace(/\s(?:role|aria-roledescription|aria-label|aria-labelledby)="[^"]*"/g, '');
  const titleId = `${prefix}title`;
  const descId = `${prefix}desc`;
  return (
    `${openTag} role="img" aria-labelledby="${titleId} ${descId}">` +
    `<title id="${titleId}">${escapeHtml(label.title)}</title>` +
    `<desc id="${descId}">${escapeHtml(label.description)}</desc>` +
    svg.slice(openEnd + 1)
  );
}

/** Render a Vega spec to an SVG string (the spec's own config wins over the report theme). */
export function renderVega(spec: vega.Spec, label: PlotLabel): Promise<string> {
  installTextMetrics();
  return serialised(async () => {
    vega.resetSVGDefIds();
    const view = new vega.View(vega.parse(spec), { renderer: 'none', logLevel: vega.Error });
    try {
      const raw = await view.toSVG();
      // The prefix hashes the raw SVG, so identical data gives identical ids and bytes.
      const prefix = `p${fnv1aHex(raw)}-`;
      return labelSvg(prefixIds(roundGeometry(raw), prefix), label, prefix);
    } catch (error) {
      throw new PlotError(`report/render: Vega failed to render "${label.title}": ${(error as Error).message}`);
    } finally {
      view.finalize();
    }
  });
}

/** The theme with a plot's own config on top, merged one level deep (`axis`, `legend`, …). */
function mergeConfig(theme: object, own: object): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...theme };
  for (const [key, value] of Object.entries(own)) {
    const base = merged[key];
    const bothObjects = typeof base === 'object' && base !== null && !Array.isArray(base) && typeof value === 'object' && value !== null && !Array.isArray(value);
    merged[key] = bothObjects ? { ...base, ...value } : value;
  }
  return merged;
}

/** Compile a Vega-Lite spec with the report theme and render it to an SVG string. */
export function renderVegaLite(spec: TopLevelSpec, label: PlotLabel): Promise<string> {
  let compiled: vega.Spec;
  try {
    compiled = compile({ ...spec, config: mergeConfig(vegaConfig, spec.config ?? {}) } as TopLevelSpec).spec as vega.Spec;
  } catch (error) {
    return Promise.reject(new PlotError(`report/render: Vega-Lite could not compile "${label.title}": ${(error as Error).message}`));
  }
  return renderVega(compiled, label);
}
