import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { IdentityConstructionResults } from '../../experiments/results/identity-construction.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { barChart } from '../plots.js';
import { num, pct, runNote, type SeedSection } from './common.js';

type Seed = IdentityConstructionResults['seeds'][number];

export async function identityConstructionSection(r: Seed, header: AnalysisResultsHeader): Promise<SeedSection> {
  const chart = await barChart({
    title: 'Training error: shallow, constructed deep, and deep from scratch', categoryLabel: 'model', valueLabel: 'training error', valueFormat: '.1%', showValues: true, horizontal: true,
    bars: r.rows.map((row) => ({ category: row.name, value: row.trainError })),
  });
  return {
    id: 'identity-construction',
    title: 'The construction argument (He et al. 2015 §1)',
    blocks: [
      paragraphBlock(`The inserted blocks use identity convolution kernels and batch norms that pass through in evaluation mode, so the deeper net computes what the shallow one does. Training error is measured in evaluation mode on the whole training subset. ${runNote(header, r.seed)}`),
      figureBlock(chart, 'Training error of the shallow net, the constructed deep net and the deep net trained from scratch.'),
      tableBlock(['model', 'depth', 'training error', 'test error'], r.rows.map((row) => [row.name, row.depth, pct(row.trainError, 2), pct(row.testError, 2)]), { caption: `Largest |logit| difference between the shallow net and the constructed one: ${num(r.maxOutputDifference, 6)} (${r.inserted.length} blocks inserted).` }),
    ],
  };
}
