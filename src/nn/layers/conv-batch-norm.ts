import { activationPatternActive } from '../../autograd/activation-pattern.js';
import { batchNormConv2d } from '../../autograd/functions/batch-norm-conv2d.js';
import { addRelu } from '../../autograd/functions/add-relu.js';
import { conv2d } from '../../autograd/functions/conv2d.js';
import { recycleAfterBackward } from '../../autograd/recycle-after-backward.js';
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
 * `normalized`, made by `bn` from the convolution output `y`, owns `y` when neither layer is
 * hooked (no hook saw `y`): its storage is recycled once the batch norm's backward has read it,
 * in time for the gradients of the layers below (recycleAfterBackward).
 */
function handOver(y: Tensor, normalized: Tensor, conv: Conv2d, bn: BatchNorm2d): Tensor {
  if (!conv.hooked && !bn.hooked) recycleAfterBackward(normalized, y);
  return normalized;
}

/**
 * bn(conv(x)), then a ReLU when `relu` — the conv → batch norm (→ ReLU) unit of ResNets and
 * U-Nets. In inference the batch norm is folded into the convolution: with s = γ/√(var + eps),
 * w' = s·w and b' = s·(b − mean) + β per output channel (as inference engines and PyTorch's
 * `fuse_conv_bn_eval` do), so normalising costs no pass over the activations, and the ReLU runs in
 * place on the convolution's fresh output. Otherwise the modules run as written, and the
 * convolution's output, which only the batch norm reads, is recycled after the batch norm's backward.
 */
export function convBatchNorm(conv: Conv2d, bn: BatchNorm2d, x: Tensor, relu = false): Tensor {
  if (!foldable(conv, bn)) {
    const y = conv.forward(x);
    return handOver(y, relu ? bn.forwardRelu(y) : bn.forward(y), conv, bn);
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
  const y = conv2d(x, new Tensor(folded, conv.weight.shape), new Tensor(bias, [channels]), conv.params, 'Conv2d');
  // No gradient and no tracer: y is this function's own, so it can be rectified in place.
  if (relu) getBackend().unary('relu', y.f32, y.f32);
  return y;
}

/**
 * Whether the first batch norm of conv → bn → ReLU → conv may run inside the second convolution:
 * gradients flow (without them, inference folding above is better), no ONNX trace (the file must
 * show the layers), the backend applies input maps as it reads, and the skipped modules (the
 * batch norm, whose output is never made, and the convolution that reads it) are not `hooked`,
 * and no activation pattern is recorded or replayed (its ReLU must run as its own op), so nothing
 * can observe the difference.
 */
function mappable(bn: BatchNorm2d, conv: Conv2d): boolean {
  return isGradEnabled() && !isTracing() && !activationPatternActive() && getBackend().fusesBatchNorm && !bn.hooked && !conv.hooked;
}

/**
 * conv(relu(bn(x))): the BN-ReLU-Conv unit of a dense layer and a transition (Huang et al. 2017
 * §3) and the second half of a pre-activation block (He et al. 2016, "Identity mappings", Fig.
 * 4e). When gradients flow, the batch norm and its ReLU run as the convolution's input map
 * (batchNormConv2d): their output is neither stored nor written, and the backward recomputes it
 * from x image by image. The same bits as the modules run as written, which they are otherwise.
 */
export function batchNormReluConv(bn: BatchNorm2d, conv: Conv2d, x: Tensor): Tensor {
  return mappable(bn, conv) ? mappedConv(bn, conv, x) : conv.forward(bn.forwardRelu(x));
}

/** conv(relu(bn(x))) with the batch norm and ReLU as the convolution's input map. */
function mappedConv(bn: BatchNorm2d, conv: Conv2d, x: Tensor): Tensor {
  return batchNormConv2d(x, bn.asConvInput(x, true), conv.weight, conv.bias, conv.params, 'Conv2d');
}

/** How convBatchNormTwice ends: a ReLU, or relu(· + residual()) — the shortcut, computed after the branch. */
export interface TwiceEnd {
  relu?: boolean;
  residual?: () => Tensor;
}

/**
 * bn2(conv2(relu(bn1(conv1(x))))), then a ReLU or relu(· + residual()) — the two-layer branch of
 * a basic residual block (He et al. 2015, Fig. 2), its junction, and its plain twin. When
 * gradients flow, the first batch norm and its ReLU run as the second convolution's input map
 * (batchNormConv2d), and the second batch norm writes relu(· + residual) in its own pass
 * (forwardAddRelu): neither batch norm's output is stored, and no pass writes or rereads them.
 * Otherwise the modules run as written (with inference folding, convBatchNorm). Each
 * convolution's output is recycled once the one op that reads it has run its backward.
 */
export function convBatchNormTwice(
  first: readonly [Conv2d, BatchNorm2d], second: readonly [Conv2d, BatchNorm2d], x: Tensor, end: TwiceEnd = {},
): Tensor {
  const [conv1, bn1] = first;
  const [conv2, bn2] = second;
  const { relu = false, residual } = end;
  if (!mappable(bn1, conv2)) {
    const a1 = convBatchNorm(conv1, bn1, x, true);
    if (!residual) return convBatchNorm(conv2, bn2, a1, relu);
    if (foldable(conv2, bn2)) return addRelu(convBatchNorm(conv2, bn2, a1), residual());
    const y2 = conv2.forward(a1);
    return handOver(y2, bn2.forwardAddRelu(y2, residual()), conv2, bn2);
  }
  const y1 = conv1.forward(x); // (N, C1, H, W): bn1's input, kept for the backward instead of its output
  const y2 = handOver(y1, mappedConv(bn1, conv2, y1), conv1, bn1);
  if (residual) return handOver(y2, bn2.forwardAddRelu(y2, residual()), conv2, bn2);
  return handOver(y2, relu ? bn2.forwardRelu(y2) : bn2.forward(y2), conv2, bn2);
}
