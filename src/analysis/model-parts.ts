import { crossEntropy } from '../autograd/functions/cross-entropy.js';
import { asSkipBlock, type SkipBlock } from '../blocks/skip-block.js';
import type { HasSkips, SkipKind } from '../blocks/skip.js';
import type { Module, Parameter } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Batch } from '../train/batches.js';

/**
 * How the analysis layer sees a model (DESIGN.md decision 4): a `Module` that lists its skip
 * edges. Blocks are found from `skips()`, sub-modules by path through `namedModules()`, and a
 * block is used only through the `SkipBlock` interface (its junctions), never its fields.
 */
export type AnalysedModel = Module & HasSkips;

/** Loss of one batch given the model's output (cross-entropy against labels by default). */
export type LossFunction = (output: Tensor, batch: Batch) => Tensor;

/** Mean cross-entropy of the model's logits on a batch: the default loss of the analyses. */
export const classificationLoss: LossFunction = (output, batch) => crossEntropy(output, batch.y);

/** The module at a dotted path (`layer2.0`), or a clear error naming the path. */
export function moduleAt(model: Module, path: string): Module {
  for (const [name, module] of model.namedModules()) if (name === path) return module;
  throw new Error(`analysis: the model has no module at '${path}' (a path listed by its skips())`);
}

/** A block that owns skips, at its module path. */
export interface SkipBlockAt {
  path: string;
  module: Module & SkipBlock;
  kind: SkipKind;
}

/** The blocks that own a skip (residual blocks, highway layers, dense blocks...), in the order `skips()` lists them. */
export function skipBlocks(model: AnalysedModel): SkipBlockAt[] {
  const seen = new Map<string, SkipKind>();
  for (const edge of model.skips()) if (!seen.has(edge.block)) seen.set(edge.block, edge.kind);
  return [...seen].map(([path, kind]) => ({ path, module: asSkipBlock(moduleAt(model, path), path), kind }));
}

/**
 * The weighted layers (parameters of rank ≥ 2: convolution and linear weights, embeddings), in
 * construction order — what "layer l" means in the depth plots.
 */
export function weightLayers(model: Module): [string, Parameter][] {
  return model.namedParameters().filter(([, p]) => p.ndim >= 2);
}

/** Modules that own a weight of rank ≥ 2 directly (Conv2d, Linear, ...), with their paths. */
export function weightedModules(model: Module): [string, Module][] {
  const out: [string, Module][] = [];
  for (const [path, module] of model.namedModules()) {
    const own = module.namedParameters().filter(([name, p]) => !name.includes('.') && p.ndim >= 2);
    if (own.length > 0) out.push([path, module]);
  }
  return out;
}

/** Euclidean norm of an array (accumulated in float64). */
export function l2Norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! * values[i]!;
  return Math.sqrt(s);
}

/** ‖a − b‖ for arrays of equal length. */
export function l2Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`analysis: cannot compare arrays of ${a.length} and ${b.length} values`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** Run `fn` with the model in evaluation (or training) mode, restoring the previous mode after. */
export function withMode<T>(model: Module, training: boolean, fn: () => T): T {
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  model.train(training);
  try {
    return fn();
  } finally {
    for (const [m, mode] of modes) m.training = mode;
  }
}

/** Register hooks for the duration of `fn`; every remover runs even when `fn` throws. */
export function withHooks<T>(install: () => (() => void)[], fn: () => T): T {
  const removers = install();
  try {
    return fn();
  } finally {
    for (const remove of removers) remove();
  }
}

/**
 * Run `fn` and then put back what it may change in `model` besides its weights: every
 * parameter's gradient and `requiresGrad`, every buffer (batch-norm running statistics and
 * counts, which a forward pass in training mode updates), and every module's mode. A measurement
 * leaves the model as it found it, even when `fn` throws.
 */
export function preservingState<T>(model: Module, fn: () => T): T {
  const params = model.parameters();
  const grads = params.map((p) => [p.grad, p.requiresGrad] as const);
  const buffers = model.namedBuffers().map(([, b]) => [b, b.data.slice()] as const);
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  try {
    return fn();
  } finally {
    params.forEach((p, i) => {
      p.grad = grads[i]![0];
      p.requiresGrad = grads[i]![1];
    });
    for (const [b, data] of buffers) b.data.set(data);
    for (const [m, mode] of modes) m.training = mode;
  }
}

/** Mean of an array (NaN when empty). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}
