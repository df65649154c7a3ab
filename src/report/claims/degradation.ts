import { allOf, compareAbove, compareAtOrBelow, compareInsideRange, type VerdictBudget } from '../../analysis/verdict.js';
import type { DegradationResults, DegradationRun } from '../../experiments/results/degradation.js';
import { calibrationRuns, calibrationSummary, type LoadedCalibrationOf } from './calibration.js';
import { parameterText, points, verdictOf, type ClaimCheck } from './claim.js';

/** Points of final training error that count as "higher" (and that "at or below" allows). */
export const ERROR_MARGIN = 0.01;

/** He et al. 2016 Table 6: CIFAR-10 test error of the ResNets, for the report's side-by-side. */
export const HE_TABLE6_TEST_ERROR: Readonly<Record<number, number>> = { 20: 0.0875, 32: 0.0751, 44: 0.0717, 56: 0.0697, 110: 0.0643 };

export const degradationBudget = (results: DegradationResults): VerdictBudget => ({ tier: results.tier, description: `${results.budget}; ${results.dataset}` });

const name = (residual: boolean, depth: number) => `${residual ? 'ResNet' : 'plain'}-${depth}`;

/**
 * He et al. 2016 §4.2 (Fig. 6): the deeper plain net ends with a higher training error than the
 * shallower one (degradation), while the deeper ResNet ends at or below the shallower ResNet.
 * Ours: final training error per seed of the shallowest and deepest nets of each family. With a
 * PyTorch calibration of the same recipe, a second check: each of our nets' final training error
 * falls inside PyTorch's seed spread.
 */
export function degradationClaims(results: DegradationResults, calibration: LoadedCalibrationOf<'degradation'> | null = null): ClaimCheck[] {
  const depths = [...new Set(results.runs.map((r) => r.depth))].sort((a, b) => a - b);
  if (depths.length < 2) return [];
  const [shallow, deep] = [depths[0]!, depths[depths.length - 1]!];
  const budget = degradationBudget(results);
  const runs = (residual: boolean, depth: number): DegradationRun[] => results.runs.filter((r) => r.residual === residual && r.depth === depth && r.complete);
  const side = (residual: boolean, depth: number) => ({ label: name(residual, depth), values: runs(residual, depth).map((r) => r.finalTrainError ?? NaN) });
  const degrades = verdictOf(`${name(false, deep)} ends with a higher training error than ${name(false, shallow)} (by more than ${points(ERROR_MARGIN)})`, budget, compareAbove,
    side(false, deep), side(false, shallow), { margin: ERROR_MARGIN });
  const residualOk = verdictOf(`${name(true, deep)} ends at or below ${name(true, shallow)} (within ${points(ERROR_MARGIN)})`, budget, compareAtOrBelow,
    side(true, deep), side(true, shallow), { margin: ERROR_MARGIN });
  const table6 = HE_TABLE6_TEST_ERROR;
  const nets = [false, true].flatMap((residual) => [shallow, deep].map((depth) => ({ residual, depth })));
  const parameters = parameterText(nets.map(({ residual, depth }) => ({ name: name(residual, depth), counts: runs(residual, depth).map((r) => r.parameters) })));
  const checks: ClaimCheck[] = [{
    experiment: 'degradation',
    paper: {
      number: `plain-56 ends above plain-20 in training error (Fig. 6, left), ResNet-56 below ResNet-20 (Fig. 6, middle); ResNet test error ${table6[20]! * 100} % (20) → ${table6[56]! * 100} % (56) (Table 6)`,
      setting: 'CIFAR-10, batch 128, lr 0.1 ÷ 10 at 32k and 48k of 64k iterations, augmentation', source: 'He et al. 2016 §4.2, Fig. 6, Table 6',
    },
    verdict: allOf(`training error degrades with depth for plain nets but not for ResNets: ${degrades.claim}; ${residualOk.claim}`, [degrades, residualOk]),
    parameters,
  }];
  if (calibration !== null && calibration.mismatches.length === 0) {
    const { framework } = calibration.calibration;
    const parts = nets.map(({ residual, depth }) => verdictOf(`${name(residual, depth)} inside PyTorch's spread`, budget, compareInsideRange,
      side(residual, depth), { label: `PyTorch ${name(residual, depth)}`, values: calibrationRuns(calibration.calibration, residual, depth).map((r) => r.final!.trainError) },
      { margin: ERROR_MARGIN }));
    checks.push({
      experiment: 'degradation',
      paper: { kind: 'PyTorch reference', number: calibrationSummary(calibration), setting: 'the same nets, recipe, official data and seeds', source: `${framework}, scripts/calibration/degradation_standard.py` },
      verdict: allOf(`skiplab reproduces PyTorch: each net's final training error lies inside PyTorch's seed range (widened by ${points(ERROR_MARGIN)})`, parts),
      parameters,
    });
  }
  return checks;
}
