import { getBackend } from '../../backend/select.js';
import { formatShape, normalizeAxis, ShapeError } from '../../tensor/shape.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

/** Join tensors along `axis`; all other axes must agree (DenseNet's and U-Net's skip). */
export function concat(inputs: readonly Tensor[], axis = 0): Tensor {
  // Own copy: a caller may keep growing its array (DenseNet does), and backward needs this one.
  const tensors = [...inputs];
  if (tensors.length === 0) throw new ShapeError('concat: no tensors given');
  const first = tensors[0]!;
  const a = normalizeAxis(axis, first.ndim, 'concat');
  let total = 0;
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(`concat: shapes ${formatShape(first.shape)} and ${formatShape(t.shape)} differ outside axis ${a}`);
    }
    total += t.shape[a]!;
  }
  const outShape = first.shape.map((d, i) => (i === a ? total : d));
  const out = uninitialized(outShape);
  const backend = getBackend();
  const zero = new Array<number>(first.ndim).fill(0);
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    const start = zero.map((_, i) => (i === a ? offset : 0));
    backend.copyRegion(t.f32, t.shape, zero, out.f32, outShape, start, t.shape, false);
    offsets.push(offset);
    offset += t.shape[a]!;
  }
  // Backward needs each input's shape and whether it wants a gradient, not its values.
  const parts = tensors.map((t) => ({ shape: t.shape, needed: t.requiresGrad }));
  return record('concat', tensors, out, (dy) =>
    parts.map((t, k) => {
      if (!t.needed) return null;
      const dt = uninitialized(t.shape);
      const start = zero.map((_, i) => (i === a ? offsets[k]! : 0));
      backend.copyRegion(dy.f32, outShape, start, dt.f32, t.shape, zero, t.shape, false);
      return dt;
    }),
    { axis: a },
  );
}
