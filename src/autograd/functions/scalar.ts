import { getBackend } from '../../backend/select.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

/** alpha · x + beta, elementwise. */
export function affine(x: Tensor, alpha: number, beta: number): Tensor {
  const out = uninitialized(x.shape);
  getBackend().affine(x.f32, alpha, beta, out.f32);
  const xShape = x.shape; // backward needs the shape, not the values
  return record('affine', [x], out, (dy) => {
    const dx = uninitialized(xShape);
    getBackend().affine(dy.f32, alpha, 0, dx.f32);
    return [dx];
  }, { alpha, beta });
}

/** x · s for a number s. */
export const mulScalar = (x: Tensor, s: number): Tensor => affine(x, s, 0);
/** x + s for a number s. */
export const addScalar = (x: Tensor, s: number): Tensor => affine(x, 1, s);
