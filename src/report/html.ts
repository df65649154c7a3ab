/**
 * The report page: one self-contained HTML file — inline CSS, inline SVG plots, PNGs as data URLs,
 * no scripts and no network — with a table of contents, numbered sections that open with their
 * measured conclusion, numbered figures and tables with captions. All user text is escaped; SVG
 * is accepted only as produced by `plots.ts` (checked, since it is inserted as markup).
 */
import { escapeHtml } from './escape.js';
import { reportCss } from './html-style.js';

export type TableCell = string | number | null;

/** A plot from `plots.ts`, inserted as inline SVG. */
export interface FigureBlock {
  readonly kind: 'figure';
  readonly svg: string;
  readonly caption: string;
}

export interface TableBlock {
  readonly kind: 'table';
  readonly headers: readonly string[];
  readonly rows: readonly (readonly TableCell[])[];
  readonly caption?: string;
  /** Right-align these columns (default: columns whose cells are all numbers or numeric text). */
  readonly numericColumns?: readonly number[];
}

export interface ParagraphBlock {
  readonly kind: 'paragraph';
  /** Plain text; `backticked` spans are set as code. */
  readonly text: string;
}

/** One PNG (e.g. predicted segmentation masks) embedded as a data URL. */
export interface ImageBlock {
  readonly kind: 'image';
  /** `data:image/png;base64,...` — nothing else, so the page stays self-contained. */
  readonly dataUrl: string;
  readonly alt: string;
  readonly caption?: string;
  /** Display width in CSS px (default: the image's own width). */
  readonly width?: number;
  /** Keep pixels square when scaled up (masks, MNIST digits). */
  readonly pixelated?: boolean;
}

/** Several small PNGs in a row with a label under each and one caption for the row. */
export interface ImageRowBlock {
  readonly kind: 'images';
  readonly images: readonly { readonly dataUrl: string; readonly alt: string; readonly label?: string }[];
  readonly caption?: string;
  readonly width?: number;
  readonly pixelated?: boolean;
}

/** Preformatted text such as a run's config.json; `collapsed` puts it in a `<details>`. */
export interface CodeBlock {
  readonly kind: 'code';
  readonly text: string;
  readonly caption?: string;
  readonly collapsed?: boolean;
}

export type ReportBlock = FigureBlock | TableBlock | ParagraphBlock | ImageBlock | ImageRowBlock | CodeBlock;

export interface ReportSection {
  /** Anchor id: lowercase letters, digits and hyphens, starting with a letter; unique per report. */
  readonly id: string;
  readonly title: string;
  /** The measured conclusion in a sentence, shown first (e.g. "plain-56 ends at 12 % ..."). */
  readonly conclusion?: string;
  readonly blocks: readonly ReportBlock[];
}

export interface ReportOptions {
  readonly title: string;
  readonly subtitle?: string;
  readonly sections: readonly ReportSection[];
  /** When the report was built; a Date is printed in UTC so the same inputs give the same bytes. */
  readonly generatedAt: Date | string;
  /** Extra facts for the header, e.g. { label: 'backend', value: 'native' }. */
  readonly meta?: readonly { readonly label: string; readonly value: string }[];
  readonly footer?: string;
}

/** Thrown for report input that cannot be rendered; the message names the section and block. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
}

/** A figure block for a plot made by `plots.ts`. */
export function figureBlock(svg: string, caption: string): FigureBlock {
  return { kind: 'figure', svg, caption };
}

/**
 * A table block; numbers are printed as given, so round them first.
 * @example tableBlock(['model', 'depth', 'train error'], [['plain', 56, '12.3 %']], { caption: 'Final errors' })
 */
export function tableBlock(headers: readonly string[], rows: readonly (readonly TableCell[])[], options: { caption?: string; numericColumns?: readonly number[] } = {}): TableBlock {
  return { kind: 'table', headers, rows, ...options };
}

export function paragraphBlock(text: string): ParagraphBlock {
  return { kind: 'paragraph', text };
}

export function codeBlock(text: string, options: { caption?: string; collapsed?: boolean } = {}): CodeBlock {
  return { kind: 'code', text, ...options };
}

export function imageBlock(dataUrl: string, alt: string, options: { caption?: string; width?: number; pixelated?: boolean } = {}): ImageBlock {
  return { kind: 'image', dataUrl, alt, ...options };
}

const sectionIdPattern = /^[a-z][a-z0-9-]*$/;
const pngDataUrlPattern = /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/;
const numericText = /^[-+−]?(\d[\d,]*\.?\d*|\.\d+)(e[-+]?\d+)?\s*(%|×|x)?$/i;

function requireText(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ReportError(`report/html: ${where} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

/** Inline text: escaped, with `backticked` spans set as code. */
function inline(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/**
 * Check an SVG from `plots.ts` before inserting it as markup, and drop the XML namespace
 * declarations (implied for `<svg>` inside HTML) so the page holds no URL of any kind.
 */
function inlineSvg(svg: string, where: string): string {
  const trimmed = svg.trim();
  if (!trimmed.startsWith('<svg') || !trimmed.endsWith('</svg>')) throw new ReportError(`report/html: ${where}: svg must be one <svg>…</svg> element from plots.ts`);
  if (/<script|<foreignObject|\son\w+\s*=|javascript:/i.test(trimmed)) throw new ReportError(`report/html: ${where}: svg contains script or event handlers; only plots from plots.ts are accepted`);
  if (/(?:href|src)\s*=\s*"(?!#|data:)/i.test(trimmed)) throw new ReportError(`report/html: ${where}: svg references an external resource; reports must be self-contained`);
  return trimmed.replace(/\sxmlns(?::\w+)?="[^"]*"/g, '');
}

function requirePng(dataUrl: string, where: string): string {
  if (!pngDataUrlPattern.test(dataUrl)) throw new ReportError(`report/html: ${where}: image must be a data:image/png;base64 URL (got "${dataUrl.slice(0, 40)}…")`);
  return dataUrl;
}

function requireWidth(width: number | undefined, where: string): string {
  if (width === undefined) return '';
  if (!Number.isFinite(width) || width <= 0 || width > 4000) throw new ReportError(`report/html: ${where}: width must be between 0 and 4000 px, got ${width}`);
  return ` width="${Math.round(width)}"`;
}

function isNumeric(cell: TableCell): boolean {
  return typeof cell === 'number' || (typeof cell === 'string' && numericText.test(cell.trim()));
}

function cellText(cell: TableCell): string {
  if (cell === null) return '—';
  return typeof cell === 'number' ? String(cell) : cell;
}

interface Counters {
  figure: number;
  table: number;
}

function renderTable(block: TableBlock, where: string, counters: Counters): string {
  if (block.headers.length === 0) throw new ReportError(`report/html: ${where}: a table needs at least one header`);
  block.headers.forEach((h, i) => requireText(h, `${where} header ${i}`));
  block.rows.forEach((row, r) => {
    if (row.length !== block.headers.length) throw new ReportError(`report/html: ${where}: row ${r} has ${row.length} cells but there are ${block.headers.length} headers`);
  });
  const numeric = new Set(
    block.numericColumns ?? block.headers.map((_, c) => c).filter((c) => block.rows.length > 0 && block.rows.every((row) => row[c] === null || isNumeric(row[c]!))),
  );
  const cls = (c: number) => (numeric.has(c) ? ' class="number"' : '');
  counters.table += 1;
  const caption = `<caption><span class="label">Table ${counters.table}.</span>${block.caption ? ' ' + inline(block.caption) : ''}</caption>`;
  const head = `<thead><tr>${block.headers.map((h, c) => `<th scope="col"${cls(c)}>${inline(h)}</th>`).join('')}</tr></thead>`;
  // The first column names the row (model, depth…), so it is a row header for screen readers.
  const body = block.rows
    .map((row) => `<tr>${row.map((cell, c) => (c === 0 ? `<th scope="row"${cls(c)}>${inline(cellText(cell))}</th>` : `<td${cls(c)}>${inline(cellText(cell))}</td>`)).join('')}</tr>`)
    .join('\n');
  return `<div class="table-wrap"><table>${caption}${head}<tbody>\n${body}\n</tbody></table></div>`;
}

function figureCaption(counters: Counters, caption: string | undefined): string {
  counters.figure += 1;
  return `<figcaption><span class="label">Figure ${counters.figure}.</span>${caption ? ' ' + inline(caption) : ''}</figcaption>`;
}

function renderBlock(block: ReportBlock, where: string, counters: Counters): string {
  switch (block.kind) {
    case 'figure': {
      requireText(block.caption, `${where} caption`);
      const svg = inlineSvg(block.svg, where);
      return `<figure><div class="plot">${svg}</div>${figureCaption(counters, block.caption)}</figure>`;
    }
    case 'table':
      return renderTable(block, where, counters);
    case 'paragraph':
      return `<p>${inline(requireText(block.text, `${where} text`))}</p>`;
    case 'image': {
      const pixelated = block.pixelated ? ' class="pixelated"' : '';
      const img = `<img src="${requirePng(block.dataUrl, where)}" alt="${escapeHtml(requireText(block.alt, `${where} alt`))}"${requireWidth(block.width, where)}${pixelated}>`;
      return `<figure>${img}${figureCaption(counters, block.caption)}</figure>`;
    }
    case 'images': {
      if (block.images.length === 0) throw new ReportError(`report/html: ${where}: an image row needs at least one image`);
      const pixelated = block.pixelated ? ' class="pixelated"' : '';
      const items = block.images.map((image, i) => {
        const img = `<img src="${requirePng(image.dataUrl, `${where} image ${i}`)}" alt="${escapeHtml(requireText(image.alt, `${where} image ${i} alt`))}"${requireWidth(block.width, where)}${pixelated}>`;
        return `<figure>${img}${image.label ? `<figcaption>${inline(image.label)}</figcaption>` : ''}</figure>`;
      });
      return `<figure><div class="image-row">${items.join('')}</div>${figureCaption(counters, block.caption)}</figure>`;
    }
    case 'code': {
      const pre = `<pre><code>${escapeHtml(block.text)}</code></pre>`;
      if (block.collapsed) return `<details><summary>${inline(block.caption ?? 'Show')}</summary>${pre}</details>`;
      return `<div class="code-block">${block.caption ? `<p class="code-caption">${inline(block.caption)}</p>` : ''}${pre}</div>`;
    }
    default: {
      const unknown: never = block;
      throw new ReportError(`report/html: ${where}: unknown block kind ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

function formatGeneratedAt(value: Date | string): { text: string; datetime: string } {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ReportError('report/html: generatedAt is an invalid Date');
    const iso = value.toISOString();
    return { text: `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`, datetime: iso };
  }
  return { text: requireText(value, 'generatedAt'), datetime: value };
}

/**
 * A complete, self-contained HTML page for a report.
 * @example writeFileSync('report.html', renderReport({ title: 'Degradation', generatedAt: new Date(), sections: [{ id: 'degradation', title: 'Plain vs residual', conclusion: '…', blocks: [figureBlock(svg, '…')] }] }))
 */
export function renderReport(options: ReportOptions): string {
  requireText(options.title, 'title');
  if (options.sections.length === 0) throw new ReportError('report/html: a report needs at least one section');
  const ids = new Set<string>();
  for (const section of options.sections) {
    if (!sectionIdPattern.test(section.id)) throw new ReportError(`report/html: section "${section.title}": id ${JSON.stringify(section.id)} must be lowercase letters, digits and hyphens, starting with a letter`);
    if (section.id === 'toc' || section.id.endsWith('-heading')) throw new ReportError(`report/html: section "${section.title}": id "${section.id}" is reserved ("toc" and ids ending in -heading name the page's own headings)`);
    if (ids.has(section.id)) throw new ReportError(`report/html: two sections have the id "${section.id}"`);
    ids.add(section.id);
    requireText(section.title, `section "${section.id}" title`);
  }
  const generated = formatGeneratedAt(options.generatedAt);
  const counters: Counters = { figure: 0, table: 0 };
  const sections = options.sections.map((section, index) => {
    const number = index + 1;
    const conclusion = section.conclusion ? `<p class="conclusion"><strong>Result.</strong> ${inline(section.conclusion)}</p>` : '';
    const blocks = section.blocks.map((block, b) => renderBlock(block, `section "${section.id}" block ${b} (${block.kind})`, counters));
    return [
      `<section class="report-section" id="${section.id}" aria-labelledby="${section.id}-heading">`,
      `<h2 id="${section.id}-heading"><span class="section-number">${number}</span>${inline(section.title)}</h2>`,
      conclusion,
      ...blocks,
      '</section>',
    ].filter((line) => line !== '').join('\n');
  });
  const toc = options.sections.map((section) => `<li><a href="#${section.id}">${inline(section.title)}</a></li>`).join('\n');
  const meta = [
    `<div><dt>Generated</dt><dd><time datetime="${escapeHtml(generated.datetime)}">${escapeHtml(generated.text)}</time></dd></div>`,
    ...(options.meta ?? []).map((m) => `<div><dt>${inline(requireText(m.label, 'meta label'))}</dt><dd>${inline(m.value)}</dd></div>`),
  ].join('');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(options.title)}</title>`,
    `<style>${reportCss}</style>`,
    '</head>',
    '<body>',
    '<div class="page">',
    '<header class="report-header">',
    `<h1>${inline(options.title)}</h1>`,
    options.subtitle ? `<p class="subtitle">${inline(options.subtitle)}</p>` : '',
    `<dl class="meta">${meta}</dl>`,
    '</header>',
    `<nav class="toc" aria-labelledby="toc-heading"><h2 id="toc-heading">Contents</h2><ol>\n${toc}\n</ol></nav>`,
    '<main>',
    ...sections,
    '</main>',
    `<footer class="report-footer">${inline(options.footer ?? 'Built by skiplab from its run store. Self-contained: no scripts, no network requests.')}</footer>`,
    '</div>',
    '</body>',
    '</html>',
  ].filter((line) => line !== '').join('\n') + '\n';
}
