import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError, shapesEqual } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { activationPatternActive } from '../activation-pattern.js';
import { record } from '../tape.js';
import { addRelu } from './add-relu.js';
import { batchNorm, type BatchNormOptions } from './batch-norm.js';

/**
 * relu(batchNorm(x) + residual) as one op: the end of a basic residual block, y = relu(F(x) + x)
 * with F's last batch norm (He et al. 2016, Fig. 2). Forward writes y in the batch norm's own
 * pass, so bn(x) is never stored; backward masks dy by y > 0 once, inside the batch norm's
 * backward, which also writes the masked gradient for the residual — where addRelu and batchNorm
 * take a pass each way and keep bn(x) for the length of the step. Values and gradients are those
 * of addRelu(batchNorm(x), residual) bit for bit.
 */
export function batchNormAddRelu(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  options: BatchNormOptions, residual: Tensor, layer = 'batchNormAddRelu',
): Tensor {
  // A frozen activation pattern must see the ReLU as its own op.
  if (activationPatternActive()) return addRelu(batchNorm(x, runningMean, runningVar, weight, bias, options, layer), residual);
  const training = options.training ?? false;
  if (x.ndim < 2) throw new ShapeError(`${layer}: expected input (N, C, ...), got ${formatShape(x.shape)}`);
  if (!shapesEqual(x.shape, residual.shape)) throw new ShapeError(`${layer}: residual ${formatShape(residual.shape)} does not match input ${formatShape(x.shape)}`);
  const [n, c] = x.shape as [number, number];
  for (const [name, t] of [['weight', weight], ['bias', bias], ['running mean', runningMean], ['running var', runningVar]] as const) {
    if (t && t.size !== c) throw new ShapeError(`${layer}: ${name} of shape ${formatShape(t.shape)} does not match ${c} channels of input ${formatShape(x.shape)}`);
  }
  const spatial = x.size / Math.max(1, n * c);
  if (training && n * spatial <= 1) throw new ShapeError(`${layer}: expected more than 1 value per channel when training, got input ${formatShape(x.shape)}`);
  if (!training && (!runningMean || !runningVar)) throw new ShapeError(`${layer}: evaluation needs running statistics`);
  const kernelShape = [n, c, spatial];
  const out = uninitialized(x.shape);
  const saveMean = new Float32Array(c), saveInvStd = new Float32Array(c);
  const backend = getBackend();
  const eps = options.eps ?? 1e-5;
  backend.batchNormForward(
    x.f32, kernelShape, weight?.f32 ?? null, bias?.f32 ?? null, runningMean?.f32 ?? null, runningVar?.f32 ?? null,
    { training, momentum: options.momentum ?? 0.1, eps, relu: true }, out.f32, saveMean, saveInvStd, residual.f32,
  );
  const inputs = [x, residual, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const y = out.f32; // the ReLU's mask
  return record('batchNormAddRelu', inputs, out, (dy, dyIsFree) => {
    const dx = x.requiresGrad ? uninitialized(x.shape) : null;
    // The residual's gradient is dy masked: written over dy when nothing else reads it (every
    // backend masks a plane of dy only after reading it for dx, or works on a copy).
    const dResidual = residual.requiresGrad ? (dyIsFree ? dy : uninitialized(x.shape)) : null;
    const dgamma = weight?.requiresGrad ? empty(weight.shape) : null;
    const dbeta = bias?.requiresGrad ? empty(bias.shape) : null;
    backend.batchNormBackward(
      x.f32, kernelShape, dy.f32, weight?.f32 ?? null, saveMean, saveInvStd, training,
      dx ? dx.f32 : new Float32Array(x.size), dgamma?.f32 ?? null, dbeta?.f32 ?? null, y, null, dResidual?.f32 ?? null,
    );
    return [dx, dResidual, ...(weight ? [dgamma] : []), ...(bias ? [dbeta] : [])];
  }, { weight, bias, runningMean, runningVar, eps, training });
}
