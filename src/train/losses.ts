import { abs, exp, log, reciprocal, relu } from '../autograd/functions/unary.js';
import { add, mul, sub } from '../autograd/functions/binary.js';
import { addScalar, affine } from '../autograd/functions/scalar.js';
import { mean, sum } from '../autograd/functions/reduce.js';
import { softmax } from '../autograd/functions/softmax.js';
import { crossEntropy } from '../autograd/functions/cross-entropy.js';
import { permute } from '../autograd/functions/permute.js';
import { reshape } from '../autograd/functions/reshape.js';
import { formatShape, ShapeError, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Batch } from './batches.js';

export { crossEntropy, type CrossEntropyOptions } from '../autograd/functions/cross-entropy.js';

/**
 * Binary cross-entropy on logits, in the stable form max(x, 0) − x·y + log(1 + e^(−|x|))
 * (PyTorch's BCEWithLogitsLoss, mean reduction).
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor): Tensor {
  if (!shapesEqual(logits.shape, targets.shape)) {
    throw new ShapeError(`binaryCrossEntropyWithLogits: logits ${formatShape(logits.shape)} and targets ${formatShape(targets.shape)} differ`);
  }
  const softplusNegAbs = log(addScalar(exp(affine(abs(logits), -1, 0)), 1));
  return mean(add(sub(relu(logits), mul(logits, targets)), softplusNegAbs));
}

/**
 * Soft Dice loss (Milletari et al. 2016) for logits (N, C, H, W) against one-hot targets of the
 * same shape: 1 − mean over classes of 2·Σ p·t / (Σ p + Σ t + ε), p = softmax over C.
 */
export function diceLoss(logits: Tensor, oneHotTargets: Tensor, eps = 1): Tensor {
  if (!shapesEqual(logits.shape, oneHotTargets.shape) || logits.ndim !== 4) {
    throw new ShapeError(`diceLoss: logits ${formatShape(logits.shape)} and targets ${formatShape(oneHotTargets.shape)} must both be (N, C, H, W)`);
  }
  const p = softmax(logits, 1);
  const intersection = sum(mul(p, oneHotTargets), [0, 2, 3]);
  const denominator = addScalar(add(sum(p, [0, 2, 3]), sum(oneHotTargets, [0, 2, 3])), eps);
  const dicePerClass = mul(affine(intersection, 2, 0), reciprocal(denominator));
  return affine(mean(dicePerClass), -1, 1);
}

/** Per-pixel cross-entropy for segmentation: logits (N, C, H, W) against labels (N, H, W). */
export function pixelCrossEntropy(output: Tensor, batch: Batch): Tensor {
  const [n, c, h, w] = output.shape as [number, number, number, number];
  const logits = reshape(permute(output, [0, 2, 3, 1]), [n * h * w, c]); // (N·H·W, C)
  return crossEntropy(logits, new Tensor(batch.y.data, [n * h * w]));
}
