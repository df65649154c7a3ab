import { compareAbove } from '../../analysis/verdict.js';
import type { RepresentationsResults } from '../../experiments/results/representations.js';
import { analysisBudget, finiteMean, parameterText, verdictOf, type ClaimCheck } from './claim.js';

type Model = RepresentationsResults['seeds'][number]['models'][number];

/** Mean ‖y − x‖/‖x‖ over the shape-keeping blocks. */
export const meanChange = (m: Model): number => finiteMean(m.ratios.map((b) => b.changeRatio));
/** Mean linear CKA between each block's output and the next one's. */
export const adjacentCka = (m: Model): number => finiteMean(m.cka.slice(1).map((row, i) => row[i]));

export const CHANGE_MARGIN = 0.05;
export const CKA_MARGIN = 0.02;

/**
 * Residual blocks refine their input a little at a time (Greff et al. 2017; Veit et al. 2016 §6;
 * seed note: "representations change slowly"): a residual block moves its input less than a plain
 * block, and adjacent residual blocks' outputs are more alike (linear CKA). Per seed.
 */
export function representationsClaims(results: RepresentationsResults): ClaimCheck[] {
  const budget = analysisBudget(results);
  const of = (family: Model['family']) => results.seeds.flatMap((s) => s.models.filter((m) => m.family === family));
  const [residual, plain] = [of('residual'), of('plain')];
  if (residual.length === 0 || plain.length === 0) return [];
  const depth = results.seeds[0]!.depth;
  const [rName, pName] = [`ResNet-${depth}`, `plain-${depth}`];
  const parameters = parameterText([{ name: rName, counts: residual.map((m) => m.parameters) }, { name: pName, counts: plain.map((m) => m.parameters) }]);
  const paper = { number: 'residual blocks refine their input gradually (no single number)', setting: 'ResNets on CIFAR-10 / ImageNet', source: 'Greff et al. 2017; Veit et al. 2016 §6' };
  return [
    {
      experiment: 'representations', paper, parameters,
      verdict: verdictOf(`a residual block changes its input less than a plain block (‖y − x‖/‖x‖ lower by more than ${CHANGE_MARGIN})`, budget, compareAbove,
        { label: `${pName} mean ‖y − x‖/‖x‖`, values: plain.map(meanChange) }, { label: rName, values: residual.map(meanChange) }, { margin: CHANGE_MARGIN, format: { digits: 3 } }),
    },
    {
      experiment: 'representations', paper, parameters,
      verdict: verdictOf(`adjacent residual blocks' outputs are more alike than adjacent plain blocks' (linear CKA higher by more than ${CKA_MARGIN})`, budget, compareAbove,
        { label: `${rName} adjacent-block CKA`, values: residual.map(adjacentCka) }, { label: pName, values: plain.map(adjacentCka) }, { margin: CKA_MARGIN, format: { digits: 3 } }),
    },
  ];
}
