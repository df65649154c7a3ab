import { getBackend } from '../../backend/select.js';
import { formatShape, normalizeAxis, ShapeError } from '../../tensor/shape.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

/** Reorder axes: output axis i is input axis perm[i]. Materialised (storage stays contiguous). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const rank = x.ndim;
  const p = perm.map((a) => normalizeAxis(a, rank, 'permute'));
  if (p.length !== rank || new Set(p).size !== rank) {
    throw new ShapeError(`permute: ${formatShape(perm)} is not a permutation of the ${rank} axes of ${formatShape(x.shape)}`);
  }
  const out = uninitialized(p.map((a) => x.shape[a]!));
  getBackend().permute(x.f32, x.shape, p, out.f32);
  const xShape = x.shape; // backward needs the shape, not the values
  return record('permute', [x], out, (dy) => {
    const inverse = new Array<number>(rank);
    p.forEach((a, i) => (inverse[a] = i));
    const dx = uninitialized(xShape);
    getBackend().permute(dy.f32, dy.shape, inverse, dx.f32);
    return [dx];
  }, { perm: p });
}

/** Swap two axes. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const perm = [...Array(x.ndim).keys()];
  const a = normalizeAxis(dim0, x.ndim, 'transpose');
  const b = normalizeAxis(dim1, x.ndim, 'transpose');
  [perm[a], perm[b]] = [perm[b]!, perm[a]!];
  return permute(x, perm);
}
