/**
 * The report's inline stylesheet: readable type (about 70 characters a line for prose), figures
 * that shrink on narrow screens, tables with tabular figures that scroll sideways when wider than
 * the page (and wrap their cells on paper, where nothing can scroll), and print rules that keep a
 * figure or table on one page. No web fonts, nothing fetched.
 */
import { fontStack } from './theme.js';

export const reportCss = `
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5a5a5f; --rule: #d9d9de; --accent: #0072B2; --paper: #ffffff; --tint: #f5f7fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--paper); color: var(--ink); font: 16px/1.55 ${fontStack}; }
.page { max-width: 72rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
header.report-header { border-bottom: 2px solid var(--ink); padding-bottom: 1rem; margin-bottom: 1.5rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .35rem; letter-spacing: -.01em; }
.subtitle { font-size: 1.1rem; color: var(--muted); margin: 0 0 .6rem; max-width: 46rem; }
.meta { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; margin: 0; font-size: .85rem; color: var(--muted); }
.meta div { display: flex; gap: .4rem; }
.meta dt { font-weight: bold; }
.meta dd { margin: 0; }
nav.toc { background: var(--tint); border: 1px solid var(--rule); border-radius: 6px; padding: .8rem 1.2rem; margin: 0 0 2rem; max-width: 46rem; }
nav.toc h2 { font-size: .95rem; margin: 0 0 .3rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
nav.toc ol { margin: 0; padding-left: 1.6rem; columns: 2 18rem; column-gap: 2rem; }
nav.toc li { break-inside: avoid; }
nav.toc li::marker { color: var(--muted); }
a { color: var(--accent); text-decoration-thickness: 1px; text-underline-offset: 2px; }
section.report-section { margin: 0 0 3rem; scroll-margin-top: 1rem; }
section.report-section > h2 { font-size: 1.45rem; line-height: 1.25; margin: 0 0 .6rem; padding-top: .5rem; border-top: 1px solid var(--rule); }
.section-number { color: var(--muted); font-weight: normal; margin-right: .35rem; }
p { margin: 0 0 .9rem; max-width: 46rem; }
p.conclusion { border-left: 4px solid var(--accent); background: var(--tint); padding: .6rem .9rem; font-size: 1.05rem; }
p.conclusion strong { color: var(--accent); }
figure { margin: 1.2rem 0 1.6rem; max-width: 100%; }
figure .plot { overflow-x: auto; }
figure svg { display: block; max-width: 100%; height: auto; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); }
figure img.pixelated { image-rendering: pixelated; }
.image-row { display: flex; flex-wrap: wrap; gap: .8rem; }
.image-row figure { margin: 0; }
.image-row figcaption { margin-top: .25rem; text-align: center; }
figcaption { font-size: .9rem; color: var(--muted); margin-top: .5rem; max-width: 46rem; }
.label { font-weight: bold; color: var(--ink); }
.table-wrap { overflow-x: auto; max-width: 100%; margin: 1.2rem 0 1.6rem; }
table { border-collapse: collapse; font-size: .92rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-size: .9rem; color: var(--muted); padding-bottom: .4rem; }
th, td { padding: .35rem .8rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); font-weight: bold; white-space: nowrap; }
tbody tr { border-bottom: 1px solid var(--rule); }
tbody tr:nth-child(even) { background: #fafafb; }
tbody th { font-weight: normal; }
td.number, th.number { text-align: right; }
pre { background: var(--tint); border: 1px solid var(--rule); border-radius: 4px; padding: .75rem 1rem; overflow-x: auto; font-size: .82rem; line-height: 1.45; margin: 0; }
code, pre { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; }
details { margin: 1rem 0 1.4rem; }
details summary { cursor: pointer; color: var(--accent); margin-bottom: .4rem; }
.code-block { margin: 1rem 0 1.4rem; }
footer.report-footer { border-top: 1px solid var(--rule); margin-top: 3rem; padding-top: .8rem; font-size: .85rem; color: var(--muted); }
@media (max-width: 40rem) { .page { padding: 1rem .8rem 3rem; } h1 { font-size: 1.5rem; } nav.toc ol { columns: 1; } }
@media print {
  body { font-size: 11pt; }
  .page { max-width: none; padding: 0; }
  nav.toc { break-after: page; background: none; }
  section.report-section > h2 { break-after: avoid; }
  figure, .table-wrap, pre, p.conclusion { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  .table-wrap table { font-size: 7.5pt; }
  .table-wrap th, .table-wrap td, thead th { white-space: normal; overflow-wrap: anywhere; }
  details > *:not(summary) { display: block; }
  a { color: inherit; text-decoration: none; }
}
`;
