import { compareAbove } from '../../analysis/verdict.js';
import type { UnetSkipsResults } from '../../experiments/results/unet-skips.js';
import { analysisBudget, lastOf, parameterText, points, verdictOf, type ClaimCheck } from './claim.js';

type Seed = UnetSkipsResults['seeds'][number];
type Model = Seed['models'][number];

/** How much more the skips must gain on boundary pixels than on interior ones. */
export const GAIN_MARGIN = 0.01;

/** Accuracy gain of the U-Net over its twin without long skips after the last epoch, on boundary and interior pixels. */
export function skipGains(seed: Seed): { boundary: number; interior: number } {
  const final = (skip: Model['skip']) => lastOf(seed.models.find((m) => m.skip === skip)?.epochs ?? []);
  const [withSkips, without] = [final('concat'), final('none')];
  if (!withSkips || !without) return { boundary: NaN, interior: NaN };
  return { boundary: withSkips.boundaryAccuracy - without.boundaryAccuracy, interior: withSkips.interiorAccuracy - without.interiorAccuracy };
}

/**
 * Ronneberger et al. 2015 §2: the long skips bring the encoder's high-resolution features to the
 * decoder for precise localisation. If they carry fine spatial detail, their gain is larger on
 * boundary pixels (a differently labelled 4-neighbour) than on interior pixels, where a coarse
 * mask is already right. Per seed.
 */
export function unetSkipsClaims(results: UnetSkipsResults): ClaimCheck[] {
  const budget = analysisBudget(results);
  const gains = results.seeds.map(skipGains);
  const params = (skip: Model['skip']) => results.seeds.map((s) => s.models.find((m) => m.skip === skip)?.parameters ?? null);
  return [{
    experiment: 'unet-skips',
    paper: { number: 'the skips combine high-resolution features with the upsampled output "to localize" (no ablation number)', setting: 'U-Net, ISBI 2012 EM segmentation', source: 'Ronneberger et al. 2015 §2' },
    verdict: verdictOf(`the long skips improve accuracy on boundary pixels more than on interior pixels (by more than ${points(GAIN_MARGIN)})`, budget, compareAbove,
      { label: 'boundary-pixel accuracy gain from the skips', values: gains.map((g) => g.boundary) }, { label: 'interior-pixel gain', values: gains.map((g) => g.interior) }, { margin: GAIN_MARGIN }),
    parameters: parameterText([{ name: 'U-Net', counts: params('concat') }, { name: 'without long skips', counts: params('none') }]),
  }];
}
