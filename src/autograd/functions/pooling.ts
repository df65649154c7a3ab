import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { patternMaxPoolArgmax } from '../activation-pattern.js';
import { record } from '../tape.js';
import { convOutputSize, pair, type IntOrPair } from './conv-params.js';

export interface MaxPool2dOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
}

function check4d(x: Tensor, layer: string): [number, number, number, number] {
  if (x.ndim !== 4) throw new ShapeError(`${layer}: expected input (N, C, H, W), got ${formatShape(x.shape)}`);
  return x.shape as [number, number, number, number];
}

/** Max pooling (PyTorch's F.max_pool2d; stride defaults to the kernel size). */
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, options: MaxPool2dOptions = {}, layer = 'maxPool2d'): Tensor {
  const [n, c, h, w] = check4d(x, layer);
  const k = pair(kernelSize);
  const params = { kernelSize: k, stride: pair(options.stride ?? kernelSize), padding: pair(options.padding ?? 0), dilation: pair(options.dilation ?? 1) };
  if (params.padding[0] > k[0] / 2 || params.padding[1] > k[1] / 2) throw new ShapeError(`${layer}: padding must be at most half the kernel size`);
  const oh = convOutputSize(h, k[0], params.stride[0], params.padding[0], params.dilation[0]);
  const ow = convOutputSize(w, k[1], params.stride[1], params.padding[1], params.dilation[1]);
  if (oh <= 0 || ow <= 0) throw new ShapeError(`${layer}: input ${formatShape(x.shape)} is smaller than the ${k.join('x')} window`);
  const outShape = [n, c, oh, ow];
  const out = uninitialized(outShape);
  const argmax = new Int32Array(out.size);
  getBackend().maxPool2dForward(x.f32, x.shape, params, out.f32, outShape, argmax);
  const chosen = patternMaxPoolArgmax(x.size, argmax);
  if (chosen !== argmax) for (let i = 0; i < out.size; i++) out.f32[i] = x.f32[chosen[i]!]!;
  const xShape = x.shape; // backward needs argmax and the shape, not x
  return record('maxPool2d', [x], out, (dy) => {
    const dx = uninitialized(xShape);
    getBackend().maxPool2dBackward(dy.f32, chosen, dx.f32);
    return [dx];
  }, params);
}

export interface AvgPool2dOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  countIncludePad?: boolean;
}

/** Average pooling (PyTorch's F.avg_pool2d; count_include_pad defaults to true). */
export function avgPool2d(x: Tensor, kernelSize: IntOrPair, options: AvgPool2dOptions = {}, layer = 'avgPool2d'): Tensor {
  const [n, c, h, w] = check4d(x, layer);
  const k = pair(kernelSize);
  const params = { kernelSize: k, stride: pair(options.stride ?? kernelSize), padding: pair(options.padding ?? 0), countIncludePad: options.countIncludePad ?? true };
  if (params.padding[0] > k[0] / 2 || params.padding[1] > k[1] / 2) throw new ShapeError(`${layer}: padding must be at most half the kernel size`);
  const oh = convOutputSize(h, k[0], params.stride[0], params.padding[0], 1);
  const ow = convOutputSize(w, k[1], params.stride[1], params.padding[1], 1);
  if (oh <= 0 || ow <= 0) throw new ShapeError(`${layer}: input ${formatShape(x.shape)} is smaller than the ${k.join('x')} window`);
  const outShape = [n, c, oh, ow];
  const out = uninitialized(outShape);
  getBackend().avgPool2dForward(x.f32, x.shape, params, out.f32, outShape);
  const xShape = x.shape; // backward needs the shape, not x
  return record('avgPool2d', [x], out, (dy) => {
    const dx = uninitialized(xShape);
    getBackend().avgPool2dBackward(dy.f32, outShape, params, dx.f32, xShape);
    return [dx];
  }, params);
}

/** Adaptive average pooling to a fixed output size (PyTorch's F.adaptive_avg_pool2d). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: IntOrPair, layer = 'adaptiveAvgPool2d'): Tensor {
  const [n, c] = check4d(x, layer);
  const [oh, ow] = pair(outputSize);
  const outShape = [n, c, oh, ow];
  const out = uninitialized(outShape);
  getBackend().adaptiveAvgPool2dForward(x.f32, x.shape, out.f32, outShape);
  const xShape = x.shape; // backward needs the shape, not x
  return record('adaptiveAvgPool2d', [x], out, (dy) => {
    const dx = uninitialized(xShape);
    getBackend().adaptiveAvgPool2dBackward(dy.f32, outShape, dx.f32, xShape);
    return [dx];
  }, { outputSize: [oh, ow] });
}
