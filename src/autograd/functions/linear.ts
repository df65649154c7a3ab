import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { precisionField } from '../precision.js';
import { record } from '../tape.js';

/** y = x·Wᵀ + b for x (..., in), W (out, in), b (out) — PyTorch's F.linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const inFeatures = weight.shape[1]!;
  const outFeatures = weight.shape[0]!;
  if (weight.ndim !== 2 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new ShapeError(`linear: input ${formatShape(x.shape)} does not match weight ${formatShape(weight.shape)} (expected last dimension ${inFeatures})`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outFeatures)) {
    throw new ShapeError(`linear: bias ${formatShape(bias.shape)} does not match weight ${formatShape(weight.shape)}`);
  }
  const rows = x.size / inFeatures;
  const outShape = [...x.shape.slice(0, -1), outFeatures];
  // A product over an empty inner dimension writes zeros only if the kernel says so: start there.
  const out = inFeatures > 0 ? uninitialized(outShape) : empty(outShape);
  const backend = getBackend();
  const precision = precisionField(); // the backward passes use the forward's precision
  backend.gemm({ batch: 1, m: rows, n: outFeatures, k: inFeatures, transA: false, transB: true, strideA: 0, strideB: 0, strideC: 0, accumulate: false, ...precision }, x.f32, weight.f32, out.f32);
  if (bias) backend.binary('add', out.f32, [rows, outFeatures], bias.f32, [outFeatures], out.f32, [rows, outFeatures]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('linear', inputs, out, (dy) => {
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (x.requiresGrad) {
      dx = outFeatures > 0 ? uninitialized(x.shape) : empty(x.shape);
      backend.gemm({ batch: 1, m: rows, n: inFeatures, k: outFeatures, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false, ...precision }, dy.f32, weight.f32, dx.f32);
    }
    if (weight.requiresGrad) {
      dw = rows > 0 ? uninitialized(weight.shape) : empty(weight.shape);
      backend.gemm({ batch: 1, m: outFeatures, n: inFeatures, k: rows, transA: true, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false, ...precision }, dy.f32, x.f32, dw.f32);
    }
    if (bias?.requiresGrad) {
      // With no rows the reduction writes nothing, so db must start at zero.
      db = rows > 0 ? uninitialized([outFeatures]) : empty([outFeatures]);
      backend.reduce('sum', dy.f32, [rows, outFeatures], [0], db.f32);
    }
    return [dx, dw, db];
  });
}
