import { describe, expect, it } from 'vitest';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, Tensor, tensor } from '../../src/tensor/tensor.js';
import { binaryCrossEntropyWithLogits, diceLoss } from '../../src/train/losses.js';
import { accuracy, segmentationScores, topKAccuracy } from '../../src/train/metrics.js';
import { clipGradNorm } from '../../src/train/gradient-clipping.js';
import { Parameter } from '../../src/nn/module.js';

describe('losses', () => {
  it('binary cross-entropy on logits matches the textbook formula and gradchecks', () => {
    const logits = tensor([2, -1, 0.5, -3]);
    const targets = tensor([1, 0, 0, 1]);
    const expected = [2, -1, 0.5, -3].map((x, i) => {
      const p = 1 / (1 + Math.exp(-x));
      const y = [1, 0, 0, 1][i]!;
      return -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
    }).reduce((a, b) => a + b) / 4;
    expect(binaryCrossEntropyWithLogits(logits, targets).item()).toBeCloseTo(expected, 5);
    // Large logits stay finite (the stable form).
    expect(Number.isFinite(binaryCrossEntropyWithLogits(tensor([80, -80]), tensor([0, 1])).item())).toBe(true);
    const x = randn([3, 4], { rng: new Rng(1), requiresGrad: true });
    const t = new Tensor(Float32Array.from({ length: 12 }, (_, i) => i % 2), [3, 4]);
    expect(gradcheck((a) => binaryCrossEntropyWithLogits(a!, t), [x]).ok).toBe(true);
  });

  it('Dice loss is 0 for a perfect confident prediction, in (0, 1) otherwise, and gradchecks', () => {
    const onehot = new Tensor(Float32Array.from([1, 0, 0, 1, 0, 1, 1, 0]), [1, 2, 2, 2]);
    const perfect = new Tensor(onehot.f32.map((v) => (v ? 30 : -30)), [1, 2, 2, 2]);
    expect(diceLoss(perfect, onehot, 1e-6).item()).toBeCloseTo(0, 4);
    const x = randn([1, 2, 2, 2], { rng: new Rng(2), requiresGrad: true });
    const loss = diceLoss(x, onehot).item();
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeLessThan(1);
    expect(gradcheck((a) => diceLoss(a!, onehot), [x]).ok).toBe(true);
  });
});

describe('metrics', () => {
  it('top-1 and top-k accuracy', () => {
    const logits = tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.1, 0.2, 0.7]]);
    const labels = intTensor([1, 1, 0]);
    expect(accuracy(logits, labels)).toBeCloseTo(1 / 3);
    expect(topKAccuracy(logits, labels, 2)).toBeCloseTo(2 / 3);
    expect(topKAccuracy(logits, labels, 3)).toBe(1);
  });

  it('per-class IoU and Dice, with absent classes left out of the means', () => {
    const scores = segmentationScores([0, 0, 1, 1], [0, 1, 1, 1], 3);
    expect(scores.iou[0]).toBeCloseTo(1 / 2);
    expect(scores.iou[1]).toBeCloseTo(2 / 3);
    expect(Number.isNaN(scores.iou[2]!)).toBe(true);
    expect(scores.dice[1]).toBeCloseTo(0.8);
    expect(scores.meanIou).toBeCloseTo((1 / 2 + 2 / 3) / 2);
  });

  it('gradient clipping scales to the maximum global norm and reports the norm before', () => {
    const p = new Parameter(new Float32Array(2), [2]);
    p.grad = tensor([3, 4]);
    expect(clipGradNorm([p], 1)).toBeCloseTo(5);
    expect(Math.hypot(p.grad.f32[0]!, p.grad.f32[1]!)).toBeCloseTo(1, 4);
  });
});
