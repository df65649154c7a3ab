import { crossEntropy } from '../autograd/functions/cross-entropy.js';
import { noGrad } from '../autograd/no-grad.js';
import type { Module } from '../nn/module.js';
import type { BatchSource } from './batches.js';
import { correctCount } from './metrics.js';

/** Mean cross-entropy, top-1 error and accuracy (fractions) over `count` examples. */
export interface EvaluationResult {
  loss: number;
  error: number;
  accuracy: number;
  count: number;
}

/** Mean cross-entropy and top-1 error over one full epoch of `source`, in eval mode, off the tape. */
export function evaluateClassifier(model: Module, source: BatchSource): EvaluationResult {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  try {
    noGrad(() => {
      for (const batch of source) {
        const logits = model.forward(batch.x);
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
