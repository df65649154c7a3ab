import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

/**
 * Constant padding. `padding` lists (before, after) pairs starting from the LAST axis, like
 * torch.nn.functional.pad: [left, right, top, bottom] pads W then H. Negative values crop.
 */
export function pad(x: Tensor, padding: readonly number[], value = 0): Tensor {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    throw new ShapeError(`pad: padding ${formatShape(padding)} needs (before, after) pairs for at most ${x.ndim} axes of ${formatShape(x.shape)}`);
  }
  const rank = x.ndim;
  const before = new Array<number>(rank).fill(0);
  const after = new Array<number>(rank).fill(0);
  for (let p = 0; p < padding.length / 2; p++) {
    before[rank - 1 - p] = padding[2 * p]!;
    after[rank - 1 - p] = padding[2 * p + 1]!;
  }
  const outShape = x.shape.map((d, i) => d + before[i]! + after[i]!);
  if (outShape.some((d) => d < 0)) throw new ShapeError(`pad: padding ${formatShape(padding)} crops ${formatShape(x.shape)} below zero`);
  // Where x does not cover the output, the pad value (zero for a fresh zeroed buffer) shows.
  const out = value === 0 ? empty(outShape) : uninitialized(outShape);
  if (value !== 0) out.f32.fill(value);
  // The overlap of x and the output box, in each one's coordinates.
  const srcStart = before.map((b) => Math.max(0, -b));
  const dstStart = before.map((b) => Math.max(0, b));
  const region = x.shape.map((d, i) => Math.max(0, Math.min(d - srcStart[i]!, outShape[i]! - dstStart[i]!)));
  getBackend().copyRegion(x.f32, x.shape, srcStart, out.f32, outShape, dstStart, region, false);
  // Cropping leaves parts of x outside the output: their gradient is zero.
  const covers = region.every((r, i) => r === x.shape[i]);
  const xShape = x.shape; // backward needs the shape, not x
  return record('pad', [x], out, (dy) => {
    const dx = covers ? uninitialized(xShape) : empty(xShape);
    getBackend().copyRegion(dy.f32, outShape, dstStart, dx.f32, xShape, srcStart, region, false);
    return [dx];
  }, { before, after, value });
}
