import { allOf, compareAbove, compareAtOrBelow, reference } from '../../analysis/verdict.js';
import type { IdentityConstructionResults } from '../../experiments/results/identity-construction.js';
import { analysisBudget, verdictOf, type ClaimCheck } from './claim.js';

/** Largest |logit| difference that still counts as "the same function". */
export const SAME_FUNCTION_TOLERANCE = 1e-4;
/** How much higher the deep net trained from scratch must end to count as "the solver misses it". */
export const ERROR_MARGIN = 0.01;

/**
 * He et al. 2016 §1: a deeper net built from a trained shallow one by adding identity layers has
 * the same training error, so a solution at least as good exists — yet the deep plain net
 * trained from scratch ends higher. Ours: the constructed net's largest logit difference, and
 * the from-scratch training error against the constructed net's, per seed.
 */
export function identityConstructionClaims(results: IdentityConstructionResults): ClaimCheck[] {
  const budget = analysisBudget(results);
  const [shallow, constructed, scratch] = results.seeds[0]!.rows;
  const same = verdictOf(`plain-${constructed.depth} built from plain-${shallow.depth} plus identity blocks computes the same function`, budget, compareAtOrBelow,
    { label: 'largest |logit| difference', values: results.seeds.map((s) => s.maxOutputDifference) }, reference('zero', 0),
    { margin: SAME_FUNCTION_TOLERANCE, format: { digits: 6 } });
  const misses = verdictOf(`plain-${scratch.depth} trained from scratch ends above the constructed net (by more than ${ERROR_MARGIN * 100} points)`, budget, compareAbove,
    { label: `plain-${scratch.depth} from scratch, training error`, values: results.seeds.map((s) => s.rows[2].trainError) },
    { label: 'the constructed net', values: results.seeds.map((s) => s.rows[1].trainError) }, { margin: ERROR_MARGIN });
  return [{
    experiment: 'identity-construction',
    paper: { number: 'the constructed solution "should produce no higher training error", yet the deeper plain net trained from scratch is worse (Fig. 1: 56 vs 20 layers)', setting: 'plain-20 / plain-56, CIFAR-10', source: 'He et al. 2016 §1, Fig. 1' },
    verdict: allOf('a deeper solution exists but training does not find it', [same, misses]),
    parameters: null,
  }];
}
