import { activationPatternActive } from '../../autograd/activation-pattern.js';
import { conv2d } from '../../autograd/functions/conv2d.js';
import { isGradEnabled } from '../../autograd/no-grad.js';
import { isTracing } from '../../autograd/trace.js';
import { getBackend } from '../../backend/select.js';
import { Tensor } from '../../tensor/tensor.js';
import type { BatchNorm2d } from './batch-norm.js';
import type { Conv2d } from './conv2d.js';

/**
 * Whether `bn(conv(x))` may run as one folded convolution: inference (evaluation mode with
 * running statistics, no gradient), no ONNX trace (the file must show both layers), and neither
 * layer `hooked` — so nothing can observe the batch norm's input.
 */
function foldable(conv: Conv2d, bn: BatchNorm2d): boolean {
  return !bn.training && bn.running_mean !== null && bn.running_var !== null && !isGradEnabled() && !isTracing() && !activationPatternActive() &&
    !conv.hooked && !bn.hooked && bn.numFeatures === conv.outChannels;
}

/**
 * bn(conv(x)), then a ReLU when `relu` — the conv → batch norm (→ ReLU) unit of ResNets and
 * U-Nets. In inference the batch norm is folded into the convolution: with s = γ/√(var + eps),
 * w' = s·w and b' = s·(b − mean) + β per output channel (as inference engines and PyTorch's
 * `fuse_conv_bn_eval` do), so normalising costs no pass over the activations, and the ReLU runs in
 * place on the convolution's fresh output. Otherwise the modules run as written.
 */
export function convBatchNorm(conv: Conv2d, bn: BatchNorm2d, x: Tensor, relu = false): Tensor {
  if (!foldable(conv, bn)) {
    const y = conv.forward(x);
    return relu ? bn.forwardRelu(y) : bn.forward(y);
  }
  const weight = conv.weight.f32;
  const channels = conv.outChannels;
  const perChannel = weight.length / channels;
  const folded = new Float32Array(weight.length);
  const bias = new Float32Array(channels);
  const mean = bn.running_mean!.f32, variance = bn.running_var!.f32;
  for (let o = 0; o < channels; o++) {
    const scale = (bn.weight ? bn.weight.f32[o]! : 1) / Math.sqrt(variance[o]! + bn.eps);
    bias[o] = scale * ((conv.bias ? conv.bias.f32[o]! : 0) - mean[o]!) + (bn.bias ? bn.bias.f32[o]! : 0);
    for (let i = o * perChannel; i < (o + 1) * perChannel; i++) folded[i] = weight[i]! * scale;
  }
  const y = conv2d(x, new Tensor(folded, conv.weight.shape), new Tensor(bias, [channels]), {
    stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups,
  }, 'Conv2d');
  // No gradient and no tracer: y is this function's own, so it can be rectified in place.
  if (relu) getBackend().unary('relu', y.f32, y.f32);
  return y;
}
