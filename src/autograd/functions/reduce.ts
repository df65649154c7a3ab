import type { ReduceOp } from '../../backend/backend.js';
import { getBackend } from '../../backend/select.js';
import { normalizeAxis } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

export interface ReduceOptions {
  /** Keep reduced axes as size 1 (PyTorch's keepdim). */
  keepDim?: boolean;
}

function reduceOp(op: ReduceOp, x: Tensor, axis: number | readonly number[] | undefined, options: ReduceOptions): Tensor {
  const rank = x.shape.length;
  const axes = axis === undefined ? [...Array(rank).keys()] : (typeof axis === 'number' ? [axis] : axis).map((a) => normalizeAxis(a, rank, op));
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = options.keepDim ? kept : x.shape.filter((_, i) => !axes.includes(i));
  // A reduction over no elements writes nothing, so only then must the output start at zero.
  const out = x.size > 0 ? uninitialized(outShape) : empty(outShape);
  const backend = getBackend();
  backend.reduce(op, x.f32, x.shape, axes, out.f32);
  // Only max reads x in backward; sum and mean need its shape alone.
  const xShape = x.shape;
  const xData = op === 'max' ? x.f32 : null;
  return record(op, [x], out, (dy) => {
    const dx = uninitialized(xShape);
    if (op === 'max') {
      backend.reduceMaxBackward(xData!, xShape, axes, dy.f32, dx.f32);
    } else {
      let count = 1;
      for (const a of axes) count *= xShape[a]!;
      // Broadcast dy (with the reduced axes restored as 1) over x's shape.
      backend.binary('add', dy.f32, kept, new Float32Array(1), [1], dx.f32, xShape);
      if (op === 'mean') backend.affine(dx.f32, 1 / count, 0, dx.f32);
    }
    return [dx];
  }, { axes, keepDim: options.keepDim ?? false });
}

/** Sum over `axis` (all axes when omitted). */
export const sum = (x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor => reduceOp('sum', x, axis, options);
/** Mean over `axis` (all axes when omitted). */
export const mean = (x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor => reduceOp('mean', x, axis, options);
/** Maximum over `axis` (all axes when omitted); the gradient goes to the first maximal element. */
export const max = (x: Tensor, axis?: number | readonly number[], options: ReduceOptions = {}): Tensor => reduceOp('max', x, axis, options);
