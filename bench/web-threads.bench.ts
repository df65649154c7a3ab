/**
 * Browser-lab training speed on 1 thread and on every core, in headless Chromium (the `web`
 * section of `npm run bench`, stand-alone):
 *
 *   npx tsx bench/web-threads.bench.ts [--rounds 5] [--seconds 3]
 */
import { printWebThreadsTable, runWebThreadsSection } from './web-threads-suite.js';

const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const rounds = option('--rounds', 5);
const rows = await runWebThreadsSection({ rounds, seconds: option('--seconds', 3) }, (line) => process.stderr.write(`${line}\n`));
printWebThreadsTable(rows, (header, lines) => {
  console.log(header.join(' | '));
  for (const l of lines) console.log(l.join(' | '));
}, rounds);
