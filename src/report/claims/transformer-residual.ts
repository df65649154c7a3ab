import { allOf, compareAbove, compareAtOrBelow } from '../../analysis/verdict.js';
import type { TransformerResidualResults } from '../../experiments/results/transformer-residual.js';
import { analysisBudget, lastOf, parameterText, verdictOf, type ClaimCheck } from './claim.js';

type Run = TransformerResidualResults['seeds'][number]['runs'][number];

/** Points of position-probe accuracy that count as keeping or losing the embeddings' information. */
export const PROBE_MARGIN = 0.05;

const lastProbe = (run: Run): number => lastOf(run.probes)?.testAccuracy ?? NaN;

/**
 * The seed note on skip connections: residual adds "allow the transformer to … keep track of the
 * location of each element in its input". The baseline is what the input embeddings themselves
 * encode (a probe on them): with the adds, the deepest net's last block keeps the embeddings'
 * position accuracy (within 5 points); without them it falls more than 5 points below. Per seed.
 */
export function transformerResidualClaims(results: TransformerResidualResults): ClaimCheck[] {
  const budget = analysisBudget(results);
  const deepest = Math.max(...results.seeds[0]!.runs.map((r) => r.layers));
  const at = (residual: boolean) => results.seeds.flatMap((s) => s.runs.filter((r) => r.layers === deepest && r.residual === residual));
  const [withAdds, without] = [at(true), at(false)];
  if (withAdds.length === 0 || without.length === 0) return [];
  const embeddings = (runs: Run[]) => ({ label: 'the input-embedding probe', values: runs.map((r) => r.embeddingProbe.testAccuracy) });
  const keeps = verdictOf(`with residual adds the last of ${deepest} blocks keeps the embeddings' position information`, budget, compareAtOrBelow,
    embeddings(withAdds), { label: 'the residual net\'s last-block probe', values: withAdds.map(lastProbe) }, { margin: PROBE_MARGIN });
  const loses = verdictOf(`without them it is lost (probe more than ${PROBE_MARGIN * 100} points below the embeddings')`, budget, compareAbove,
    embeddings(without), { label: 'the last-block probe without adds', values: without.map(lastProbe) }, { margin: PROBE_MARGIN });
  return [{
    experiment: 'transformer-residual',
    paper: { number: `no number; position probe chance is ${(100 / results.seeds[0]!.sequence).toFixed(1)} % (${results.seeds[0]!.sequence} tokens)`, setting: 'transformers in general', source: 'seed note "skip connection" (Advantages)' },
    verdict: allOf(`residual adds keep track of where each token is: ${keeps.claim}, ${loses.claim}`, [keeps, loses]),
    parameters: parameterText([{ name: `residual (${deepest} blocks)`, counts: withAdds.map((r) => r.parameters ?? null) }, { name: `without adds (${deepest} blocks)`, counts: without.map((r) => r.parameters ?? null) }]),
  }];
}
