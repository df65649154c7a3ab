import { formatShape, ShapeError, sizeOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { record } from '../tape.js';

/** The same values in a new shape (one entry may be −1); shares storage, like torch.view. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new ShapeError(`reshape: only one dimension can be -1, got ${formatShape(shape)}`);
  const rest = sizeOf(known);
  const resolved = shape.map((d) => (d === -1 ? (rest === 0 ? 0 : x.size / rest) : d));
  if (sizeOf(resolved) !== x.size || resolved.some((d) => !Number.isInteger(d))) {
    throw new ShapeError(`reshape: cannot view ${formatShape(x.shape)} (${x.size} elements) as ${formatShape(shape)}`);
  }
  const out = new Tensor(x.data, resolved);
  const xShape = x.shape;
  return record('reshape', [x], out, (dy) => [new Tensor(dy.data, xShape)]);
}

/** Merge axes startDim..endDim into one (PyTorch's flatten; default keeps the batch axis). */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  const rank = x.ndim;
  const start = startDim < 0 ? startDim + rank : startDim;
  const end = endDim < 0 ? endDim + rank : endDim;
  if (rank === 0) return reshape(x, [1]);
  const merged = x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
}
