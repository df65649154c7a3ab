import type { BlockChange } from '../../analysis/representations.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { heatmap, lineChart } from '../plots.js';
import { meanOf, num, readResults, runNote } from './common.js';

type Model = { family: 'residual' | 'plain'; blocks: string[]; ratios: BlockChange[]; cka: number[][]; drift: { layer: string; depth: number; drift: number }[] };
type Results = { depth: number; images: number; models: Model[] };

/** Mean CKA between each block's output and the next one's. */
const adjacentCka = (m: Model): number => meanOf(m.cka.slice(1).map((row, i) => row[i]!));

export async function representationsSection(dir: string): Promise<ReportSection> {
  const r = readResults<Results>(dir, 'representations');
  const change = await lineChart({
    title: 'How much each block changes its input', subtitle: '‖y − x‖/‖x‖ (shape-keeping blocks) and ‖F(x)‖/‖x‖ (residual branch)', xLabel: 'block', yLabel: 'relative change', yScale: 'log',
    series: [
      ...r.models.map((m) => ({ name: `${m.family}: ‖y − x‖/‖x‖`, points: m.ratios.flatMap((b, i) => (b.changeRatio && b.changeRatio > 0 ? [{ x: i + 1, y: b.changeRatio }] : [])) })),
      ...r.models.filter((m) => m.family === 'residual').map((m) => ({ name: 'residual: ‖F(x)‖/‖x‖', dashed: true, points: m.ratios.flatMap((b, i) => (b.branchRatio && b.branchRatio > 0 ? [{ x: i + 1, y: b.branchRatio }] : [])) })),
    ],
  });
  const heatmaps = [];
  for (const m of r.models) {
    const labels = m.blocks.map((b, i) => `${i + 1}`);
    heatmaps.push(figureBlock(await heatmap({ title: `Linear CKA between block outputs (${m.family})`, rows: labels, cols: labels, values: m.cka, domain: [0, 1], colorLabel: 'CKA', xLabel: 'block', yLabel: 'block' }),
      `Similarity of the ${m.family} net's block outputs on ${r.images} test images (Kornblith et al. 2019).`));
  }
  const drift = await lineChart({
    title: 'How far each layer\'s weights moved in training', xLabel: 'layer', yLabel: '‖W_t − W_0‖/‖W_0‖',
    series: r.models.map((m) => ({ name: m.family, points: m.drift.map((d) => ({ x: d.depth + 1, y: d.drift })) })),
  });
  const res = r.models.find((m) => m.family === 'residual')!;
  const plain = r.models.find((m) => m.family === 'plain')!;
  const meanChange = (m: Model) => meanOf(m.ratios.flatMap((b) => (b.changeRatio === null ? [] : [b.changeRatio])));
  const meanDrift = (m: Model) => meanOf(m.drift.map((d) => d.drift));
  return {
    id: 'representations',
    title: 'How slowly representations change',
    conclusion: `A residual block moves its input by ${num(meanChange(res), 2)}× its norm on average (branch ‖F(x)‖/‖x‖ = ${num(meanOf(res.ratios.flatMap((b) => (b.branchRatio === null ? [] : [b.branchRatio]))), 2)}) against ${num(meanChange(plain), 2)}× for a plain block; adjacent block outputs have CKA ${num(adjacentCka(res), 2)} (residual) vs ${num(adjacentCka(plain), 2)} (plain), and weights moved ${num(meanDrift(res), 2)} vs ${num(meanDrift(plain), 2)} of their initial norm.`,
    blocks: [
      paragraphBlock(`Residual nets refine a representation a little per block (Greff et al. 2017; Veit et al. 2016 §6); plain blocks must rebuild it. ${runNote(r)}`),
      figureBlock(change, 'Relative change per block (log scale).'),
      ...heatmaps,
      figureBlock(drift, 'Relative weight drift by depth over the whole training run.'),
      tableBlock(['block', ...r.models.map((m) => `${m.family} ‖y − x‖/‖x‖`), 'residual ‖F(x)‖/‖x‖'], res.blocks.map((b, i) => [b, ...r.models.map((m) => num(m.ratios[i]?.changeRatio, 3)), num(res.ratios[i]?.branchRatio, 3)]), { caption: 'Per block.' }),
    ],
  };
}
