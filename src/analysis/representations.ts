import { noGrad } from '../autograd/no-grad.js';
import { isAdditive } from '../blocks/skip-block.js';
import type { Module } from '../nn/module.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { l2Distance, l2Norm, mean, skipBlocks, weightLayers, withHooks, withMode, type AnalysedModel } from './model-parts.js';

/** How much one block changes what passes through it: ‖F(x)‖/‖S(x)‖ where a branch is added to a skip. */
export interface BlockChange {
  block: string;
  /**
   * ‖F(x)‖ / ‖S(x)‖: how big the residual is next to what it is added to, for blocks whose
   * junctions add a branch to a skip (the mean over them when a block has several); null otherwise.
   */
  branchRatio: number | null;
  /** ‖y − x‖ / ‖x‖: how much the block moves its input (blocks that keep the shape). */
  changeRatio: number | null;
}

/**
 * How much each block changes the representation (Veit et al. 2016 §6; Greff et al. 2017): for
 * every additive junction with a skip ‖F(x)‖/‖S(x)‖, S(x) being what the skip adds F to, and
 * for every shape-keeping block ‖y − x‖/‖x‖ (so plain twins can be compared). Evaluation mode,
 * no gradients.
 */
export function residualRatios(model: AnalysedModel, x: Tensor): BlockChange[] {
  const out: BlockChange[] = [];
  withMode(model, false, () => noGrad(() => withHooks(
    () => skipBlocks(model).map(({ path, module }) => module.registerForwardHook((_m, input, output) => {
      const ratios: number[] = [];
      module.forwardJunctions(input, (j) => {
        const branch = j.branch();
        const shortcut = j.shortcut();
        if (shortcut && isAdditive(j.merge)) ratios.push(l2Norm(branch.f32) / l2Norm(shortcut.f32));
        return j.join(branch, shortcut);
      });
      const branchRatio = ratios.length > 0 ? mean(ratios) : null;
      const changeRatio = shapesEqual(input.shape, output.shape) ? l2Distance(output.f32, input.f32) / l2Norm(input.f32) : null;
      out.push({ block: path, branchRatio, changeRatio });
    })),
    () => model.forward(x),
  )));
  return out;
}

/** Each skip block's output on `x` (N rows, flattened features), in forward order. */
export function blockOutputs(model: AnalysedModel, x: Tensor): { block: string; features: Float32Array; width: number }[] {
  const out: { block: string; features: Float32Array; width: number }[] = [];
  const n = x.shape[0]!;
  withMode(model, false, () => noGrad(() => withHooks(
    () => skipBlocks(model).map(({ path, module }) => module.registerForwardHook((_m, _input, output) => {
      out.push({ block: path, features: output.f32.slice(), width: output.size / n });
    })),
    () => model.forward(x),
  )));
  return out;
}

/**
 * The input of the first skip block on `x` (for a transformer: the token plus position
 * embeddings), flattened per example like `blockOutputs` — the baseline a probe of the block
 * outputs is read against.
 */
export function firstBlockInput(model: AnalysedModel, x: Tensor): { features: Float32Array; width: number } {
  const first = skipBlocks(model)[0];
  if (!first) throw new Error('firstBlockInput: the model declares no skip blocks');
  const n = x.shape[0]!;
  let captured: { features: Float32Array; width: number } | null = null;
  withMode(model, false, () => noGrad(() => withHooks(
    () => [first.module.registerForwardHook((_m, input) => {
      captured ??= { features: input.f32.slice(), width: input.size / n };
    })],
    () => model.forward(x),
  )));
  return captured!;
}

/** The centred Gram matrix H K H of rows of an (n × p) matrix, in float64. */
function centredGram(features: ArrayLike<number>, n: number): Float64Array {
  const p = features.length / n;
  if (!Number.isInteger(p)) throw new Error(`linearCka: ${features.length} values are not ${n} rows`);
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let c = 0; c < p; c++) s += features[i * p + c]! * features[j * p + c]!;
      k[i * n + j] = s;
      k[j * n + i] = s;
    }
  }
  // Double centring: subtract row and column means, add back the grand mean.
  const rowMean = new Float64Array(n);
  let grand = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * n + j]!;
    rowMean[i] = s / n;
    grand += s;
  }
  grand /= n * n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = k[i * n + j]! - rowMean[i]! - rowMean[j]! + grand;
  return k;
}

/**
 * Linear centred kernel alignment (Kornblith et al. 2019, eq. 4 with linear kernels):
 * CKA(X, Y) = ⟨HKH, HLH⟩ / (‖HKH‖ ‖HLH‖) with K = XXᵀ, L = YYᵀ. X and Y hold the same n examples
 * as rows (any widths). Invariant to orthogonal transforms and isotropic scaling; CKA(X, X) = 1.
 */
export function linearCka(x: ArrayLike<number>, y: ArrayLike<number>, n: number): number {
  const k = centredGram(x, n);
  const l = centredGram(y, n);
  let kl = 0;
  let kk = 0;
  let ll = 0;
  for (let i = 0; i < k.length; i++) {
    kl += k[i]! * l[i]!;
    kk += k[i]! * k[i]!;
    ll += l[i]! * l[i]!;
  }
  return kl / Math.sqrt(kk * ll);
}

/** CKA between every pair of block outputs (a symmetric matrix with ones on the diagonal). */
export function ckaMatrix(outputs: readonly { features: Float32Array }[], n: number): number[][] {
  const grams = outputs.map((o) => centredGram(o.features, n));
  const norms = grams.map((g) => Math.sqrt(g.reduce((s, v) => s + v * v, 0)));
  return grams.map((a, i) => grams.map((b, j) => {
    let s = 0;
    for (let t = 0; t < a.length; t++) s += a[t]! * b[t]!;
    return i === j ? 1 : s / (norms[i]! * norms[j]!);
  }));
}

/** A copy of every weighted layer's weight (rank ≥ 2), to measure drift against later. */
export function snapshotWeights(model: Module): Map<string, Float32Array> {
  return new Map(weightLayers(model).map(([name, p]) => [name, p.f32.slice()]));
}

/** ‖W_t − W_0‖ / ‖W_0‖ per weighted layer, in depth order ("weights evolve slowly"). */
export function weightDrift(initial: Map<string, Float32Array>, model: Module): { layer: string; depth: number; drift: number }[] {
  return weightLayers(model).map(([name, p], depth) => {
    const w0 = initial.get(name);
    if (!w0) throw new Error(`weightDrift: no initial snapshot for '${name}'`);
    return { layer: name, depth, drift: l2Distance(p.f32, w0) / l2Norm(w0) };
  });
}
