import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { LesionResults } from '../../experiments/results/lesion.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { lineChart } from '../plots.js';
import type { LesionCalibrationRun } from '../../experiments/results/pytorch-calibration.js';
import { calibrationDeletionIncrease, calibrationOfKind, calibrationRuns, type LoadedCalibration } from '../claims/calibration.js';
import { deletedBlocksText, singleDeletionIncrease } from '../claims/lesion.js';
import { meanOf, num, pct, runNote, type SeedSection } from './common.js';

type Seed = LesionResults['seeds'][number];

/** PyTorch's complete run of each of the seed's twins (undefined: not run yet), when a calibration of the same recipe exists. */
function torchTwins(r: Seed, calibration: LoadedCalibration | null): { family: string; run: LesionCalibrationRun | undefined }[] {
  const torch = calibrationOfKind(calibration, 'lesion');
  if (torch === null || torch.mismatches.length > 0 || r.depth === null) return [];
  return r.models.filter((m) => m.family !== 'given').map((m) => ({
    family: m.family, run: calibrationRuns(torch.calibration, m.family === 'residual', r.depth!).find((run) => run.seed === r.seed),
  }));
}

export async function lesionSection(r: Seed, header: AnalysisResultsHeader, calibration: LoadedCalibration | null = null): Promise<SeedSection> {
  const torch = torchTwins(r, calibration);
  const torchErrors = (run: LesionCalibrationRun | undefined) => run?.single?.map((l) => l.error) ?? [];
  const single = await lineChart({
    title: 'Test error after deleting one block', xLabel: 'deleted block (index)', yLabel: 'test error', yFormat: '.0%',
    series: r.models.map((m) => ({ name: m.family, points: m.single.map((l) => ({ x: l.index + 1, y: l.error })) })),
    referenceLines: r.models.filter((m) => m.baseline !== null).map((m) => ({ axis: 'y' as const, value: m.baseline!, label: `${m.family}, nothing deleted` })),
  });
  const random = await lineChart({
    title: 'Test error after deleting k random blocks', subtitle: "mean over seeded draws among the blocks that keep their input's shape", xLabel: 'blocks deleted (k)', yLabel: 'test error', yFormat: '.0%',
    series: r.models.map((m) => ({ name: m.family, points: [...(m.baseline === null ? [] : [{ x: 0, y: m.baseline }]), ...m.random.map((k) => ({ x: k.deleted, y: k.meanError }))] })),
    referenceLines: [{ axis: 'y', value: 0.9, label: 'chance' }],
  });
  const first = r.models[0]!;
  return {
    id: 'lesion',
    title: 'Lesion study: deleting blocks at test time (Veit et al. 2016)',
    blocks: [
      paragraphBlock(`A deleted residual block outputs its shortcut, y = shortcut(x); a deleted plain block is bypassed (y = x). Only blocks that keep their input's shape are deleted, as in Veit et al. 2016 §4 (downsampling blocks are left out of the claim): ${r.models.map((m) => `${m.family}, ${deletedBlocksText(m)}`).join('; ')}. Test error on ${r.testImages} test images. The paper's claim (Veit et al. 2016 §4.1, Fig. 3, ResNet-110 on CIFAR-10): single deletions barely hurt a ResNet except at downsampling blocks and error grows smoothly with the number deleted, while a plain VGG collapses to chance; the verdict above says whether our numbers agree. ${runNote(header, r.seed)}`),
      figureBlock(single, 'One block deleted at a time (the horizontal lines are the intact nets).'),
      figureBlock(random, 'k random blocks deleted.'),
      tableBlock(['model', 'parameters', 'intact', 'mean with one block deleted', 'mean increase', 'worst single deletion'], [
        ...r.models.map((m) => [
          m.family, m.parameters, pct(m.baseline), pct(meanOf(m.single.map((l) => l.error))), pct(singleDeletionIncrease(m)), pct(m.single.length ? Math.max(...m.single.map((l) => l.error)) : null),
        ]),
        ...torch.map(({ family, run }) => [
          `PyTorch ${family}${run ? '' : ' (not run yet)'}`, run?.parameters ?? null, pct(run?.baseline), pct(meanOf(torchErrors(run))), pct(run ? calibrationDeletionIncrease(run) : null),
          pct(torchErrors(run).length ? Math.max(...torchErrors(run)) : null),
        ]),
      ], { caption: `Test error on ${num(r.testImages, 0)} test images, seed ${r.seed}.${torch.length ? ` PyTorch: the same nets, recipe, data, seed and test images in ${calibrationOfKind(calibration, 'lesion')!.calibration.framework} (${calibration!.path}).` : ''}` }),
      tableBlock(['block', ...r.models.map((m) => `${m.family}: error`), ...torch.map(({ family }) => `PyTorch ${family}: error`)], first.single.map((l) => [
        l.block, ...r.models.map((m) => pct(m.single.find((x) => x.block === l.block)?.error)), ...torch.map(({ run }) => pct(run?.single?.find((x) => x.block === l.block)?.error)),
      ]), { caption: 'Test error with each single block deleted (– : not deleted in that model).' }),
    ],
  };
}
