import { compareAbove, decidableOnlyIf } from '../../analysis/verdict.js';
import type { LandscapeResults } from '../../experiments/results/landscape.js';
import { analysisBudget, parameterText, verdictOf, type ClaimCheck } from './claim.js';

type Model = LandscapeResults['seeds'][number]['models'][number];

/** How much larger the plain twin's |λmin/λmax| must be to count. */
export const RATIO_MARGIN = 0.05;
/**
 * The largest Lanczos residual ‖Hv − λv‖ trusted, relative to |λmax|. For a symmetric matrix an
 * eigenvalue lies within the residual of each Ritz value, so r/|λmax| bounds the error of the
 * ratio |λmin/λmax|; it must stay below the margin the comparison needs.
 */
export const RESIDUAL_TOLERANCE = 0.02;

/** The worst residual of one Hessian estimate relative to |λmax| (Infinity when a residual is missing). */
export function relativeResidual(model: Model): number {
  const { maxEigenvalue, maxResidual, minResidual } = model.hessian;
  if (maxResidual === null || minResidual === null || maxEigenvalue === 0) return Infinity;
  return Math.max(maxResidual, minResidual) / Math.abs(maxEigenvalue);
}

/**
 * Li et al. 2018 §6 (Fig. 7): around the minimiser the residual net's loss surface is nearly
 * convex (|λmin/λmax| ≈ 0) while the net without shortcuts has large negative curvature. Ours:
 * the ratio per seed, decided only when every Lanczos estimate has converged.
 */
export function landscapeClaims(results: LandscapeResults): ClaimCheck[] {
  const budget = analysisBudget(results);
  const of = (family: Model['family']) => results.seeds.flatMap((s) => s.models.filter((m) => m.family === family));
  const [residual, plain] = [of('residual'), of('plain')];
  if (residual.length === 0 || plain.length === 0) return [];
  const depth = results.seeds[0]!.depth;
  const [rName, pName] = [`ResNet-${depth}`, `plain-${depth}`];
  const worst = Math.max(...[...residual, ...plain].map(relativeResidual));
  const verdict = verdictOf(`the plain twin's minimum is less convex: |λmin/λmax| of ${pName} above ${rName}'s (by more than ${RATIO_MARGIN})`, budget, compareAbove,
    { label: `${pName} |λmin/λmax|`, values: plain.map((m) => m.hessian.ratio ?? NaN) }, { label: `${rName} |λmin/λmax|`, values: residual.map((m) => m.hessian.ratio ?? NaN) },
    { margin: RATIO_MARGIN, format: { digits: 3 } });
  return [{
    experiment: 'landscape',
    paper: { number: 'ResNet-56: |λmin/λmax| near 0 around the minimiser; ResNet-56-noshort: large ratios (a colour map, no table)', setting: 'ResNet-56 with and without shortcuts, CIFAR-10', source: 'Li et al. 2018 §6, Fig. 7' },
    verdict: decidableOnlyIf(verdict, worst <= RESIDUAL_TOLERANCE, `the Lanczos estimates have not converged (worst residual ${Number.isFinite(worst) ? worst.toFixed(3) : 'missing'} × |λmax|, above ${RESIDUAL_TOLERANCE})`),
    parameters: parameterText([{ name: rName, counts: residual.map((m) => m.parameters) }, { name: pName, counts: plain.map((m) => m.parameters) }]),
  }];
}
