import type { UnaryOp } from '../../backend/backend.js';
import { getBackend } from '../../backend/select.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  const out = uninitialized(x.shape);
  getBackend().unary(op, x.f32, out.f32);
  return record(op, [x], out, (dy) => {
    const dx = uninitialized(x.shape);
    getBackend().unaryBackward(op, x.f32, out.f32, dy.f32, dx.f32);
    return [dx];
  });
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x);
/** max(x, 0). */
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
/** Exact GELU, x·Φ(x) (Hendrycks & Gimpel 2016), PyTorch's default. */
export const gelu = (x: Tensor): Tensor => unaryOp('gelu', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
