/**
 * Text widths for Vega's layout when no canvas exists (Node, no native `canvas` package).
 *
 * Vega sizes legends, axis-title offsets and label-overlap removal from text widths. Without a
 * canvas it guesses 0.8 × font size per character, which is about 50 % too wide for Helvetica and
 * leaves plots loose and legends far apart. Here widths come from the Helvetica AFM metrics
 * (Arial and Liberation Sans share them), so layout is tight, the same on every machine, and
 * byte-identical from run to run. Vega documents replacing `textMetrics.width` for exactly this
 * (vl-convert does the same).
 */
import * as vega from 'vega';

/** Advance widths in 1/1000 em for printable ASCII 32..126 (Helvetica AFM). */
const helveticaAscii: readonly number[] = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space ! " # $ % & ' ( ) * + , - . /
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
  278, 278, 584, 584, 584, 556, 1015, // : ; < = > ? @
  667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // A-Z
  278, 278, 278, 469, 556, 333, // [ \ ] ^ _ `
  556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // a-z
  334, 260, 334, 584, // { | } ~
];

/** Widths of the non-ASCII characters plots use (× − – — ‖ · … and Greek letters). */
const helveticaExtra: ReadonlyMap<string, number> = new Map([
  ['×', 584], ['−', 584], ['–', 556], ['—', 1000], ['‖', 520], ['·', 278], ['…', 1000], ['±', 584], ['°', 400],
  ['α', 580], ['β', 570], ['γ', 500], ['δ', 556], ['ε', 470], ['η', 556], ['λ', 500], ['μ', 576], ['σ', 590], ['θ', 556],
]);

/** Bold Helvetica is about 6 % wider on average for the characters used in titles. */
const boldFactor = 1.06;

/** Width in px of `text` at `fontSize` px in the report's font stack. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let units = 0;
  for (const character of text) {
    const code = character.codePointAt(0)!;
    if (code >= 32 && code <= 126) units += helveticaAscii[code - 32]!;
    else units += helveticaExtra.get(character) ?? 556;
  }
  return (units / 1000) * fontSize * (bold ? boldFactor : 1);
}

/** The fields of a Vega text scene item that decide its width. */
interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

let installed = false;

/** Make Vega measure text with `textWidth` (idempotent; affects only this process's Vega). */
export function installTextMetrics(): void {
  if (installed) return;
  // `textMetrics` is exported at runtime (re-exported from vega-scenegraph) but missing from
  // vega's type declarations.
  const textMetrics = (vega as unknown as { textMetrics?: { width: unknown } }).textMetrics;
  if (textMetrics === undefined) throw new Error('report/text-metrics: this vega build does not export textMetrics; pin vega 6.4');
  textMetrics.width = (item: TextItem, text?: string | number | null) => {
    const value = text == null ? '' : String(text).trim();
    const size = item.fontSize != null ? +item.fontSize || 0 : 11;
    const bold = item.fontWeight === 'bold' || (typeof item.fontWeight === 'number' && item.fontWeight >= 600);
    return textWidth(value, size, bold);
  };
  installed = true;
}
