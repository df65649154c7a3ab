import { getBackend } from '../../backend/select.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

/**
 * Inverted dropout (Srivastava et al. 2014): zero each element with probability p and scale the
 * rest by 1/(1 − p), so evaluation needs no rescaling. The mask is drawn from one seed taken from
 * `rng`, identically on every backend.
 */
export function dropout(x: Tensor, p = 0.5, training = true, rng: Rng = globalRng()): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout: probability ${p} is outside [0, 1]`);
  if (!training || p === 0) return x;
  const seed = rng.nextUint32();
  const out = uninitialized(x.shape);
  const mask = new Float32Array(x.size);
  const backend = getBackend();
  backend.dropoutForward(x.f32, p, seed, out.f32, mask);
  const xShape = x.shape; // backward reads the mask, not x
  return record('dropout', [x], out, (dy) => {
    const dx = uninitialized(xShape);
    backend.binary('mul', dy.f32, dy.shape, mask, xShape, dx.f32, xShape);
    return [dx];
  }, { p });
}
