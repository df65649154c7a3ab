import type { ChannelAffine } from '../../backend/backend.js';
import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { record, releaseTemporary } from '../tape.js';
import { convOutputSize, convParams, type Conv2dOptions } from './conv-params.js';

/** The batch norm that feeds the convolution: PyTorch's F.batch_norm arguments. */
export interface BatchNormInput {
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  weight: Tensor | null;
  bias: Tensor | null;
  training: boolean;
  momentum?: number;
  eps?: number;
  /** A ReLU after the batch norm. */
  relu: boolean;
}

/**
 * conv2d(relu?(batchNorm(x)), weight, bias) as one op, the batch norm and its ReLU run as the
 * convolution's input map (ChannelAffine): the normalised tensor is never stored. The
 * convolution's weight gradient reads x through the same map, and the batch norm's backward
 * recomputes the ReLU's mask from x — so the op keeps x alone where the two ops keep x and the
 * normalised tensor, and no pass writes or reads that tensor. Values and gradients are those of
 * the composition (bit for bit on backends whose map is batch norm's own arithmetic, which the
 * native one is); running statistics update as in batchNorm.
 */
export function batchNormConv2d(
  x: Tensor, bn: BatchNormInput, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}, layer = 'batchNormConv2d',
): Tensor {
  const p = convParams(options);
  if (x.ndim !== 4) throw new ShapeError(`${layer}: expected input (N, C, H, W), got ${formatShape(x.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  if (weight.ndim !== 4 || c !== cg * p.groups || o % p.groups !== 0) {
    throw new ShapeError(`${layer}: input ${formatShape(x.shape)} does not match weight ${formatShape(weight.shape)} with groups=${p.groups}`);
  }
  for (const [name, t] of [['batch-norm weight', bn.weight], ['batch-norm bias', bn.bias], ['running mean', bn.runningMean], ['running var', bn.runningVar]] as const) {
    if (t && t.size !== c) throw new ShapeError(`${layer}: ${name} of shape ${formatShape(t.shape)} does not match ${c} channels of input ${formatShape(x.shape)}`);
  }
  if (bias && bias.size !== o) throw new ShapeError(`${layer}: bias ${formatShape(bias.shape)} does not match ${o} output channels`);
  if (bn.training && n * h * w <= 1) throw new ShapeError(`${layer}: expected more than 1 value per channel when training, got input ${formatShape(x.shape)}`);
  if (!bn.training && (!bn.runningMean || !bn.runningVar)) throw new ShapeError(`${layer}: evaluation needs running statistics`);
  const oh = convOutputSize(h, kh, p.stride[0], p.padding[0], p.dilation[0]);
  const ow = convOutputSize(w, kw, p.stride[1], p.padding[1], p.dilation[1]);
  if (oh <= 0 || ow <= 0) throw new ShapeError(`${layer}: input ${formatShape(x.shape)} is smaller than the ${kh}x${kw} kernel`);
  const backend = getBackend();
  const kernelShape = [n, c, h * w];
  const eps = bn.eps ?? 1e-5;
  const saveMean = new Float32Array(c), saveInvStd = new Float32Array(c), scale = new Float32Array(c), shift = new Float32Array(c);
  backend.batchNormStatistics(
    x.f32, kernelShape, bn.weight?.f32 ?? null, bn.bias?.f32 ?? null, bn.runningMean?.f32 ?? null, bn.runningVar?.f32 ?? null,
    { training: bn.training, momentum: bn.momentum ?? 0.1, eps }, saveMean, saveInvStd, scale, shift,
  );
  const map: ChannelAffine = { mean: saveMean, scale, shift, relu: bn.relu };
  const outShape = [n, o, oh, ow];
  const out = uninitialized(outShape);
  backend.conv2dForward(x.f32, x.shape, weight.f32, weight.shape, bias?.f32 ?? null, p, out.f32, outShape, map);
  const inputs = [x, weight, ...(bias ? [bias] : []), ...(bn.weight ? [bn.weight] : []), ...(bn.bias ? [bn.bias] : [])];
  const backward = (dy: Tensor): (Tensor | null)[] => {
    const normNeedsGrad = x.requiresGrad || !!bn.weight?.requiresGrad || !!bn.bias?.requiresGrad;
    let dw: Tensor | null = null, db: Tensor | null = null, dx: Tensor | null = null, dgamma: Tensor | null = null, dbeta: Tensor | null = null;
    if (weight.requiresGrad) {
      dw = n > 0 ? uninitialized(weight.shape) : empty(weight.shape);
      backend.conv2dBackwardWeight(x.f32, x.shape, dy.f32, outShape, p, dw.f32, weight.shape, map);
    }
    if (bias?.requiresGrad) {
      db = n > 0 ? uninitialized([o]) : empty([o]);
      backend.reduce('sum', dy.f32, outShape, [0, 2, 3], db.f32);
    }
    if (normNeedsGrad) {
      // The gradient of the normalised tensor lives only as long as this backward: the batch
      // norm's backward writes the input's gradient over it (allowed, see Backend), so the
      // two never take two buffers.
      const dNormalized = uninitialized(x.shape);
      backend.conv2dBackwardInput(dy.f32, outShape, weight.f32, weight.shape, p, dNormalized.f32, x.shape);
      dx = x.requiresGrad ? dNormalized : null;
      dgamma = bn.weight?.requiresGrad ? empty(bn.weight.shape) : null;
      dbeta = bn.bias?.requiresGrad ? empty(bn.bias.shape) : null;
      backend.batchNormBackward(
        x.f32, kernelShape, dNormalized.f32, bn.weight?.f32 ?? null, saveMean, saveInvStd, bn.training,
        dNormalized.f32, dgamma?.f32 ?? null, dbeta?.f32 ?? null, null, bn.relu ? map : null,
      );
      if (!dx) releaseTemporary(dNormalized);
    }
    return [dx, dw, ...(bias ? [db] : []), ...(bn.weight ? [dgamma] : []), ...(bn.bias ? [dbeta] : [])];
  };
  return record('batchNormConv2d', inputs, out, backward, {
    weight: bn.weight, bias: bn.bias, runningMean: bn.runningMean, runningVar: bn.runningVar, eps, training: bn.training, relu: bn.relu, conv: p,
  });
}
