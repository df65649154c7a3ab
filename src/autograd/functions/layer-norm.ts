import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError, sizeOf } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

/** Layer normalisation over the trailing `normalizedShape` axes (Ba et al. 2016; PyTorch's F.layer_norm). */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5, layer = 'layerNorm'): Tensor {
  const tail = x.shape.slice(x.ndim - normalizedShape.length);
  if (normalizedShape.length > x.ndim || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new ShapeError(`${layer}: input ${formatShape(x.shape)} does not end in the normalized shape ${formatShape(normalizedShape)}`);
  }
  const cols = sizeOf(normalizedShape);
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && t.size !== cols) throw new ShapeError(`${layer}: ${name} ${formatShape(t.shape)} does not match normalized shape ${formatShape(normalizedShape)}`);
  }
  const rows = x.size / cols;
  const out = uninitialized(x.shape);
  const saveMean = new Float32Array(rows);
  const saveInvStd = new Float32Array(rows);
  const backend = getBackend();
  backend.layerNormForward(x.f32, rows, cols, weight?.f32 ?? null, bias?.f32 ?? null, eps, out.f32, saveMean, saveInvStd);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record('layerNorm', inputs, out, (dy) => {
    const dx = uninitialized(x.shape);
    const dgamma = weight?.requiresGrad ? empty(weight.shape) : null;
    const dbeta = bias?.requiresGrad ? empty(bias.shape) : null;
    backend.layerNormBackward(x.f32, rows, cols, dy.f32, weight?.f32 ?? null, saveMean, saveInvStd, dx.f32, dgamma?.f32 ?? null, dbeta?.f32 ?? null);
    return weight ? (bias ? [dx, dgamma, dbeta] : [dx, dgamma]) : bias ? [dx, dbeta] : [dx];
  }, { normalizedShape, weight: weight ?? null, bias: bias ?? null, eps });
}
