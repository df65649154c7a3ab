import type { FeatureReuseResults } from '../../experiments/results/feature-reuse.js';
import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { heatmap } from '../plots.js';
import { meanOf, num, pct, runNote, type SeedSection } from './common.js';

type Seed = FeatureReuseResults['seeds'][number];

export async function featureReuseSection(r: Seed, header: AnalysisResultsHeader): Promise<SeedSection> {
  const figures = [];
  for (const [b, block] of r.blocks.entries()) {
    const layers = block.normalized[0]!.length - 1; // sources: block input + L layers
    figures.push(figureBlock(await heatmap({
      title: `Dense block ${b + 1}: average |weight| from each source`, subtitle: 'normalised per target layer',
      rows: block.normalized.map((_, t) => (t < layers ? `layer ${t + 1}` : 'after the block')),
      cols: block.normalized[0]!.map((_, s) => (s === 0 ? 'block input' : `layer ${s}`)),
      values: block.normalized, domain: [0, 1], colorLabel: 'relative |w|', xLabel: 'source', yLabel: 'target', colorScheme: 'blues',
    }), `Huang et al. 2017 Fig. 5 for dense block ${b + 1}: each row is a layer, each column the feature maps it receives from an earlier layer.`));
  }
  const share = r.nonPredecessorShare;
  return {
    id: 'feature-reuse',
    title: 'Feature reuse in DenseNet (Huang et al. 2017)',
    blocks: [
      paragraphBlock(`For every layer of the trained ${r.table[0]?.name ?? 'DenseNet'}, the mean absolute weight of its first convolution (without bottlenecks its only one, a 3x3 convolution over all earlier layers' maps, as in the paper's Fig. 5) over the channels that come from each earlier layer (and, in the last row, of the layer after the block). ${runNote(header, r.seed)}`),
      ...figures,
      tableBlock(['model', 'parameters', 'training error', 'test error'], r.table.map((t) => [t.name, t.parameters, pct(t.trainError), pct(t.testError)]), { caption: 'Parameter efficiency with the same training recipe.' }),
      tableBlock(['weights', 'share of |w| on non-predecessor sources'], [['at initialisation', pct(share.initial)], ['after training', pct(share.trained)], ['change', pct(share.change)]],
        { caption: 'The mean share of each layer\'s weight on sources other than its direct predecessor. With i.i.d. initial weights every source already gets the same mean |w|, so only the change says what training did.' }),
      tableBlock(['block', 'targets', 'mean |w| at initialisation', 'mean |w| after training'], r.blocks.map((b, i) => [i + 1, b.weights.length, num(meanOf(r.initialBlocks[i]?.weights.flat() ?? []), 4), num(meanOf(b.weights.flat()), 4)])),
    ],
  };
}
