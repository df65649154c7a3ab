import { getBackend } from '../../backend/select.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import { empty, Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';

export interface CrossEntropyOptions {
  /** 'mean' over non-ignored rows (default), 'sum', or 'none' (one loss per row). */
  reduction?: 'mean' | 'sum' | 'none';
  /** ε in target = (1 − ε)·onehot + ε/classes (Szegedy et al. 2016, §7). */
  labelSmoothing?: number;
  /** Rows with this label contribute nothing (PyTorch's default −100). */
  ignoreIndex?: number;
}

/**
 * Fused softmax + cross-entropy of logits (N, classes) against int32 labels (N) — PyTorch's
 * F.cross_entropy for class-index targets. Fusing keeps it stable and saves the softmax once.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  if (logits.ndim !== 2) throw new ShapeError(`crossEntropy: expected logits (N, classes), got ${formatShape(logits.shape)}`);
  if (labels.dtype !== 'int32') throw new TypeError('crossEntropy: labels must be an int32 tensor of class indices');
  const [rows, classes] = logits.shape as [number, number];
  if (labels.ndim !== 1 || labels.shape[0] !== rows) {
    throw new ShapeError(`crossEntropy: labels ${formatShape(labels.shape)} do not match logits ${formatShape(logits.shape)}`);
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  const smoothing = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  // The kernel ignores negative labels; map ignoreIndex there and validate the rest.
  const kernelLabels = new Int32Array(rows);
  let counted = 0;
  for (let r = 0; r < rows; r++) {
    const label = labels.i32[r]!;
    if (label === ignoreIndex) {
      kernelLabels[r] = -1;
      continue;
    }
    if (label < 0 || label >= classes) throw new RangeError(`crossEntropy: label ${label} at row ${r} is outside [0, ${classes})`);
    kernelLabels[r] = label;
    counted++;
  }
  const losses = new Float32Array(rows);
  const probs = new Float32Array(rows * classes);
  const backend = getBackend();
  backend.softmaxCrossEntropyForward(logits.f32, rows, classes, kernelLabels, smoothing, losses, probs);
  let out: Tensor;
  if (reduction === 'none') {
    out = uninitialized([rows]);
    out.f32.set(losses);
  } else {
    let total = 0;
    for (let r = 0; r < rows; r++) total += losses[r]!;
    out = empty([]);
    out.f32[0] = reduction === 'mean' ? (counted > 0 ? total / counted : NaN) : total;
  }
  const logitsShape = logits.shape; // backward reads the saved probabilities, not the logits
  return record('crossEntropy', [logits], out, (dy) => {
    const dLosses = new Float32Array(rows);
    if (reduction === 'none') dLosses.set(dy.f32);
    else dLosses.fill(reduction === 'mean' ? dy.f32[0]! / counted : dy.f32[0]!);
    const dx = uninitialized(logitsShape);
    backend.softmaxCrossEntropyBackward(probs, rows, classes, kernelLabels, smoothing, dLosses, dx.f32);
    return [dx];
  });
}
