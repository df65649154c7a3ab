import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';
import { convOutputSize, convParams, type Conv2dOptions } from './conv-params.js';

/** 2-D convolution of x (N, C, H, W) with w (O, C/groups, KH, KW) — PyTorch's F.conv2d. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}, layer = 'conv2d'): Tensor {
  const p = convParams(options);
  if (x.ndim !== 4) throw new ShapeError(`${layer}: expected input (N, C, H, W), got ${formatShape(x.shape)}`);
  if (weight.ndim !== 4) throw new ShapeError(`${layer}: expected weight (O, C/groups, KH, KW), got ${formatShape(weight.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  if (c !== cg * p.groups || o % p.groups !== 0) {
    throw new ShapeError(`${layer}: input ${formatShape(x.shape)} has ${c} channels but weight ${formatShape(weight.shape)} with groups=${p.groups} expects ${cg * p.groups}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) throw new ShapeError(`${layer}: bias ${formatShape(bias.shape)} does not match ${o} output channels`);
  const oh = convOutputSize(h, kh, p.stride[0], p.padding[0], p.dilation[0]);
  const ow = convOutputSize(w, kw, p.stride[1], p.padding[1], p.dilation[1]);
  if (oh <= 0 || ow <= 0) {
    throw new ShapeError(`${layer}: input ${formatShape(x.shape)} is smaller than the ${kh}x${kw} kernel (dilation ${p.dilation.join('x')}, padding ${p.padding.join('x')})`);
  }
  const outShape = [n, o, oh, ow];
  const out = uninitialized(outShape);
  const backend = getBackend();
  backend.conv2dForward(x.f32, x.shape, weight.f32, weight.shape, bias ? bias.f32 : null, p, out.f32, outShape);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('conv2d', inputs, out, (dy) => {
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (x.requiresGrad) {
      dx = uninitialized(x.shape);
      backend.conv2dBackwardInput(dy.f32, outShape, weight.f32, weight.shape, p, dx.f32, x.shape);
    }
    if (weight.requiresGrad) {
      // An empty batch contributes nothing: then the kernel has nothing to write and dw must be 0.
      dw = n > 0 ? uninitialized(weight.shape) : empty(weight.shape);
      backend.conv2dBackwardWeight(x.f32, x.shape, dy.f32, outShape, p, dw.f32, weight.shape);
    }
    if (bias?.requiresGrad) {
      db = n > 0 ? uninitialized([o]) : empty([o]);
      backend.reduce('sum', dy.f32, outShape, [0, 2, 3], db.f32);
    }
    return [dx, dw, db];
  }, p);
}
