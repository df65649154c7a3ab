import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';
import { convParams, pair, type Conv2dOptions, type IntOrPair } from './conv-params.js';

export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra rows/columns on one side of the output, to pick among the sizes a stride allows. */
  outputPadding?: IntOrPair;
}

/**
 * Transposed convolution of x (N, C, H, W) with w (C, O/groups, KH, KW) — PyTorch's
 * F.conv_transpose2d. It is exactly the input-gradient of a conv2d whose weight is w viewed as
 * (C, O/groups, KH, KW) in OIHW order, so the three conv kernels serve with roles swapped.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}, layer = 'convTranspose2d'): Tensor {
  const p = convParams(options);
  const outputPadding = pair(options.outputPadding ?? 0);
  if (x.ndim !== 4) throw new ShapeError(`${layer}: expected input (N, C, H, W), got ${formatShape(x.shape)}`);
  if (weight.ndim !== 4) throw new ShapeError(`${layer}: expected weight (C, O/groups, KH, KW), got ${formatShape(weight.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [wc, og, kh, kw] = weight.shape as [number, number, number, number];
  if (c !== wc || c % p.groups !== 0) {
    throw new ShapeError(`${layer}: input ${formatShape(x.shape)} has ${c} channels but weight ${formatShape(weight.shape)} expects ${wc}`);
  }
  for (const i of [0, 1]) {
    if (outputPadding[i]! >= Math.max(p.stride[i]!, p.dilation[i]!)) {
      throw new ShapeError(`${layer}: output padding ${outputPadding[i]} must be smaller than stride or dilation`);
    }
  }
  const o = og * p.groups;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) throw new ShapeError(`${layer}: bias ${formatShape(bias.shape)} does not match ${o} output channels`);
  const oh = (h - 1) * p.stride[0] - 2 * p.padding[0] + p.dilation[0] * (kh - 1) + outputPadding[0] + 1;
  const ow = (w - 1) * p.stride[1] - 2 * p.padding[1] + p.dilation[1] * (kw - 1) + outputPadding[1] + 1;
  if (oh <= 0 || ow <= 0) throw new ShapeError(`${layer}: input ${formatShape(x.shape)} gives an empty output`);
  const outShape = [n, o, oh, ow];
  const out = uninitialized(outShape);
  const backend = getBackend();
  // As a conv2d: "input" = out (N, O, OH, OW), "output" = x (N, C, H, W), weight (C, O/g, KH, KW).
  backend.conv2dBackwardInput(x.f32, x.shape, weight.f32, weight.shape, p, out.f32, outShape);
  if (bias) backend.binary('add', out.f32, outShape, bias.f32, [o, 1, 1], out.f32, outShape);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('convTranspose2d', inputs, out, (dy) => {
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (x.requiresGrad) {
      dx = uninitialized(x.shape);
      backend.conv2dForward(dy.f32, outShape, weight.f32, weight.shape, null, p, dx.f32, x.shape);
    }
    if (weight.requiresGrad) {
      // An empty batch contributes nothing: then the kernel has nothing to write and dw must be 0.
      dw = n > 0 ? uninitialized(weight.shape) : empty(weight.shape);
      backend.conv2dBackwardWeight(dy.f32, outShape, x.f32, x.shape, p, dw.f32, weight.shape);
    }
    if (bias?.requiresGrad) {
      db = n > 0 ? uninitialized([o]) : empty([o]);
      backend.reduce('sum', dy.f32, outShape, [0, 2, 3], db.f32);
    }
    return [dx, dw, db];
  }, { ...p, outputPadding });
}
