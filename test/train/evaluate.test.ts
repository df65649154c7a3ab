import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/no-grad.js';
import { createModel } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, Tensor } from '../../src/tensor/tensor.js';
import type { Batch, BatchSource } from '../../src/train/batches.js';
import { evaluateClassifier } from '../../src/train/evaluate.js';

/** Two batches of 23 random 1 × 12 × 12 images with labels 0..9. */
function images(seed: number): BatchSource {
  const rng = new Rng(seed);
  const batches: Batch[] = [0, 1].map(() => ({
    x: randn([23, 1, 12, 12], { rng }),
    y: intTensor(Array.from({ length: 23 }, () => Math.floor(rng.uniform() * 10))),
  }));
  return { batchesPerEpoch: 2, [Symbol.iterator]: () => batches[Symbol.iterator](), getState: () => 0, setState: () => {} };
}

describe('evaluateClassifier in slices', () => {
  it('gives the numbers of whole batches, bit for bit, with a ragged last slice, and restores training mode', () => {
    const model = createModel('resnet_cifar', { depth: 8, baseWidth: 4, inChannels: 1, rng: new Rng(2) });
    // Batch statistics of a few training passes, so evaluation's folded batch norms are not the identity.
    noGrad(() => {
      for (const { x } of images(9)) model.forward(new Tensor(x.f32.map((v) => v * 3 + 1), x.shape));
    });
    const whole = evaluateClassifier(model, images(4));
    const sliced = evaluateClassifier(model, images(4), { forwardBatch: 5 });
    const again = evaluateClassifier(model, images(4), { forwardBatch: 5 });
    expect(whole.count).toBe(46);
    expect(Number.isFinite(whole.loss)).toBe(true);
    expect(sliced).toEqual(whole);
    expect(again).toEqual(whole);
    expect(model.training).toBe(true);
  });
});
