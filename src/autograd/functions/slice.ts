import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

/**
 * The box [starts, ends) of x (one start/end per leading axis given; later axes kept whole;
 * negative values count from the end, as Python slices).
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[]): Tensor {
  const rank = x.ndim;
  if (starts.length > rank || ends.length !== starts.length) {
    throw new ShapeError(`slice: ${starts.length} starts and ${ends.length} ends for a tensor of shape ${formatShape(x.shape)}`);
  }
  const begin: number[] = [];
  const size: number[] = [];
  for (let d = 0; d < rank; d++) {
    const n = x.shape[d]!;
    const clamp = (v: number): number => Math.min(n, Math.max(0, v < 0 ? v + n : v));
    const s = d < starts.length ? clamp(starts[d]!) : 0;
    const e = d < ends.length ? clamp(ends[d]!) : n;
    begin.push(s);
    size.push(Math.max(0, e - s));
  }
  const out = uninitialized(size);
  const zero = new Array<number>(rank).fill(0);
  getBackend().copyRegion(x.f32, x.shape, begin, out.f32, size, zero, size, false);
  const xShape = x.shape; // backward needs the shape, not x
  return record('slice', [x], out, (dy) => {
    const dx = empty(xShape);
    getBackend().copyRegion(dy.f32, size, zero, dx.f32, xShape, begin, size, false);
    return [dx];
  }, { begin, size });
}

/** x narrowed along one axis to [start, start + length) (torch.narrow). */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = axis < 0 ? axis + x.ndim : axis;
  const starts = x.shape.slice(0, a + 1).map((_, i) => (i === a ? start : 0));
  const ends = x.shape.slice(0, a + 1).map((d, i) => (i === a ? start + length : d));
  return slice(x, starts, ends);
}
