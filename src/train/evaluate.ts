import { concat } from '../autograd/functions/concat.js';
import { crossEntropy } from '../autograd/functions/cross-entropy.js';
import { narrow } from '../autograd/functions/slice.js';
import { noGrad } from '../autograd/no-grad.js';
import type { Module } from '../nn/module.js';
import { recycleTensors } from '../tensor/recycling-scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BatchSource } from './batches.js';
import { correctCount } from './metrics.js';

/** Mean cross-entropy, top-1 error and accuracy (fractions) over `count` examples. */
export interface EvaluationResult {
  loss: number;
  error: number;
  accuracy: number;
  count: number;
}

export interface EvaluationOptions {
  /**
   * Run the model on slices of at most this many images of each batch, each slice's activations
   * recycled as soon as its logits are out (recycling-scope.ts), then score the whole batch's
   * logits as one. In evaluation mode every image's logits are computed on their own, so the
   * numbers are those of the whole batch; what changes is memory: a slice of a training batch's
   * size reuses the training step's pooled buffers and stays in cache, where a 500-image batch
   * allocates fresh activations of tens of MB per layer (page faults, zero-fills).
   */
  forwardBatch?: number;
}

/** The model's output for `x`, `forwardBatch` images at a time (see EvaluationOptions). */
function outputInSlices(model: Module, x: Tensor, forwardBatch: number | undefined): Tensor {
  const n = x.shape[0]!;
  if (!forwardBatch || n <= forwardBatch) return model.forward(x);
  const parts: Tensor[] = [];
  for (let start = 0; start < n; start += forwardBatch) {
    const slice = narrow(x, 0, start, Math.min(forwardBatch, n - start));
    parts.push(recycleTensors(() => model.forward(slice)));
  }
  return concat(parts, 0);
}

/** Mean cross-entropy and top-1 error over one full epoch of `source`, in eval mode, off the tape. */
export function evaluateClassifier(model: Module, source: BatchSource, options: EvaluationOptions = {}): EvaluationResult {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  try {
    noGrad(() => {
      for (const batch of source) {
        const logits = outputInSlices(model, batch.x, options.forwardBatch);
        const n = batch.y.size;
        lossSum += crossEntropy(logits, batch.y).item() * n;
        correct += correctCount(logits, batch.y);
        count += n;
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const accuracy = count > 0 ? correct / count : 0;
  return { loss: count > 0 ? lossSum / count : NaN, error: 1 - accuracy, accuracy, count };
}
