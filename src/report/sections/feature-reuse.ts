import type { FeatureReuseResults } from '../../experiments/results/feature-reuse.js';
import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { heatmap } from '../plots.js';
import { meanOf, num, pct, runNote } from './common.js';

type Seed = FeatureReuseResults['seeds'][number];

export async function featureReuseSection(r: Seed, header: AnalysisResultsHeader): Promise<ReportSection> {
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
  // Share of a target's (normalised) weight mass that goes to sources other than its direct predecessor.
  const reuse = meanOf(r.blocks.flatMap((block) => block.normalized.slice(1).map((row, i) => {
    // Row t = i + 1 is layer t + 1 (or the layer after the block); its direct predecessor is source t.
    const valid = row.filter((v): v is number => v !== null);
    const total = valid.reduce((a, v) => a + v, 0);
    return (total - (row[i + 1] ?? 0)) / total;
  })));
  const [dense, resnet] = r.table;
  return {
    id: 'feature-reuse',
    title: 'Feature reuse in DenseNet (Huang et al. 2017)',
    conclusion: `Across the dense blocks, ${pct(reuse, 0)} of each layer's (normalised) weight goes to feature maps from layers other than its direct predecessor, so early features are reused deep in the block` +
      (dense && resnet ? `; ${dense.name} reaches ${pct(dense.testError)} test error with ${dense.parameters.toLocaleString('en')} parameters vs ${pct(resnet.testError)} for ${resnet.name} with ${resnet.parameters.toLocaleString('en')}.` : '.'),
    blocks: [
      paragraphBlock(`For every layer of a trained DenseNet-BC, the mean absolute weight of its first convolution over the channels that come from each earlier layer (and, in the last row, of the layer after the block). ${runNote(header, r.seed)}`),
      ...figures,
      tableBlock(['model', 'parameters', 'training error', 'test error'], r.table.map((t) => [t.name, t.parameters, pct(t.trainError), pct(t.testError)]), { caption: 'Parameter efficiency with the same training recipe.' }),
      tableBlock(['block', 'targets', 'mean |w| (raw)'], r.blocks.map((b, i) => [i + 1, b.weights.length, num(meanOf(b.weights.flat()), 4)])),
    ],
  };
}
