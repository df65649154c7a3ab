import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { activationPatternActive } from '../activation-pattern.js';
import { record } from '../tape.js';
import { relu } from './unary.js';

export interface BatchNormOptions {
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over channel axis 1 of x (N, C, ...) — PyTorch's F.batch_norm, with its
 * defaults (momentum 0.1, eps 1e-5). In training the running statistics are updated in place.
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  options: BatchNormOptions = {}, layer = 'batchNorm',
): Tensor {
  return batchNormMaybeRelu(x, runningMean, runningVar, weight, bias, options, layer, false);
}

/**
 * relu(batchNorm(x, ...)) computed in one pass over x forward and one backward, without the
 * intermediate tensor: the ReLU's mask comes from the output (out > 0 exactly where the
 * normalised value is), so the gradient is that of the composition, bit for bit. Same
 * arguments as `batchNorm`. Layers use it only where nothing can observe the intermediate
 * (no hooks on either module); see BatchNorm2d.forwardRelu.
 */
export function batchNormRelu(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  options: BatchNormOptions = {}, layer = 'batchNormRelu',
): Tensor {
  // A frozen activation pattern must see the ReLU as its own op.
  if (activationPatternActive()) return relu(batchNormMaybeRelu(x, runningMean, runningVar, weight, bias, options, layer, false));
  return batchNormMaybeRelu(x, runningMean, runningVar, weight, bias, options, layer, true);
}

function batchNormMaybeRelu(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  options: BatchNormOptions, layer: string, relu: boolean,
): Tensor {
  const training = options.training ?? false;
  if (x.ndim < 2) throw new ShapeError(`${layer}: expected input (N, C, ...), got ${formatShape(x.shape)}`);
  const [n, c] = x.shape as [number, number];
  for (const [name, t] of [['weight', weight], ['bias', bias], ['running mean', runningMean], ['running var', runningVar]] as const) {
    if (t && t.size !== c) throw new ShapeError(`${layer}: ${name} of shape ${formatShape(t.shape)} does not match ${c} channels of input ${formatShape(x.shape)}`);
  }
  const spatial = x.size / Math.max(1, n * c);
  if (training && n * spatial <= 1) throw new ShapeError(`${layer}: expected more than 1 value per channel when training, got input ${formatShape(x.shape)}`);
  if (!training && (!runningMean || !runningVar)) throw new ShapeError(`${layer}: evaluation needs running statistics`);
  const kernelShape = [n, c, spatial];
  const out = uninitialized(x.shape); // every element written by the kernel
  const saveMean = new Float32Array(c);
  const saveInvStd = new Float32Array(c);
  const backend = getBackend();
  const eps = options.eps ?? 1e-5;
  backend.batchNormForward(
    x.f32, kernelShape, weight?.f32 ?? null, bias?.f32 ?? null, runningMean?.f32 ?? null, runningVar?.f32 ?? null,
    { training, momentum: options.momentum ?? 0.1, eps, relu }, out.f32, saveMean, saveInvStd,
  );
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  // Only the fused op's backward reads the output (its ReLU mask); the closure must not name
  // `out` otherwise, or every plain batch norm's output stays alive until backward.
  const reluOutput = relu ? out.f32 : null;
  const backward = (dy: Tensor): (Tensor | null)[] => {
    const dx = x.requiresGrad ? uninitialized(x.shape) : null;
    const dgamma = weight?.requiresGrad ? empty(weight.shape) : null;
    const dbeta = bias?.requiresGrad ? empty(bias.shape) : null;
    backend.batchNormBackward(
      x.f32, kernelShape, dy.f32, weight?.f32 ?? null, saveMean, saveInvStd, training,
      dx ? dx.f32 : new Float32Array(x.size), dgamma?.f32 ?? null, dbeta?.f32 ?? null, reluOutput,
    );
    return weight ? (bias ? [dx, dgamma, dbeta] : [dx, dgamma]) : bias ? [dx, dbeta] : [dx];
  };
  const attributes = { weight, bias, runningMean, runningVar, eps, training };
  return relu ? record('batchNormRelu', inputs, out, backward, attributes) : record('batchNorm', inputs, out, backward, attributes);
}
