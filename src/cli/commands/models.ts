import type { Command } from 'commander';
import { SKIP_KINDS } from '../../blocks/skip.js';
import { modelCatalog, type CatalogEntry } from '../../models/catalog.js';
import { parameterMatchedTwin, type MatchedTwin } from '../../models/parameter-matching.js';

/** A paper's rounded count as the paper prints it (0.27M, 1.7M). */
function millions(n: number): string {
  return `${Number((n / 1e6).toPrecision(3))}M`;
}

/** "growthRate 19: 771,000" — the width a parameter-matched twin needs, and its count. */
function matchedText(twin: MatchedTwin | null | undefined): string {
  return twin ? `${twin.option} ${twin.value}: ${twin.parameters.toLocaleString('en-US')}` : '-';
}

function formatTable(entries: (CatalogEntry & { matchedTwin?: MatchedTwin | null })[], matched: boolean): string {
  const header = ['model', 'params', 'plain twin', ...(matched ? ['matched twin'] : []), 'published', 'skips', 'input', 'paper'];
  const numeric = matched ? 4 : 3; // right-aligned columns 1..numeric
  const rows = entries.map((e) => [
    e.name,
    e.parameters.toLocaleString('en-US'),
    e.plainParameters === null ? '-' : e.plainParameters.toLocaleString('en-US'),
    ...(matched ? [matchedText(e.matchedTwin)] : []),
    e.published ? (e.published.tolerance === 0 ? e.published.parameters.toLocaleString('en-US') : `~${millions(e.published.parameters)}`) : '-',
    SKIP_KINDS.filter((k) => e.skipEdges[k]).map((k) => `${e.skipEdges[k]} ${k}`).join(', ') || 'none',
    e.inputShape.join('x'),
    e.paper,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 1 && i <= numeric ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '',
    'Build one with createModel(name, options); options.skip = \'none\' (CLI --skip none) gives the plain twin.',
    ...(matched ? ['The matched twin is the plain twin widened by that option to the parameter count nearest the model\'s (as Srivastava et al. 2015 §4.1 widened their plain nets).'] : [])].join('\n');
}

/** `skiplab models [names...] [--json]`: every registered model with its plain twin, parameter counts and skip kinds. */
export function registerModelsCommand(program: Command): void {
  program
    .command('models')
    .description('list the model zoo: parameters of each model and its plain twin, published counts, skip edges')
    .argument('[names...]', 'only these models')
    .option('--json', 'print as JSON')
    .option('--match-twins', 'also the plain twin widened to the model\'s parameter count (builds a few models per entry)')
    .action((names: string[], flags: { json?: boolean; matchTwins?: boolean }) => {
      const catalog = modelCatalog(names.length > 0 ? names : undefined);
      const entries = flags.matchTwins ? catalog.map((e) => ({ ...e, matchedTwin: parameterMatchedTwin(e.name) })) : catalog;
      if (flags.json) process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
      else process.stdout.write(formatTable(entries, flags.matchTwins === true) + '\n');
    });
}
