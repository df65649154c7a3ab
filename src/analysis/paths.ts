import { noGrad } from '../autograd/no-grad.js';
import { evaluateJunction, isAdditive, routeThrough } from '../blocks/skip-block.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Batch } from '../train/batches.js';
import { classificationLoss, l2Norm, preservingState, skipBlocks, withHooks, withMode, type AnalysedModel, type LossFunction, type SkipBlockAt } from './model-parts.js';

/**
 * Veit et al. 2016 §3 ("unraveled view"): a net of n residual blocks is a collection of 2^n paths,
 * and the number of paths through exactly k residual branches is C(n, k), Binomial(n, 1/2) when
 * normalised. Counts are exact for n ≤ 1000 up to float64 rounding of large binomials.
 */
export function pathLengthDistribution(n: number): { length: number; count: number; fraction: number }[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`pathLengthDistribution: n must be a non-negative integer, got ${n}`);
  const out: { length: number; count: number; fraction: number }[] = [];
  let count = 1; // C(n, 0)
  // log2 of 2^n keeps the fraction finite for large n: fraction = C(n,k) / 2^n.
  for (let k = 0; k <= n; k++) {
    out.push({ length: k, count, fraction: count / 2 ** n });
    count = (count * (n - k)) / (k + 1);
  }
  return out;
}

/** The mean gradient norm reaching the input through paths of one length (Veit et al. 2016 Fig. 6). */
export interface PathGradient {
  length: number;
  /** Mean over samples of the per-example gradient norm reaching the input of the first block. */
  gradientNorm: number;
  samples: number;
}

/** Veit et al. 2016 §4: the binomial distribution of path lengths and the gradient magnitude per path length. */
export interface PathAnalysis {
  blocks: number;
  distribution: { length: number; count: number; fraction: number }[];
  gradientByLength: PathGradient[];
  /** count(k) · gradient(k), normalised to sum 1: how much of the gradient paths of length k carry. */
  contribution: { length: number; share: number }[];
  /** The shortest range of lengths carrying `coverage` of the total contribution. */
  effectiveRange: { from: number; to: number; coverage: number };
}

/**
 * The residual junctions of the model, block by block, found by one evaluation-mode pass over
 * `probe`: a block with several junctions (a pre-LN transformer block: attention, then MLP)
 * contributes each, since each is a unit a path either enters or skips (Veit et al. 2016 §3).
 * Every junction must add a branch to a skip; anything else has no branch/skip split to route.
 */
function residualJunctions(model: AnalysedModel, blocks: readonly SkipBlockAt[], probe: Tensor): number[] {
  const counts = new Map<string, number>();
  withMode(model, false, () => noGrad(() => withHooks(
    () => blocks.map(({ path, module }) => module.registerForwardHook((_m, x) => {
      if (counts.has(path)) return;
      let count = 0;
      module.forwardJunctions(x, (j) => {
        if (!j.shortcut() || !isAdditive(j.merge)) {
          throw new Error(`gradientByPathLength: block '${path}' has a junction that does not add a branch to a skip (skip '${j.kind}', merge '${j.merge}'); Veit et al.'s paths need residual junctions with a skip, not a plain twin or another skip kind`);
        }
        count++;
        return evaluateJunction(j);
      });
      counts.set(path, count);
    })),
    () => model.forward(probe),
  )));
  return blocks.map(({ path }) => counts.get(path) ?? 0);
}

/** Smallest window [from, to] of lengths whose shares add up to at least `coverage`. */
export function effectivePathRange(shares: readonly number[], coverage = 0.9): { from: number; to: number; coverage: number } {
  const total = shares.reduce((a, b) => a + b, 0);
  let best = { from: 0, to: shares.length - 1, coverage: 1 };
  for (let from = 0; from < shares.length; from++) {
    let sum = 0;
    for (let to = from; to < shares.length; to++) {
      sum += shares[to]!;
      if (sum >= coverage * total - 1e-12) {
        if (to - from < best.to - best.from) best = { from, to, coverage: sum / total };
        break;
      }
    }
  }
  return best;
}

/**
 * Gradient magnitude per path length (Veit et al. 2016 Fig. 6): for each k, draw `samplesPerLength`
 * random sets of k residual junctions, route the backward pass through the branch of those and
 * through the skip of all others (`routeThrough`, drop-path included as the block applies it),
 * and measure ‖∂L/∂x₀‖ at the input of the first skip block. Evaluation mode, so routing changes
 * no batch statistics; the parameters take no gradient, and the model is left as it was found.
 */
export function gradientByPathLength(
  model: AnalysedModel, batch: Batch,
  options: { rng: Rng; samplesPerLength?: number; lengths?: number[]; loss?: LossFunction; coverage?: number },
): PathAnalysis {
  const blocks = skipBlocks(model);
  if (blocks.length === 0) throw new Error('gradientByPathLength: the model lists no skip blocks');
  const perBlock = residualJunctions(model, blocks, batch.x);
  const firstJunction = perBlock.map((_, b) => perBlock.slice(0, b).reduce((a, c) => a + c, 0));
  const n = perBlock.reduce((a, c) => a + c, 0);
  const lossOf = options.loss ?? classificationLoss;
  const samples = options.samplesPerLength ?? 4;
  const lengths = options.lengths ?? Array.from({ length: n + 1 }, (_, k) => k);
  const examples = batch.x.shape[0]!;
  const gradientByLength: PathGradient[] = [];
  preservingState(model, () => {
    model.eval();
    // Only the input's gradient is measured: the weights need none.
    for (const p of model.parameters()) p.requiresGrad = false;
    for (const k of lengths) {
      if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`gradientByPathLength: path length ${k} is outside 0..${n}`);
      const norms: number[] = [];
      for (let s = 0; s < samples; s++) {
        const chosen = new Set(Array.from(options.rng.permutation(n).subarray(0, k)));
        let input: Tensor | null = null;
        withHooks(
          () => blocks.flatMap(({ module }, b) => [
            ...(b === 0 ? [module.registerForwardPreHook((_m, x) => { input = x.detach().requiresGrad_(); return input; })] : []),
            // A forward hook's return value replaces the output: the same value, routed backward.
            module.registerForwardHook((_m, x) => {
              let junction = firstJunction[b]!;
              return module.forwardJunctions(x, (j) => routeThrough(j, chosen.has(junction++) ? 'branch' : 'skip'));
            }),
          ]),
          () => {
            // The sum of per-example losses, so each example's input gradient is its own.
            const loss = lossOf(model.forward(batch.x), batch);
            loss.backward();
            const grad = (input as Tensor | null)?.grad;
            if (!grad) throw new Error('gradientByPathLength: no gradient reached the first block');
            const per = grad.size / examples;
            for (let e = 0; e < examples; e++) norms.push(l2Norm(grad.f32.subarray(e * per, (e + 1) * per)) * examples);
          },
        );
      }
      gradientByLength.push({ length: k, gradientNorm: norms.reduce((a, b) => a + b, 0) / norms.length, samples });
    }
  });
  const distribution = pathLengthDistribution(n);
  const raw = distribution.map((d) => d.count * (gradientByLength.find((g) => g.length === d.length)?.gradientNorm ?? 0));
  const total = raw.reduce((a, b) => a + b, 0);
  const contribution = raw.map((v, k) => ({ length: k, share: total > 0 ? v / total : 0 }));
  return { blocks: n, distribution, gradientByLength, contribution, effectiveRange: effectivePathRange(contribution.map((c) => c.share), options.coverage ?? 0.9) };
}
