import { getBackend } from '../../backend/select.js';
import { shapesEqual, sizeOf, type Shape } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';

/** Sum a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sumToShape(grad: Tensor, shape: Shape): Tensor {
  if (shapesEqual(grad.shape, shape)) return grad;
  const rank = grad.shape.length;
  const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const axes: number[] = [];
  for (let i = 0; i < rank; i++) if (padded[i] === 1 && grad.shape[i] !== 1) axes.push(i);
  // A reduction over no elements writes nothing, so only then must the output start at zero.
  const out = grad.size > 0 ? uninitialized(shape) : empty(shape);
  if (axes.length === 0) {
    out.f32.set(grad.f32);
    return out;
  }
  if (sizeOf(shape) !== 0) getBackend().reduce('sum', grad.f32, grad.shape, axes, out.f32);
  return out;
}
