import { noGrad } from '../autograd/no-grad.js';
import { ResidualBlock } from '../blocks/residual.js';
import type { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Batch } from '../train/batches.js';
import { correctCount } from '../train/metrics.js';
import { skipBlocks, withHooks, withMode, type AnalysedModel } from './model-parts.js';

/**
 * What a block becomes when it is deleted at test time (Veit et al. 2016 §4): a residual block
 * keeps only its shortcut, y = shortcut(x) (through the block's final ReLU where it has one); a
 * block without a skip is bypassed, y = x, which is only possible when the block keeps the shape.
 */
function lesionedOutput(block: Module, x: Tensor, y: Tensor): Tensor | null {
  if (block instanceof ResidualBlock && block.downsample) return block.lesionedForward(x);
  return shapesEqual(x.shape, y.shape) ? x : null;
}

/** Whether the block at `path` can be deleted (it has a shortcut, or keeps its input's shape). */
export function lesionableBlocks(model: AnalysedModel, probe: Tensor): string[] {
  const ok: string[] = [];
  withMode(model, false, () => noGrad(() => withHooks(
    () => skipBlocks(model).map(({ path, module }) => module.registerForwardHook((m, x, y) => {
      if (lesionedOutput(m, x, y)) ok.push(path);
    })),
    () => model.forward(probe),
  )));
  return ok;
}

/**
 * Evaluate with the given blocks deleted: a scoped override (forward hooks that replace each
 * deleted block's output), removed before returning — the trained model is never changed.
 */
export function withLesions<T>(model: AnalysedModel, paths: readonly string[], fn: () => T): T {
  const blocks = new Map(skipBlocks(model).map((b) => [b.path, b.module]));
  for (const p of paths) if (!blocks.has(p)) throw new Error(`withLesions: '${p}' is not a skip block of the model (blocks: ${[...blocks.keys()].join(', ')})`);
  return withHooks(
    () => paths.map((p) => blocks.get(p)!.registerForwardHook((m, x, y) => {
      const out = lesionedOutput(m, x, y);
      if (!out) throw new Error(`withLesions: block '${p}' has no shortcut and changes its input's shape ${x.shape.join('x')} -> ${y.shape.join('x')}; it cannot be bypassed`);
      return out;
    })),
    fn,
  );
}

/** Top-1 error of the model on `batches` in evaluation mode, without gradients. */
export function classificationError(model: Module, batches: readonly Batch[]): number {
  let correct = 0;
  let count = 0;
  withMode(model, false, () => noGrad(() => {
    for (const b of batches) {
      correct += correctCount(model.forward(b.x), b.y);
      count += b.y.shape[0]!;
    }
  }));
  return count > 0 ? 1 - correct / count : NaN;
}

export interface SingleLesion {
  block: string;
  index: number;
  error: number;
}

/** Test error with each single block deleted in turn (Veit et al. 2016 Fig. 3). */
export function lesionEachBlock(model: AnalysedModel, batches: readonly Batch[], options: { blocks?: string[] } = {}): { baseline: number; lesions: SingleLesion[] } {
  const all = skipBlocks(model).map((b) => b.path);
  const chosen = options.blocks ?? lesionableBlocks(model, batches[0]!.x);
  const baseline = classificationError(model, batches);
  const lesions = chosen.map((block) => ({ block, index: all.indexOf(block), error: withLesions(model, [block], () => classificationError(model, batches)) }));
  return { baseline, lesions };
}

export interface RandomLesions {
  deleted: number;
  meanError: number;
  errors: number[];
}

/**
 * Test error with k random blocks deleted, k = 1..n (Veit et al. 2016 Fig. 5a): for each k,
 * `trials` seeded draws of k distinct blocks among `blocks` (default: all deletable ones).
 */
export function lesionRandomBlocks(
  model: AnalysedModel, batches: readonly Batch[], options: { rng: Rng; trials?: number; blocks?: string[]; maxDeleted?: number },
): { baseline: number; candidates: string[]; results: RandomLesions[] } {
  const candidates = options.blocks ?? lesionableBlocks(model, batches[0]!.x);
  const trials = options.trials ?? 5;
  const maxDeleted = Math.min(options.maxDeleted ?? candidates.length, candidates.length);
  const results: RandomLesions[] = [];
  for (let k = 1; k <= maxDeleted; k++) {
    const errors: number[] = [];
    for (let t = 0; t < trials; t++) {
      const pick = Array.from(options.rng.permutation(candidates.length).subarray(0, k), (i) => candidates[i]!);
      errors.push(withLesions(model, pick, () => classificationError(model, batches)));
    }
    results.push({ deleted: k, meanError: errors.reduce((a, b) => a + b, 0) / errors.length, errors });
  }
  return { baseline: classificationError(model, batches), candidates, results };
}
