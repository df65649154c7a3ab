import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { RepresentationsResults } from '../../experiments/results/representations.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { heatmap, lineChart } from '../plots.js';
import { meanOf, num, runNote } from './common.js';

type Seed = RepresentationsResults['seeds'][number];
type Model = Seed['models'][number];

/** Mean CKA between each block's output and the next one's. */
const adjacentCka = (m: Model): number => meanOf(m.cka.slice(1).map((row, i) => row[i] ?? null));
const meanChange = (m: Model): number => meanOf(m.ratios.map((b) => b.changeRatio));
const meanBranch = (m: Model): number => meanOf(m.ratios.map((b) => b.branchRatio));
const meanDrift = (m: Model): number => meanOf((m.drift ?? []).map((d) => d.drift));

function conclusion(r: Seed): string {
  const res = r.models.find((m) => m.family === 'residual');
  const plain = r.models.find((m) => m.family === 'plain');
  if (res && plain) {
    return `A residual block moves its input by ${num(meanChange(res), 2)}× its norm on average (branch ‖F(x)‖/‖x‖ = ${num(meanBranch(res), 2)}) against ${num(meanChange(plain), 2)}× for a plain block; adjacent block outputs have CKA ${num(adjacentCka(res), 2)} (residual) vs ${num(adjacentCka(plain), 2)} (plain), and weights moved ${num(meanDrift(res), 2)} vs ${num(meanDrift(plain), 2)} of their initial norm.`;
  }
  const m = r.models[0]!;
  return `A block of the ${m.family} model moves its input by ${num(meanChange(m), 2)}× its norm on average (branch ‖F(x)‖/‖x‖ = ${num(meanBranch(m), 2)}); adjacent block outputs have CKA ${num(adjacentCka(m), 2)}.`;
}

export async function representationsSection(r: Seed, header: AnalysisResultsHeader): Promise<ReportSection> {
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
    conclusion: conclusion(r),
    blocks: [
      paragraphBlock(`Residual nets refine a representation a little per block (Greff et al. 2017; Veit et al. 2016 §6); plain blocks must rebuild it. ${runNote(header, r.seed)}`),
      figureBlock(change, 'Relative change per block (log scale).'),
      ...heatmaps,
      ...drift,
      tableBlock(['block', ...r.models.map((m) => `${m.family} ‖y − x‖/‖x‖`), ...(withBranch ? [`${withBranch.family} ‖F(x)‖/‖x‖`] : [])],
        first.blocks.map((b, i) => [b, ...r.models.map((m) => num(m.ratios[i]?.changeRatio, 3)), ...(withBranch ? [num(withBranch.ratios[i]?.branchRatio, 3)] : [])]), { caption: 'Per block.' }),
    ],
  };
}
