import type { Module } from '../nn/module.js';
import type { Batch } from '../train/batches.js';
import { classificationLoss, l2Norm, preservingState, weightedModules, weightLayers, withHooks, withMode, type LossFunction } from './model-parts.js';

/** One weighted layer's gradient norms (‖∂L/∂W‖ and ‖∂L/∂output‖) at its depth. */
export interface LayerGradient {
  /** Module path of the weighted layer (`layer1.0.conv1`). */
  layer: string;
  /** Position in forward (construction) order, 0 = closest to the input. */
  depth: number;
  /** ‖∂L/∂W‖ of the layer's weight. */
  weightGradientNorm: number;
  /** ‖W‖, so the relative size ‖∂L/∂W‖/‖W‖ can be read too. */
  weightNorm: number;
  /** ‖∂L/∂y‖ of the layer's output, per example (root mean square over the batch). */
  activationGradientNorm: number;
  /**
   * Root mean square of the elements of ∂L/∂W: ‖∂L/∂W‖ / √(number of weights). Unlike the norm it
   * does not grow with the layer's size, so layers of different widths compare.
   */
  weightGradientRms: number;
  /** Root mean square of the elements of ∂L/∂y over the batch: ‖∂L/∂y‖ / √(N · values per example). */
  activationGradientRms: number;
  /** Rank of the layer's weight: 4 for a convolution, 2 for a linear layer or an embedding. */
  weightRank: number;
}

/** Gradient norms of every weighted layer, input to output, for one batch. */
export interface GradientFlow {
  loss: number;
  layers: LayerGradient[];
  /** ‖∂L/∂W‖ of the first weighted layer over that of the last (≪ 1 means vanishing gradients). */
  firstToLastRatio: number;
}

/**
 * Gradient flow (Glorot & Bengio 2010; He et al. 2015 §4.1): one forward and backward pass on
 * `batch`, recording the gradient norm of every weighted layer's weight and of its output. Runs
 * in training mode (batch-norm on batch statistics), as during training, and leaves the model as
 * it found it: weights, gradients, running statistics and mode.
 */
export function gradientNormsByDepth(model: Module, batch: Batch, options: { loss?: LossFunction; training?: boolean } = {}): GradientFlow {
  const lossOf = options.loss ?? classificationLoss;
  const modules = weightedModules(model);
  const outputGrad = new Map<string, number>();
  const outputSquares = new Map<string, { sum: number; count: number }>();
  const n = batch.x.shape[0]!;
  const weights = new Map(weightLayers(model));
  return preservingState(model, () => {
    const loss = withMode(model, options.training ?? true, () => withHooks(
      () => modules.map(([path, m]) => m.registerBackwardHook((_m, g) => {
        // Sum over repeated uses (a shared layer) of the per-example RMS gradient norm.
        const norm = l2Norm(g.f32);
        outputGrad.set(path, (outputGrad.get(path) ?? 0) + norm / Math.sqrt(n));
        const squares = outputSquares.get(path) ?? { sum: 0, count: 0 };
        outputSquares.set(path, { sum: squares.sum + norm * norm, count: squares.count + g.size });
      })),
      () => {
        model.zeroGrad();
        const value = lossOf(model.forward(batch.x), batch);
        value.backward();
        return value.item();
      },
    ));
    const layers: LayerGradient[] = modules.map(([path], depth) => {
      const weight = weights.get(path ? `${path}.weight` : 'weight') ?? [...weights].find(([name]) => name.startsWith(`${path}.`) && !name.slice(path.length + 1).includes('.'))?.[1];
      return {
        layer: path,
        depth,
        weightGradientNorm: weight?.grad ? l2Norm(weight.grad.f32) : 0,
        weightNorm: weight ? l2Norm(weight.f32) : 0,
        activationGradientNorm: outputGrad.get(path) ?? 0,
        weightGradientRms: weight?.grad ? l2Norm(weight.grad.f32) / Math.sqrt(weight.size) : 0,
        activationGradientRms: rms(outputSquares.get(path)),
        weightRank: weight?.ndim ?? 0,
      };
    });
    const first = layers[0]?.weightGradientNorm ?? NaN;
    const last = layers[layers.length - 1]?.weightGradientNorm ?? NaN;
    return { loss, layers, firstToLastRatio: first / last };
  });
}

const rms = (squares: { sum: number; count: number } | undefined): number => (squares && squares.count > 0 ? Math.sqrt(squares.sum / squares.count) : 0);

/** Gradient size at the first convolution over that at the last, as per-element RMS. */
export interface ConvGradientRatio {
  /** The first and last convolution (weight rank 4) in forward order. */
  first: string;
  last: string;
  /** RMS of ∂L/∂y at the first convolution's output over that at the last's (≪ 1: vanishing towards the input). */
  activationRatio: number;
  /** The same for the elements of ∂L/∂W. */
  weightRatio: number;
}

/**
 * Vanishing gradients as per-element RMS between the first and the last convolution: both are
 * conv feature maps, so the ratio does not depend on how many values each tensor holds (the
 * first conv's output and the logits differ in size by orders of magnitude). Null when the model
 * has fewer than two convolutions.
 */
export function convGradientRatio(flow: GradientFlow): ConvGradientRatio | null {
  const convs = flow.layers.filter((l) => l.weightRank === 4);
  if (convs.length < 2) return null;
  const [first, last] = [convs[0]!, convs[convs.length - 1]!];
  return {
    first: first.layer,
    last: last.layer,
    activationRatio: first.activationGradientRms / last.activationGradientRms,
    weightRatio: first.weightGradientRms / last.weightGradientRms,
  };
}
