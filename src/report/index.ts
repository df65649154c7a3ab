/**
 * Reports: plots rendered at build time to inline SVG (Vega-Lite / Vega) and one self-contained
 * HTML page per report. Nothing below this layer imports it; the CLI and the web lab do.
 */
export {
  PlotError, barChart, categoricalPalette, contourPlot, heatmap, lineChart, scatter, sequentialColors, smallMultiples,
  type Bar, type BarChartOptions, type ColorScheme, type ContourPlotOptions, type HeatmapOptions, type LineChartOptions, type LineSeries,
  type LineStyleLegend, type PlotFrame, type Point, type ReferenceLine, type ScaleType, type ScatterOptions, type ScatterPoint, type ScatterSeries,
  type SmallMultiplesOptions,
} from './plots.js';
export {
  ReportError, codeBlock, figureBlock, imageBlock, paragraphBlock, renderReport, tableBlock,
  type CodeBlock, type FigureBlock, type ImageBlock, type ImageRowBlock, type ParagraphBlock, type ReportBlock, type ReportOptions,
  type ReportSection, type TableBlock, type TableCell,
} from './html.js';
export { escapeHtml } from './escape.js';
