import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { LesionResults } from '../../experiments/results/lesion.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { lineChart } from '../plots.js';
import { meanOf, pct, runNote } from './common.js';

type Seed = LesionResults['seeds'][number];
type Model = Seed['models'][number];

function conclusion(r: Seed): string {
  const res = r.models.find((m) => m.family === 'residual');
  const plain = r.models.find((m) => m.family === 'plain');
  const atMost = (m: Model) => m.random[m.random.length - 1];
  if (res && plain) {
    const shared = plain.single.map((l) => l.block);
    const resShared = meanOf(res.single.filter((l) => shared.includes(l.block)).map((l) => l.error));
    return `Deleting one block raises the residual net's test error from ${pct(res.baseline)} to ${pct(meanOf(res.single.map((l) => l.error)))} on average (${pct(resShared)} over the shape-keeping blocks), the plain net's from ${pct(plain.baseline)} to ${pct(meanOf(plain.single.map((l) => l.error)))}; ` +
      `with ${atMost(res)?.deleted ?? 0} blocks deleted the residual net is at ${pct(atMost(res)?.meanError)} and the plain net at ${pct(atMost(plain)?.meanError)}.`;
  }
  const m = r.models[0]!;
  return `Deleting one block raises the ${m.family} model's test error from ${pct(m.baseline)} to ${pct(meanOf(m.single.map((l) => l.error)))} on average (worst ${pct(Math.max(...m.single.map((l) => l.error)))}); ` +
    `with ${atMost(m)?.deleted ?? 0} random blocks deleted it is at ${pct(atMost(m)?.meanError)}.`;
}

export async function lesionSection(r: Seed, header: AnalysisResultsHeader): Promise<ReportSection> {
  const single = await lineChart({
    title: 'Test error after deleting one block', xLabel: 'deleted block (index)', yLabel: 'test error', yFormat: '.0%',
    series: r.models.map((m) => ({ name: m.family, points: m.single.map((l) => ({ x: l.index + 1, y: l.error })) })),
    referenceLines: r.models.filter((m) => m.baseline !== null).map((m) => ({ axis: 'y' as const, value: m.baseline!, label: `${m.family}, nothing deleted` })),
  });
  const random = await lineChart({
    title: 'Test error after deleting k random blocks', subtitle: 'mean over seeded draws among the blocks every compared model can lose', xLabel: 'blocks deleted (k)', yLabel: 'test error', yFormat: '.0%',
    series: r.models.map((m) => ({ name: m.family, points: [...(m.baseline === null ? [] : [{ x: 0, y: m.baseline }]), ...m.random.map((k) => ({ x: k.deleted, y: k.meanError }))] })),
    referenceLines: [{ axis: 'y', value: 0.9, label: 'chance' }],
  });
  const first = r.models[0]!;
  return {
    id: 'lesion',
    title: 'Lesion study: deleting blocks at test time (Veit et al. 2016)',
    conclusion: conclusion(r),
    blocks: [
      paragraphBlock(`A deleted residual block outputs its shortcut, y = shortcut(x); a deleted plain block is bypassed (y = x), possible only where it keeps the shape, so the plain twin's downsampling blocks cannot be deleted. Test error on ${r.testImages} test images; Veit et al. report that single deletions barely hurt a ResNet except at downsampling blocks, and that error grows smoothly with the number deleted, while a plain VGG collapses to chance. ${runNote(header, r.seed)}`),
      figureBlock(single, 'One block deleted at a time (the horizontal lines are the intact nets).'),
      figureBlock(random, 'k random blocks deleted.'),
      tableBlock(['block', ...r.models.map((m) => `${m.family}: error`)], first.single.map((l) => [l.block, ...r.models.map((m) => pct(m.single.find((x) => x.block === l.block)?.error))]), { caption: 'Test error with each single block deleted (– : cannot be bypassed).' }),
    ],
  };
}
