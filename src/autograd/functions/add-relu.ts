import { getBackend } from '../../backend/select.js';
import { shapesEqual } from '../../tensor/shape.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { activationPatternActive } from '../activation-pattern.js';
import { record } from '../tape.js';
import { add } from './binary.js';
import { relu } from './unary.js';

/**
 * relu(a + b) as one op: the end of a residual block, y = relu(F(x) + x) (He et al. 2016, eq. 1
 * and Fig. 2). The sum is rectified in place in the output, so it needs no buffer of its own,
 * and backward computes one gradient, dy·[y > 0], for both inputs (as PyTorch's
 * `out += identity; relu(out, inplace=True)`). Inputs of different shapes fall back to the two ops.
 */
export function addRelu(a: Tensor, b: Tensor): Tensor {
  if (!shapesEqual(a.shape, b.shape) || activationPatternActive()) return relu(add(a, b));
  const backend = getBackend();
  const out = uninitialized(a.shape);
  backend.binary('add', a.f32, a.shape, b.f32, b.shape, out.f32, out.shape);
  backend.unary('relu', out.f32, out.f32);
  const shape = a.shape;
  const saved = out.f32;
  const aNeeds = a.requiresGrad;
  const bNeeds = b.requiresGrad;
  return record('addRelu', [a, b], out, (dy) => {
    const dx = uninitialized(shape);
    getBackend().unaryBackward('relu', saved, saved, dy.f32, dx.f32);
    return [aNeeds ? dx : null, bNeeds ? dx : null];
  });
}
