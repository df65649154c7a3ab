import { noGrad } from '../autograd/no-grad.js';
import { JunctionError, withoutBranch } from '../blocks/skip-block.js';
import type { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Batch } from '../train/batches.js';
import { correctCount } from '../train/metrics.js';
import { skipBlocks, withHooks, withMode, type AnalysedModel } from './model-parts.js';

/**
 * The blocks a lesion study deletes (Veit et al. 2016 §4): the skip blocks whose output has their
 * input's shape and whose branch can be removed, in the order `skips()` lists them. Veit et al.
 * delete only blocks that keep the shape; a downsampling block (stride 2, more channels) is left
 * out of their claim (§4.1, the exceptions in Fig. 3a), since its shortcut is not the identity and
 * deleting it changes the resolution or features every later block sees. A plain twin's block
 * is bypassed (y = x), which also needs the shape kept. One evaluation-mode pass over `probe`
 * finds them.
 */
export function lesionableBlocks(model: AnalysedModel, probe: Tensor): string[] {
  const blocks = skipBlocks(model);
  const ok = new Set<string>();
  withMode(model, false, () => noGrad(() => withHooks(
    () => blocks.map(({ path, module }) => module.registerForwardHook((_m, x, y) => {
      if (!shapesEqual(x.shape, y.shape)) return;
      try {
        if (shapesEqual(module.forwardJunctions(x, withoutBranch).shape, y.shape)) ok.add(path);
      } catch (error) {
        if (!(error instanceof JunctionError)) throw error;
      }
    })),
    () => model.forward(probe),
  )));
  return blocks.map((b) => b.path).filter((p) => ok.has(p));
}

/**
 * Evaluate with the given blocks deleted (Veit et al. 2016 §4): each deleted block's output is
 * replaced by its output with every branch removed (`withoutBranch`: y = shortcut(x) merged as
 * if F were 0; a plain block is bypassed). A scoped override — forward hooks removed before
 * returning — so the trained model is never changed. Any skip block whose deletion keeps its
 * output's shape may be given (a downsampling block's too, e.g. to compare with PyTorch); the
 * lesion study itself deletes only `lesionableBlocks`.
 */
export function withLesions<T>(model: AnalysedModel, paths: readonly string[], fn: () => T): T {
  const blocks = new Map(skipBlocks(model).map((b) => [b.path, b.module]));
  for (const p of paths) if (!blocks.has(p)) throw new Error(`withLesions: '${p}' is not a skip block of the model (blocks: ${[...blocks.keys()].join(', ')})`);
  return withHooks(
    () => paths.map((p) => {
      const block = blocks.get(p)!;
      return block.registerForwardHook((_m, x, y) => {
        try {
          const out = block.forwardJunctions(x, withoutBranch);
          if (!shapesEqual(out.shape, y.shape)) throw new JunctionError(`its output would change shape ${formatShape(y.shape)} -> ${formatShape(out.shape)}`);
          return out;
        } catch (error) {
          if (error instanceof JunctionError) throw new Error(`withLesions: block '${p}' ${error.message}`);
          throw error;
        }
      });
    }),
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

/** The test error (fraction) with one block deleted, and the block's path and index. */
export interface SingleLesion {
  block: string;
  /** Position among all the model's skip blocks (downsampling ones included), as `skips()` lists them. */
  index: number;
  error: number;
}

/**
 * Test error with each single block deleted in turn (Veit et al. 2016 Fig. 3): by default each of
 * `lesionableBlocks`, so the downsampling blocks are `excluded` (the skip blocks not deleted).
 */
export function lesionEachBlock(model: AnalysedModel, batches: readonly Batch[], options: { blocks?: string[] } = {}): { baseline: number; lesions: SingleLesion[]; excluded: string[] } {
  const all = skipBlocks(model).map((b) => b.path);
  const chosen = options.blocks ?? lesionableBlocks(model, batches[0]!.x);
  const baseline = classificationError(model, batches);
  const lesions = chosen.map((block) => ({ block, index: all.indexOf(block), error: withLesions(model, [block], () => classificationError(model, batches)) }));
  return { baseline, lesions, excluded: all.filter((p) => !chosen.includes(p)) };
}

/** Test errors (fractions) with `deleted` random blocks removed, over several trials, and their mean. */
export interface RandomLesions {
  deleted: number;
  meanError: number;
  errors: number[];
}

/**
 * Test error with k random blocks deleted, k = 1..n (Veit et al. 2016 Fig. 5a): for each k,
 * `trials` seeded draws of k distinct blocks among `blocks` (default: `lesionableBlocks`, so
 * never a downsampling block).
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
