import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

/** Rows of `weight` (num, dim) picked by int32 `indices` (any shape) — PyTorch's F.embedding. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  if (indices.dtype !== 'int32') throw new TypeError('embedding: indices must be an int32 tensor');
  if (weight.ndim !== 2) throw new ShapeError(`embedding: weight must be (num, dim), got ${formatShape(weight.shape)}`);
  const [num, dim] = weight.shape as [number, number];
  for (const i of indices.i32) if (i < 0 || i >= num) throw new RangeError(`embedding: index ${i} is outside [0, ${num})`);
  const out = uninitialized([...indices.shape, dim]);
  getBackend().gatherRows(weight.f32, dim, indices.i32, out.f32);
  return record('embedding', [weight], out, (dy) => {
    const dw = empty(weight.shape);
    getBackend().scatterAddRows(dy.f32, dim, indices.i32, dw.f32);
    return [dw];
  }, { indices });
}
