import { compareAbove, reference } from '../../analysis/verdict.js';
import type { FeatureReuseResults } from '../../experiments/results/feature-reuse.js';
import { analysisBudget, parameterText, verdictOf, type ClaimCheck } from './claim.js';

/** How far the non-predecessor share may fall in training and still count as "early features stay in use". */
export const SHARE_DROP_MARGIN = 0.05;

/**
 * Huang et al. 2017 §5 (Fig. 5): trained dense layers spread their weights over many earlier
 * layers, so features of early layers are used deep in the block. With i.i.d. weights the
 * share of weight on non-predecessor sources already starts near (k − 1)/k, so the claim is
 * about the change from initialisation: training does not concentrate the weight on the direct
 * predecessor (the share falls by less than 5 points). Per seed.
 */
export function featureReuseClaims(results: FeatureReuseResults): ClaimCheck[] {
  const budget = analysisBudget(results);
  const names = results.seeds[0]!.table.map((t) => t.name);
  return [{
    experiment: 'feature-reuse',
    paper: { number: 'deep layers of a block put weight on the feature maps of very early layers (a heat map, no single number)', setting: 'DenseNet (L = 40, k = 12), CIFAR-10+', source: 'Huang et al. 2017 §5, Fig. 5' },
    verdict: verdictOf(`training keeps early features in use: the share of each layer's weight on non-predecessor sources does not fall by ${SHARE_DROP_MARGIN * 100} points or more from initialisation`, budget, compareAbove,
      { label: 'change of the non-predecessor share in training', values: results.seeds.map((s) => s.nonPredecessorShare.change ?? NaN) }, reference('the allowed fall', -SHARE_DROP_MARGIN)),
    parameters: parameterText(names.map((name, i) => ({ name, counts: results.seeds.map((s) => s.table[i]?.parameters ?? null) }))),
  }];
}
