import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { RepresentationsResults } from '../../experiments/results/representations.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { heatmap, lineChart } from '../plots.js';
import { adjacentCka, meanChange } from '../claims/representations.js';
import { meanOf, num, runNote, type SeedSection } from './common.js';

type Seed = RepresentationsResults['seeds'][number];

export async function representationsSection(r: Seed, header: AnalysisResultsHeader): Promise<SeedSection> {
  const positive = (v: number | null, i: number) => (v !== null && v > 0 ? [{ x: i + 1, y: v }] : []);
  const change = await lineChart({
    title: 'How much each block changes its input', subtitle: '‖y − x‖/‖x‖ (shape-keeping blocks) and ‖F(x)‖/‖x‖ (residual branch)', xLabel: 'block', yLabel: 'relative change', yScale: 'log',
    series: [
      ...r.models.map((m) => ({ name: `${m.family}: ‖y − x‖/‖x‖`, points: m.ratios.flatMap((b, i) => positive(b.changeRatio, i)) })),
      ...r.models.filter((m) => m.ratios.some((b) => b.branchRatio !== null)).map((m) => ({ name: `${m.family}: ‖F(x)‖/‖x‖`, dashed: true, points: m.ratios.flatMap((b, i) => positive(b.branchRatio, i)) })),
    ],
  });
  const heatmaps = [];
  for (const m of r.models) {
    const labels = m.blocks.map((_, i) => `${i + 1}`);
    heatmaps.push(figureBlock(await heatmap({ title: `Linear CKA between block outputs (${m.family})`, rows: labels, cols: labels, values: m.cka, domain: [0, 1], colorLabel: 'CKA', xLabel: 'block', yLabel: 'block' }),
      `Similarity of the ${m.family} net's block outputs on ${r.images} test images (Kornblith et al. 2019).`));
  }
  const drifting = r.models.filter((m) => m.drift !== null);
  const drift = drifting.length > 0 ? [figureBlock(await lineChart({
    title: 'How far each layer\'s weights moved in training', xLabel: 'layer', yLabel: '‖W_t − W_0‖/‖W_0‖',
    series: drifting.map((m) => ({ name: m.family, points: m.drift!.flatMap((d) => (d.drift === null ? [] : [{ x: d.depth + 1, y: d.drift }])) })),
  }), 'Relative weight drift by depth over the whole training run.')] : [paragraphBlock('Weight drift needs the initial weights, which weights trained elsewhere do not come with.')];
  const first = r.models[0]!;
  const withBranch = r.models.find((m) => m.ratios.some((b) => b.branchRatio !== null));
  return {
    id: 'representations',
    title: 'How slowly representations change',
    blocks: [
      paragraphBlock(`The papers' claim (Greff et al. 2017; Veit et al. 2016 §6): residual nets refine a representation a little per block, where plain blocks must rebuild it. ${runNote(header, r.seed)}`),
      figureBlock(change, 'Relative change per block (log scale).'),
      ...heatmaps,
      ...drift,
      tableBlock(['block', ...r.models.map((m) => `${m.family} ‖y − x‖/‖x‖`), ...(withBranch ? [`${withBranch.family} ‖F(x)‖/‖x‖`] : [])],
        first.blocks.map((b, i) => [b, ...r.models.map((m) => num(m.ratios[i]?.changeRatio, 3)), ...(withBranch ? [num(withBranch.ratios[i]?.branchRatio, 3)] : [])]), { caption: 'Per block.' }),
      tableBlock(['model', 'parameters', 'mean ‖y − x‖/‖x‖', 'mean adjacent-block CKA', 'mean weight drift'], r.models.map((m) => [m.family, m.parameters, num(meanChange(m), 3), num(adjacentCka(m), 3), num(meanOf((m.drift ?? []).map((d) => d.drift)), 3)]), { caption: `Seed ${r.seed}.` }),
    ],
  };
}
