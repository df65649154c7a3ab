import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { TransformerResidualResults } from '../../experiments/results/transformer-residual.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { lineChart } from '../plots.js';
import { pct, runNote, type SeedSection } from './common.js';

type Seed = TransformerResidualResults['seeds'][number];
type Run = Seed['runs'][number];

export async function transformerResidualSection(r: Seed, header: AnalysisResultsHeader): Promise<SeedSection> {
  const loss = await lineChart({
    title: 'Training loss, pre-LN transformer with and without residual adds', xLabel: 'step', yLabel: 'training loss', yScale: 'log',
    series: r.runs.map((run) => ({ name: run.name, group: `${run.layers} blocks`, dashed: !run.residual, points: run.losses.map((p) => ({ x: p.step, y: p.loss })) })),
    styleLegend: { solid: 'residual', dashed: 'no residual' },
  });
  const sequence = r.sequence;
  const probe = await lineChart({
    title: 'Linear probe for token position', subtitle: 'held-out accuracy of a ridge probe on each block\'s output', xLabel: 'block', yLabel: 'position accuracy', yFormat: '.0%',
    series: r.runs.map((run) => ({ name: run.name, group: `${run.layers} blocks`, dashed: !run.residual, points: run.probes.map((p, i) => ({ x: i + 1, y: p.testAccuracy })) })),
    styleLegend: { solid: 'residual', dashed: 'no residual' },
    referenceLines: [{ axis: 'y', value: 1 / sequence, label: 'chance' }],
  });
  const lastProbe = (run: Run) => run.probes[run.probes.length - 1]!.testAccuracy;
  return {
    id: 'transformer-residual',
    title: 'Residual adds in a pre-LN transformer',
    blocks: [
      paragraphBlock(`Images are read as sequences of rows (one token per row, learned position embeddings, width ${r.dim}); the plain twin computes x = Attn(LN(x)), x = MLP(LN(x)) without the additions. ${runNote(header, r.seed)}`),
      figureBlock(loss, 'Training loss per step (log scale); colour is depth, dashed lines have no residual adds.'),
      figureBlock(probe, 'Held-out accuracy of the position probe on each block\'s output.'),
      tableBlock(['model', 'final training loss', 'training error', 'test error', 'position probe (input embeddings)', 'position probe (last block)'], r.runs.map((run) => [run.name, run.trainLoss[run.trainLoss.length - 1]!.toFixed(3), pct(run.finalTrainError), pct(run.finalTestError), pct(run.embeddingProbe.testAccuracy), pct(lastProbe(run))]),
        { caption: `Held-out accuracy of a linear probe for token position (${sequence} tokens per sequence, chance ${pct(1 / sequence)}); the probe on the input embeddings is the baseline: what there is to keep.` }),
    ],
  };
}
