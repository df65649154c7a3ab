import { noGrad } from '../autograd/no-grad.js';
import type { Module, Parameter } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import type { Batch } from '../train/batches.js';
import { classificationLoss, withMode, type LossFunction } from './model-parts.js';

/** A direction in weight space: one array per parameter, in `namedParameters()` order. */
export interface Direction {
  names: string[];
  values: Float32Array[];
}

/**
 * Li et al. 2018 §4 filter normalisation: a Gaussian direction d, then for every filter i of every
 * weight (output channel of a convolution, row of a linear layer) d_i ← d_i / ‖d_i‖ · ‖θ_i‖, so the
 * direction has the scale of the weights filter by filter and scale-invariant nets compare fairly.
 * Parameters of rank ≤ 1 — batch-norm γ/β and biases — get a zero direction (§4, "we do not
 * perturb the BN parameters", and biases likewise).
 */
export function filterNormalizedDirection(model: Module, rng: Rng): Direction {
  const named = model.namedParameters();
  const values = named.map(([, p]) => {
    const d = new Float32Array(p.size);
    if (p.ndim <= 1) return d;
    const filters = p.shape[0]!;
    const per = p.size / filters;
    for (let f = 0; f < filters; f++) {
      let dNorm = 0;
      let wNorm = 0;
      for (let j = f * per; j < (f + 1) * per; j++) {
        const v = rng.normal();
        d[j] = v;
        dNorm += v * v;
        wNorm += p.f32[j]! * p.f32[j]!;
      }
      const scale = dNorm > 0 ? Math.sqrt(wNorm) / Math.sqrt(dNorm) : 0;
      for (let j = f * per; j < (f + 1) * per; j++) d[j]! *= scale;
    }
    return d;
  });
  return { names: named.map(([n]) => n), values };
}

/** Per-filter L2 norms of a parameter-shaped array (the test of filter normalisation uses them). */
export function filterNorms(values: Float32Array, shape: readonly number[]): number[] {
  const filters = shape[0]!;
  const per = values.length / filters;
  return Array.from({ length: filters }, (_, f) => {
    let s = 0;
    for (let j = f * per; j < (f + 1) * per; j++) s += values[j]! * values[j]!;
    return Math.sqrt(s);
  });
}

function checkDirection(params: [string, Parameter][], direction: Direction, where: string): void {
  if (direction.values.length !== params.length) throw new Error(`${where}: the direction has ${direction.values.length} arrays, the model ${params.length} parameters`);
  params.forEach(([name, p], i) => {
    if (direction.values[i]!.length !== p.size) throw new Error(`${where}: direction for '${name}' has ${direction.values[i]!.length} values, the parameter ${p.size}`);
  });
}

/**
 * A scoped override of the weights: θ + Σ αᵢ dᵢ while `fn` runs, the original values restored
 * bit for bit afterwards (even when `fn` throws).
 */
export function withPerturbedWeights<T>(model: Module, terms: readonly { direction: Direction; alpha: number }[], fn: () => T): T {
  const params = model.namedParameters();
  for (const t of terms) checkDirection(params, t.direction, 'withPerturbedWeights');
  const saved = params.map(([, p]) => p.f32.slice());
  try {
    params.forEach(([, p], i) => {
      const w = p.f32;
      for (const { direction, alpha } of terms) {
        if (alpha === 0) continue;
        const d = direction.values[i]!;
        for (let j = 0; j < w.length; j++) w[j]! += alpha * d[j]!;
      }
    });
    return fn();
  } finally {
    params.forEach(([, p], i) => p.f32.set(saved[i]!));
  }
}

/** Mean loss over `batches` in evaluation mode, off the tape. */
export function meanLoss(model: Module, batches: readonly Batch[], loss: LossFunction = classificationLoss): number {
  let sum = 0;
  let count = 0;
  withMode(model, false, () => noGrad(() => {
    for (const b of batches) {
      const n = b.x.shape[0]!;
      sum += loss(model.forward(b.x), b).item() * n;
      count += n;
    }
  }));
  return sum / count;
}

/** Evenly spaced values from `from` to `to` inclusive. */
export function linspace(from: number, to: number, count: number): number[] {
  if (count < 2) return [from];
  return Array.from({ length: count }, (_, i) => from + ((to - from) * i) / (count - 1));
}

/** L(θ + α d) along one filter-normalised direction (Li et al. 2018 Fig. 5-style 1-D plot). */
export function lossLandscape1d(model: Module, direction: Direction, batches: readonly Batch[], alphas: readonly number[], loss?: LossFunction): { alpha: number; loss: number }[] {
  return alphas.map((alpha) => ({ alpha, loss: withPerturbedWeights(model, [{ direction, alpha }], () => meanLoss(model, batches, loss)) }));
}

/** L(θ + α d₁ + β d₂) on a grid (Li et al. 2018 Fig. 1/5 contours); `losses[i][j]` is at (alphas[i], betas[j]). */
export function lossLandscape2d(
  model: Module, first: Direction, second: Direction, batches: readonly Batch[], alphas: readonly number[], betas: readonly number[], loss?: LossFunction,
): { alphas: number[]; betas: number[]; losses: number[][] } {
  const losses = alphas.map((alpha) => betas.map((beta) =>
    withPerturbedWeights(model, [{ direction: first, alpha }, { direction: second, alpha: beta }], () => meanLoss(model, batches, loss))));
  return { alphas: [...alphas], betas: [...betas], losses };
}
