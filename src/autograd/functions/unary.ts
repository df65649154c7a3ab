import type { UnaryOp } from '../../backend/backend.js';
import { getBackend } from '../../backend/select.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { patternRelu } from '../activation-pattern.js';
import { record } from '../tape.js';

/**
 * Which side each derivative is computed from (src/backend/ts/elementwise.ts): backward saves only
 * that one, so the other can be freed after forward (as PyTorch's ops save only what they read).
 * ReLU reads its output: y > 0 exactly when x > 0 (NaN and −0 give 0 either way), and its output
 * is usually saved anyway by the next layer, while its input (a batch-norm output, a residual sum)
 * is then needed by nothing.
 */
const FROM_OUTPUT: Record<UnaryOp, boolean> = {
  neg: true, exp: true, log: false, sqrt: true, abs: false, square: false, reciprocal: true,
  relu: true, gelu: false, sigmoid: true, tanh: true,
};

function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  const out = uninitialized(x.shape);
  getBackend().unary(op, x.f32, out.f32);
  const shape = x.shape;
  // The kernel reads only the saved side, so it may stand in for both arguments.
  const saved = FROM_OUTPUT[op] ? out.f32 : x.f32;
  return record(op, [x], out, (dy) => {
    const dx = uninitialized(shape);
    getBackend().unaryBackward(op, saved, saved, dy.f32, dx.f32);
    return [dx];
  });
}

/** Elementwise −x. */
export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
/** Elementwise eˣ. */
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
/** Elementwise natural logarithm. */
export const log = (x: Tensor): Tensor => unaryOp('log', x);
/** Elementwise square root. */
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
/** Elementwise |x| (gradient sign(x), 0 at 0). */
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
/** Elementwise x². */
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x);
/** max(x, 0). */
export const relu = (x: Tensor): Tensor => patternRelu(x, (pre) => unaryOp('relu', pre)) ?? unaryOp('relu', x);
/** Exact GELU, x·Φ(x) (Hendrycks & Gimpel 2016), PyTorch's default. */
export const gelu = (x: Tensor): Tensor => unaryOp('gelu', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
