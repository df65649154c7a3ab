import { compareAbove } from '../../analysis/verdict.js';
import type { HighwayGatesResults } from '../../experiments/results/highway-gates.js';
import { analysisBudget, lastOf, parameterText, points, verdictOf, type ClaimCheck } from './claim.js';

type Model = HighwayGatesResults['seeds'][number]['models'][number];

export const ERROR_MARGIN = 0.01;

/**
 * Srivastava et al. 2015 §4.1 (Fig. 1): deep plain nets get harder to optimise with depth while
 * highway nets of the same depth keep training. Ours: final training error of the highway net
 * and its plain twin per seed, with both parameter counts: the twin is widened to the highway
 * net's count over the whole net, where the paper matched per layer (71 units against 50).
 */
export function highwayGatesClaims(results: HighwayGatesResults): ClaimCheck[] {
  const budget = analysisBudget(results);
  const of = (family: Model['family']) => results.seeds.flatMap((s) => s.models.filter((m) => m.family === family));
  const [highway, plain] = [of('highway'), of('plain')];
  if (highway.length === 0 || plain.length === 0) return [];
  const { depth, width } = results.seeds[0]!;
  const plainWidths = [...new Set(results.seeds.map((s) => s.plainWidth))];
  const [hName, pName] = [`highway-${depth} (width ${width})`, `plain-${depth} (width ${plainWidths.join('/')})`];
  const finalError = (m: Model) => lastOf(m.trainError) ?? NaN;
  return [{
    experiment: 'highway-gates',
    paper: { number: 'plain nets degrade beyond about 20–30 layers; highway nets of up to 100 layers keep optimising (curves, no table)', setting: 'fully connected, 50 blocks (highway) vs 71 units (plain), about 5,000 parameters per layer either way, MNIST', source: 'Srivastava et al. 2015 §4.1, Fig. 1' },
    verdict: verdictOf(`${pName} trains worse than ${hName} (final training error higher by more than ${points(ERROR_MARGIN)})`, budget, compareAbove,
      { label: `${pName} final training error`, values: plain.map(finalError) }, { label: hName, values: highway.map(finalError) }, { margin: ERROR_MARGIN }),
    parameters: parameterText([{ name: hName, counts: highway.map((m) => m.parameters) }, { name: pName, counts: plain.map((m) => m.parameters) }]),
  }];
}
