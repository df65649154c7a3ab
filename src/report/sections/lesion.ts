import type { RandomLesions, SingleLesion } from '../../analysis/lesion.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { lineChart } from '../plots.js';
import { meanOf, pct, readResults, runNote } from './common.js';

type Model = { family: 'residual' | 'plain'; baseline: number; single: SingleLesion[]; random: RandomLesions[]; candidates: string[] };
type Results = { depth: number; testImages: number; models: Model[] };

export async function lesionSection(dir: string): Promise<ReportSection> {
  const r = readResults<Results>(dir, 'lesion');
  const single = await lineChart({
    title: 'Test error after deleting one block', xLabel: 'deleted block (index)', yLabel: 'test error', yFormat: '.0%',
    series: r.models.map((m) => ({ name: m.family, points: m.single.map((l) => ({ x: l.index + 1, y: l.error })) })),
    referenceLines: r.models.map((m) => ({ axis: 'y' as const, value: m.baseline, label: `${m.family}, nothing deleted` })),
  });
  const random = await lineChart({
    title: 'Test error after deleting k random blocks', subtitle: 'mean over seeded draws among the blocks both twins can lose', xLabel: 'blocks deleted (k)', yLabel: 'test error', yFormat: '.0%',
    series: r.models.map((m) => ({ name: m.family, points: [{ x: 0, y: m.baseline }, ...m.random.map((k) => ({ x: k.deleted, y: k.meanError }))] })),
    referenceLines: [{ axis: 'y', value: 0.9, label: 'chance' }],
  });
  const res = r.models.find((m) => m.family === 'residual')!;
  const plain = r.models.find((m) => m.family === 'plain')!;
  const summary = (m: Model) => ({ mean: meanOf(m.single.map((l) => l.error)), worst: Math.max(...m.single.map((l) => l.error)) });
  const [rs, ps] = [summary(res), summary(plain)];
  const shared = plain.single.map((l) => l.block);
  const resShared = meanOf(res.single.filter((l) => shared.includes(l.block)).map((l) => l.error));
  return {
    id: 'lesion',
    title: 'Lesion study: deleting blocks at test time (Veit et al. 2016)',
    conclusion: `Deleting one block raises the residual net's test error from ${pct(res.baseline)} to ${pct(rs.mean)} on average (${pct(resShared)} over the shape-keeping blocks), the plain net's from ${pct(plain.baseline)} to ${pct(ps.mean)}; ` +
      `with ${res.random[res.random.length - 1]?.deleted ?? 0} blocks deleted the residual net is at ${pct(res.random[res.random.length - 1]?.meanError)} and the plain net at ${pct(plain.random[plain.random.length - 1]?.meanError)}.`,
    blocks: [
      paragraphBlock(`A deleted residual block outputs its shortcut, y = shortcut(x); a deleted plain block is bypassed (y = x), possible only where it keeps the shape, so the plain twin's downsampling blocks cannot be deleted. Test error on ${r.testImages} test images; Veit et al. report that single deletions barely hurt a ResNet except at downsampling blocks, and that error grows smoothly with the number deleted, while a plain VGG collapses to chance. ${runNote(r)}`),
      figureBlock(single, 'One block deleted at a time (the horizontal lines are the intact nets).'),
      figureBlock(random, 'k random blocks deleted.'),
      tableBlock(['block', ...r.models.map((m) => `${m.family}: error`)], res.single.map((l) => [l.block, ...r.models.map((m) => pct(m.single.find((x) => x.block === l.block)?.error))]), { caption: 'Test error with each single block deleted (– : cannot be bypassed).' }),
    ],
  };
}
