import { describe, expect, it } from 'vitest';
import { convGradientRatio, gradientNormsByDepth } from '../../src/analysis/gradient-flow.js';
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
    // Per element: the 4 examples x 4 logits are 16 values.
    expect(byName.get('fc')!.activationGradientRms).toBeCloseTo(Math.sqrt(squares / 16), 7);
  });

  it('gives per-element RMS of weight and output gradients, and compares the first and last convolution only', () => {
    const model = resnetCifar({ depth: 8, inChannels: 1, numClasses: 4, baseWidth: 4, rng: new Rng(2) });
    const flow = gradientNormsByDepth(model, batch);
    const byName = new Map(flow.layers.map((l) => [l.layer, l]));
    const sizes = new Map(weightLayers(model).map(([name, p]) => [name, p.size]));
    for (const l of flow.layers) expect(l.weightGradientRms).toBeCloseTo(l.weightGradientNorm / Math.sqrt(sizes.get(`${l.layer}.weight`)!), 9);
    expect(byName.get('conv1')!.weightRank).toBe(4);
    expect(byName.get('fc')!.weightRank).toBe(2);
    // conv1's output is (4, 4, 8, 8): the per-example norm is √N times the RMS over 4·8·8 values per example.
    const conv1 = byName.get('conv1')!;
    expect(conv1.activationGradientRms).toBeCloseTo(conv1.activationGradientNorm / Math.sqrt(4 * 8 * 8), 9);
    const ratio = convGradientRatio(flow)!;
    expect([ratio.first, ratio.last]).toEqual(['conv1', 'layer3.0.conv2']); // the classifier is left out
    const last = byName.get('layer3.0.conv2')!;
    expect(ratio.activationRatio).toBeCloseTo(conv1.activationGradientRms / last.activationGradientRms, 12);
    expect(ratio.weightRatio).toBeCloseTo(conv1.weightGradientRms / last.weightGradientRms, 12);
    expect(convGradientRatio({ ...flow, layers: flow.layers.filter((l) => l.weightRank !== 4 || l.layer === 'conv1') })).toBeNull();
  });
});
