/**
 * What a `ChannelAffine` input means (backend.ts): the kernel runs on x' = relu?((x − mean)·scale +
 * shift), channel by channel. `applyChannelAffine` is that definition; `withChannelAffineInputs`
 * gives it to a backend whose kernels have no such input of their own — the reference, of which
 * this is the definition — by storing x' in a temporary and running the plain kernel.
 */
import type { Backend, ChannelAffine, Shape } from './backend.js';

/** x' (N, C, ...) = relu?((x − mean)·scale + shift) per channel, each value rounded to float32 once. */
export function applyChannelAffine(x: Float32Array, xShape: Shape, affine: ChannelAffine): Float32Array {
  const channels = xShape[1]!;
  let spatial = 1;
  for (let i = 2; i < xShape.length; i++) spatial *= xShape[i]!;
  const out = new Float32Array(x.length);
  for (let start = 0; start < x.length; start += spatial) {
    const c = (start / spatial) % channels;
    const mean = affine.mean[c]!, scale = affine.scale[c]!, shift = affine.shift[c]!;
    for (let i = start; i < start + spatial; i++) {
      const v = Math.fround((x[i]! - mean) * scale + shift);
      out[i] = affine.relu && !(v > 0) ? 0 : v;
    }
  }
  return out;
}

type InputKernels = Pick<Backend, 'conv2dForward' | 'conv2dBackwardWeight' | 'batchNormBackward'>;

export function withChannelAffineInputs<K extends InputKernels>(kernels: K): K {
  return {
    ...kernels,
    conv2dForward: (x, xShape, w, wShape, bias, p, out, outShape, input) =>
      kernels.conv2dForward(input ? applyChannelAffine(x, xShape, input) : x, xShape, w, wShape, bias, p, out, outShape),
    conv2dBackwardWeight: (x, xShape, dy, dyShape, p, dw, dwShape, input) =>
      kernels.conv2dBackwardWeight(input ? applyChannelAffine(x, xShape, input) : x, xShape, dy, dyShape, p, dw, dwShape),
    batchNormBackward: (x, xShape, dy, gamma, saveMean, saveInvStd, training, dx, dgamma, dbeta, reluOutput, reluOf, maskedGradient) =>
      kernels.batchNormBackward(x, xShape, dy, gamma, saveMean, saveInvStd, training, dx, dgamma, dbeta,
        reluOf ? applyChannelAffine(x, xShape, { ...reluOf, relu: true }) : reluOutput, null, maskedGradient),
  };
}
