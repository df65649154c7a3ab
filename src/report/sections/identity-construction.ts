import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { IdentityConstructionResults } from '../../experiments/results/identity-construction.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { barChart } from '../plots.js';
import { num, pct, runNote } from './common.js';

type Seed = IdentityConstructionResults['seeds'][number];

export async function identityConstructionSection(r: Seed, header: AnalysisResultsHeader): Promise<ReportSection> {
  const [shallow, constructed, scratch] = r.rows;
  const chart = await barChart({
    title: 'Training error: a deeper solution exists, but training does not find it', categoryLabel: 'model', valueLabel: 'training error', valueFormat: '.1%', showValues: true, horizontal: true,
    bars: r.rows.map((row) => ({ category: row.name, value: row.trainError })),
  });
  const same = constructed.trainError === shallow.trainError;
  return {
    id: 'identity-construction',
    title: 'The construction argument (He et al. 2015 §1)',
    conclusion: `plain-${constructed.depth} built from the trained plain-${shallow.depth} plus ${r.inserted.length} identity blocks has ${same ? 'exactly the same' : 'a different'} training error (${pct(constructed.trainError, 2)} vs ${pct(shallow.trainError, 2)}; largest logit difference ${num(r.maxOutputDifference, 2)}), while plain-${scratch.depth} trained from scratch with the same recipe ends at ${pct(scratch.trainError, 2)}` +
      (scratch.trainError > constructed.trainError ? ': the solver misses a solution at least as good as the shallow one.' : '.'),
    blocks: [
      paragraphBlock(`The inserted blocks use identity convolution kernels and batch norms that pass through in evaluation mode, so the deeper net computes what the shallow one does. Training error is measured in evaluation mode on the whole training subset. ${runNote(header, r.seed)}`),
      figureBlock(chart, 'Training error of the shallow net, the constructed deep net and the deep net trained from scratch.'),
      tableBlock(['model', 'depth', 'training error', 'test error'], r.rows.map((row) => [row.name, row.depth, pct(row.trainError, 2), pct(row.testError, 2)])),
    ],
  };
}
