import { allOf, compareAbove, decidableOnlyIf, reference } from '../../analysis/verdict.js';
import type { GradientFlowModel, GradientFlowResults } from '../../experiments/results/gradient-flow.js';
import { analysisBudget, lastOf, parameterText, points, verdictOf, type ClaimCheck } from './claim.js';

/** Below this first/last per-element gradient RMS the gradient counts as vanishing towards the input. */
export const VANISHING_BELOW = 0.1;
/** How much higher the plain net's final training error must be to count as "trains worse". */
export const ERROR_MARGIN = 0.01;
/** He et al. make the claim for 56 layers and more (Fig. 1, Fig. 6). */
export const CLAIM_DEPTH = 56;

/** First-conv over last-conv RMS of ∂L/∂y at initialisation. */
export const initialConvRatio = (m: GradientFlowModel): number => m.snapshots[0]!.convActivationRatio ?? NaN;

/**
 * He et al. 2016 §4.1: the BN plain nets' optimisation difficulty is "unlikely to be caused by
 * vanishing gradients" — their gradients have healthy norms, yet they train worse than ResNets.
 * Ours: the per-element RMS ratio between the first and last convolution at initialisation
 * (not vanishing: above 0.1) and the final training errors, plain against residual, per seed;
 * decided only at the depth the paper's claim is about.
 */
export function gradientFlowClaims(results: GradientFlowResults): ClaimCheck[] {
  const budget = analysisBudget(results);
  const of = (family: GradientFlowModel['family']) => results.seeds.flatMap((s) => s.models.filter((m) => m.family === family));
  const [plain, residual] = [of('plain'), of('residual')];
  if (plain.length === 0 || residual.length === 0) return [];
  const depth = results.seeds[0]!.depth;
  const [pName, rName] = [plain[0]!.name, residual[0]!.name];
  const finalError = (m: GradientFlowModel) => lastOf(m.trainError) ?? NaN;
  const healthy = verdictOf(`${pName}'s gradient does not vanish at initialisation (first/last conv RMS above ${VANISHING_BELOW})`, budget, compareAbove,
    { label: `${pName} first/last conv ‖∂L/∂y‖ RMS`, values: plain.map(initialConvRatio) }, reference('the vanishing threshold', VANISHING_BELOW), { format: { digits: 3 } });
  const worse = verdictOf(`${pName} trains worse than ${rName} (by more than ${points(ERROR_MARGIN)})`, budget, compareAbove,
    { label: `${pName} final training error`, values: plain.map(finalError) }, { label: rName, values: residual.map(finalError) }, { margin: ERROR_MARGIN });
  const both = allOf(`${pName} trains worse than ${rName} although its gradient does not vanish`, [healthy, worse]);
  const decidable = depth !== null && depth >= CLAIM_DEPTH;
  return [{
    experiment: 'gradient-flow',
    paper: { number: 'BN plain nets\' gradients "exhibit healthy norms", yet plain-56 trains worse than plain-20 (no gradient number given)', setting: 'plain and residual nets of 20–56 layers with BN, CIFAR-10', source: 'He et al. 2016 §4.1' },
    verdict: decidableOnlyIf(both, decidable, `the nets have ${depth ?? 'unknown'} layers, below the ${CLAIM_DEPTH} the claim is about`),
    parameters: parameterText([{ name: rName, counts: residual.map((m) => m.parameters) }, { name: pName, counts: plain.map((m) => m.parameters) }]),
  }];
}
