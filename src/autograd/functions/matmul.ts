import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError, sizeOf } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { precisionField } from '../precision.js';
import { record } from '../tape.js';
import { sumToShape } from './broadcast.js';

/**
 * Matrix product of the last two axes, batched over the leading axes (which broadcast when one
 * side has none or has size-1 batch axes, as torch.matmul). A 1-D operand is not promoted: use
 * reshape.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2) {
    throw new ShapeError(`matmul: both operands need at least 2 dimensions, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const m = a.shape[a.ndim - 2]!;
  const k = a.shape[a.ndim - 1]!;
  const k2 = b.shape[b.ndim - 2]!;
  const n = b.shape[b.ndim - 1]!;
  if (k !== k2) throw new ShapeError(`matmul: inner dimensions differ: ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const aCount = sizeOf(aBatch);
  const bCount = sizeOf(bBatch);
  let batchShape: readonly number[];
  if (aCount === bCount && aBatch.length === bBatch.length) batchShape = aBatch;
  else if (bCount === 1) batchShape = aBatch.length >= bBatch.length ? aBatch : bBatch;
  else if (aCount === 1) batchShape = bBatch.length >= aBatch.length ? bBatch : aBatch;
  else throw new ShapeError(`matmul: batch dimensions do not match: ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  const batch = sizeOf(batchShape);
  // A product over an empty inner dimension must still give zeros: only then start from them.
  const out = k > 0 ? uninitialized([...batchShape, m, n]) : empty([...batchShape, m, n]);
  const backend = getBackend();
  const strideA = aCount === 1 ? 0 : m * k;
  const strideB = bCount === 1 ? 0 : k * n;
  const precision = precisionField(); // the backward passes use the forward's precision
  backend.gemm({ batch, m, n, k, transA: false, transB: false, strideA, strideB, strideC: m * n, accumulate: false, ...precision }, a.f32, b.f32, out.f32);
  return record('matmul', [a, b], out, (dy) => {
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      // dA = dY · Bᵀ, summed over broadcast batch entries.
      const full = n > 0 ? uninitialized([...batchShape, m, k]) : empty([...batchShape, m, k]);
      backend.gemm({ batch, m, n: k, k: n, transA: false, transB: true, strideA: m * n, strideB, strideC: m * k, accumulate: false, ...precision }, dy.f32, b.f32, full.f32);
      da = aCount === 1 && batch > 1 ? sumToShape(full, [m, k]) : full;
      if (da.shape.length !== a.shape.length) da = new Tensor(da.data, a.shape);
    }
    if (b.requiresGrad) {
      // dB = Aᵀ · dY
      const full = m > 0 ? uninitialized([...batchShape, k, n]) : empty([...batchShape, k, n]);
      backend.gemm({ batch, m: k, n, k: m, transA: true, transB: false, strideA, strideB: m * n, strideC: k * n, accumulate: false, ...precision }, a.f32, dy.f32, full.f32);
      db = bCount === 1 && batch > 1 ? sumToShape(full, [k, n]) : full;
      if (db.shape.length !== b.shape.length) db = new Tensor(db.data, b.shape);
    }
    return [da, db];
  });
}
