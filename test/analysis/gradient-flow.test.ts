import { describe, expect, it } from 'vitest';
import { gradientNormsByDepth } from '../../src/analysis/gradient-flow.js';
import { weightLayers } from '../../src/analysis/model-parts.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn } from '../../src/tensor/tensor.js';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { gradientNorms } from '../../src/train/gradient-clipping.js';
import { modelState } from '../helpers/model-state.js';

describe('gradientNormsByDepth', () => {
  const batch = { x: randn([4, 1, 8, 8], { rng: new Rng(1) }), y: intTensor([0, 1, 2, 3]) };

  it('lists every weighted layer in depth order with its weight-gradient norm', () => {
    const model = resnetCifar({ depth: 8, inChannels: 1, numClasses: 4, baseWidth: 4, rng: new Rng(2) });
    const before = modelState(model.eval());
    const flow = gradientNormsByDepth(model, batch);
    // Weights, gradients (none), batch-norm statistics and modes as they were.
    expect(modelState(model)).toEqual(before);
    const layers = weightLayers(model);
    expect(flow.layers.map((l) => `${l.layer}.weight`)).toEqual(layers.map(([n]) => n));
    // The reference: the same training-mode pass done by hand.
    crossEntropy(model.train().forward(batch.x), batch.y).backward();
    const reference = gradientNorms(layers);
    for (const l of flow.layers) {
      expect(l.weightGradientNorm).toBeCloseTo(reference[`${l.layer}.weight`]!, 6);
      expect(l.activationGradientNorm).toBeGreaterThan(0);
    }
    expect(flow.firstToLastRatio).toBeCloseTo(flow.layers[0]!.weightGradientNorm / flow.layers[flow.layers.length - 1]!.weightGradientNorm, 12);
  });

  it('sees no gradient in a branch behind a zero γ, and the classifier output gradient (softmax − onehot)/N', () => {
    const model = resnetCifar({ depth: 8, inChannels: 1, numClasses: 4, baseWidth: 4, zeroInitResidual: true, rng: new Rng(2) });
    const flow = gradientNormsByDepth(model, batch);
    const byName = new Map(flow.layers.map((l) => [l.layer, l]));
    expect(byName.get('layer1.0.conv2')!.weightGradientNorm).toBe(0);
    expect(byName.get('layer1.0.conv1')!.weightGradientNorm).toBe(0);
    expect(byName.get('conv1')!.weightGradientNorm).toBeGreaterThan(0);
    // For mean cross-entropy, ∂L/∂logits = (softmax(z) − onehot(y)) / N; the RMS per example of that.
    const logits = model.forward(batch.x).f32; // training mode: the same batch statistics
    let squares = 0;
    for (let e = 0; e < 4; e++) {
      const row = Array.from(logits.subarray(e * 4, e * 4 + 4));
      const z = Math.max(...row);
      const total = row.reduce((s, v) => s + Math.exp(v - z), 0);
      row.forEach((v, c) => (squares += ((Math.exp(v - z) / total - (c === batch.y.data[e] ? 1 : 0)) / 4) ** 2));
    }
    expect(byName.get('fc')!.activationGradientNorm).toBeCloseTo(Math.sqrt(squares) / 2, 6);
  });
});
