/** The plain-text tables `npm run bench` prints. */

/** Columns padded to their widest cell; columns from `rightFrom` on are right-aligned (numbers). */
export function printColumns(header: string[], lines: string[][], rightFrom: number): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(format(l));
}

