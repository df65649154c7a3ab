import { effectivePathRange } from '../../analysis/paths.js';
import { compareAbove, compareInsideRange, reference } from '../../analysis/verdict.js';
import type { PathsResults } from '../../experiments/results/paths.js';
import { calibrationOfKind, calibrationRuns, calibrationSummary, calibrationWeightedLength, type LoadedCalibration } from './calibration.js';
import { analysisBudget, parameterText, verdictOf, type ClaimCheck } from './claim.js';

type Seed = PathsResults['seeds'][number];

/** Mean path length weighted by each length's share of the gradient (Veit et al. Fig. 6c). */
export function gradientWeightedLength(seed: Pick<Seed, 'contribution'>): number {
  const shares = seed.contribution.map((c) => c.share ?? NaN);
  const total = shares.reduce((a, b) => a + b, 0);
  return seed.contribution.reduce((s, c, i) => s + c.length * shares[i]!, 0) / total;
}

/**
 * The window of lengths the path-length distribution alone would give at the same coverage:
 * Binomial(n, 1/2) puts most paths near n/2 whatever the gradients do, so the measured window
 * means something only beside this one.
 */
export function distributionWindow(seed: Seed): { from: number; to: number; coverage: number } {
  return effectivePathRange(seed.distribution.map((d) => d.fraction), seed.effectiveRange.coverage);
}

/** How much shorter than n/2 the gradient-weighted path length must be, as a fraction of the blocks n. */
export const SHORTER_MARGIN = 0.1;

/**
 * How far outside PyTorch's seed range our gradient-weighted mean path length may lie and still
 * count as reproducing it: 1 block. Each length's gradient is a mean over only a few sampled
 * paths, and nets trained from different random streams differ, so the three seeds of one
 * framework already spread by about half a block on ResNet-56; 1 block is about twice that, and
 * well inside the resolution of the paper's claim itself (`SHORTER_MARGIN` · n, 2.7 blocks of 27).
 */
export const CALIBRATION_MARGIN = 1;

/**
 * Veit et al. 2016 §4.2: the gradient comes from paths much shorter than the distribution of
 * path lengths alone predicts (ResNet-110: effective paths 5–17 of 54 blocks, the distribution
 * centred at 27). Ours: the gradient-weighted mean path length per seed against n/2, the mean
 * of Binomial(n, 1/2).
 */
export function pathsClaims(results: PathsResults, calibration: LoadedCalibration | null = null): ClaimCheck[] {
  const budget = analysisBudget(results);
  const n = results.seeds[0]!.blocks;
  if (results.seeds.some((s) => s.blocks !== n)) throw new Error(`paths results: seeds measured nets of different block counts (${results.seeds.map((s) => s.blocks).join(', ')})`);
  const depth = results.seeds[0]!.depth;
  const model = depth === null ? 'the given model' : `ResNet-${depth}`;
  const paper = results.seeds[0]!.paper;
  const checks: ClaimCheck[] = [{
    experiment: 'paths',
    paper: { number: `effective paths ${paper.effectiveFrom}–${paper.effectiveTo} of ${paper.blocks} blocks, against a path-length distribution centred at ${paper.blocks / 2}`, setting: paper.model, source: 'Veit et al. 2016 §4.2, Fig. 6' },
    verdict: verdictOf(`the gradient of ${model} (${n} blocks) comes from paths shorter than the path-length distribution alone predicts (by more than ${SHORTER_MARGIN * n} blocks)`, budget, compareAbove,
      reference('the distribution-only mean length (n/2)', n / 2), { label: 'the gradient-weighted mean path length', values: results.seeds.map(gradientWeightedLength) }, { margin: SHORTER_MARGIN * n, format: { digits: 1 } }),
    parameters: null,
  }];
  const torch = calibrationOfKind(calibration, 'paths');
  const torchRuns = torch !== null && torch.mismatches.length === 0 && depth !== null ? calibrationRuns(torch.calibration, true, depth) : [];
  if (torch !== null && torchRuns.length > 0) {
    const blocks = torchRuns.map((r) => r.blocks);
    if (blocks.some((b) => b !== n)) throw new Error(`${torch.path}: PyTorch's ${model} has ${blocks.join(', ')} residual blocks, ours ${n}`);
    checks.push({
      experiment: 'paths',
      paper: { kind: 'PyTorch reference', number: calibrationSummary(torch), setting: 'the same nets, recipe, official data, seeds, test images and sampling', source: `${torch.calibration.framework}, scripts/calibration/paths_standard.py` },
      verdict: verdictOf(`skiplab reproduces PyTorch: ${model}'s gradient-weighted mean path length lies inside PyTorch's seed range (widened by ${CALIBRATION_MARGIN} block)`, budget, compareInsideRange,
        { label: `${model} gradient-weighted mean path length`, values: results.seeds.map(gradientWeightedLength) },
        { label: `PyTorch ${model}`, values: torchRuns.map(calibrationWeightedLength) },
        { margin: CALIBRATION_MARGIN, format: { digits: 2, unit: ' blocks' } }),
      parameters: parameterText([{ name: `PyTorch ${model}`, counts: torchRuns.map((r) => r.parameters ?? null) }]),
    });
  }
  return checks;
}
