import type { Tensor } from '../tensor/tensor.js';

/** Index of the largest logit in each row of (N, classes). */
export function argmaxRows(logits: Tensor): Int32Array {
  const [rows, classes] = logits.shape as [number, number];
  const out = new Int32Array(rows);
  const d = logits.data;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (d[r * classes + c]! > d[r * classes + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Number of rows whose top-1 prediction is the label. */
export function correctCount(logits: Tensor, labels: Tensor): number {
  const predictions = argmaxRows(logits);
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === labels.data[i]) correct++;
  return correct;
}

/** Fraction of rows whose label is among the k largest logits. */
export function topKAccuracy(logits: Tensor, labels: Tensor, k: number): number {
  const [rows, classes] = logits.shape as [number, number];
  const d = logits.data;
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    const label = labels.data[r]!;
    const target = d[r * classes + label]!;
    let above = 0;
    for (let c = 0; c < classes; c++) if (d[r * classes + c]! > target) above++;
    if (above < k) hits++;
  }
  return rows > 0 ? hits / rows : 0;
}

/** Top-1 accuracy of logits (N, classes) against labels (N), as a fraction 0..1. */
export const accuracy = (logits: Tensor, labels: Tensor): number => correctCount(logits, labels) / Math.max(1, labels.size);

/**
 * Per-class intersection-over-union and Dice of integer masks (any shape, same size). A class
 * absent from both prediction and target gets NaN (excluded from means), as is usual.
 */
export function segmentationScores(predicted: ArrayLike<number>, target: ArrayLike<number>, classes: number): { iou: number[]; dice: number[]; meanIou: number; meanDice: number } {
  const inter = new Float64Array(classes);
  const predCount = new Float64Array(classes);
  const targetCount = new Float64Array(classes);
  for (let i = 0; i < target.length; i++) {
    const p = predicted[i]!;
    const t = target[i]!;
    predCount[p]!++;
    targetCount[t]!++;
    if (p === t) inter[p]!++;
  }
  const iou: number[] = [];
  const dice: number[] = [];
  for (let c = 0; c < classes; c++) {
    const union = predCount[c]! + targetCount[c]! - inter[c]!;
    iou.push(union > 0 ? inter[c]! / union : NaN);
    dice.push(predCount[c]! + targetCount[c]! > 0 ? (2 * inter[c]!) / (predCount[c]! + targetCount[c]!) : NaN);
  }
  const meanOf = (v: number[]): number => {
    const ok = v.filter((x) => !Number.isNaN(x));
    return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
  };
  return { iou, dice, meanIou: meanOf(iou), meanDice: meanOf(dice) };
}
