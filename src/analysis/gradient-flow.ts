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
  const n = batch.x.shape[0]!;
  const weights = new Map(weightLayers(model));
  return preservingState(model, () => {
    const loss = withMode(model, options.training ?? true, () => withHooks(
      () => modules.map(([path, m]) => m.registerBackwardHook((_m, g) => {
        // Sum over repeated uses (a shared layer) of the per-example RMS gradient norm.
        outputGrad.set(path, (outputGrad.get(path) ?? 0) + l2Norm(g.f32) / Math.sqrt(n));
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
      };
    });
    const first = layers[0]?.weightGradientNorm ?? NaN;
    const last = layers[layers.length - 1]?.weightGradientNorm ?? NaN;
    return { loss, layers, firstToLastRatio: first / last };
  });
}
