import { getBackend } from '../../backend/select.js';
import { normalizeAxis } from '../../tensor/shape.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

function softmaxOp(x: Tensor, axis: number, log: boolean): Tensor {
  const a = normalizeAxis(axis, x.ndim, log ? 'logSoftmax' : 'softmax');
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const size = x.shape[a]!;
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const out = uninitialized(x.shape);
  getBackend().softmaxForward(x.f32, outer, size, inner, log, out.f32);
  const xShape = x.shape; // backward reads the output, not x
  return record(log ? 'logSoftmax' : 'softmax', [x], out, (dy) => {
    const dx = uninitialized(xShape);
    getBackend().softmaxBackward(out.f32, dy.f32, outer, size, inner, log, dx.f32);
    return [dx];
  }, { axis: a });
}

/** Softmax along `axis` (default the last). */
export const softmax = (x: Tensor, axis = -1): Tensor => softmaxOp(x, axis, false);
/** Log-softmax along `axis` (default the last). */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => softmaxOp(x, axis, true);
