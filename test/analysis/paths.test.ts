import { describe, expect, it } from 'vitest';
import { effectivePathRange, gradientByPathLength, pathLengthDistribution } from '../../src/analysis/paths.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { Rng } from '../../src/tensor/rng.js';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { TransformerClassifier } from '../../src/models/transformer.js';
import { intTensor, randn } from '../../src/tensor/tensor.js';
import { modelState } from '../helpers/model-state.js';

/** Binomial coefficients from Pascal's triangle (independent of the multiplicative formula). */
function pascalRow(n: number): number[] {
  let row = [1];
  for (let i = 0; i < n; i++) row = [1, ...row.slice(1).map((v, j) => v + row[j]!), 1];
  return row;
}

describe('pathLengthDistribution', () => {
  it('counts C(n, k) paths of length k, a Binomial(n, 1/2) when normalised (Veit et al. 2016 §3)', () => {
    for (const n of [0, 1, 3, 9, 27, 54]) {
      const d = pathLengthDistribution(n);
      expect(d.map((e) => e.length)).toEqual(Array.from({ length: n + 1 }, (_, k) => k));
      const expected = pascalRow(n);
      d.forEach((e, k) => expect(e.count).toBeCloseTo(expected[k]!, -Math.ceil(Math.log10(expected[k]!)) + 12));
      expect(d.reduce((s, e) => s + e.fraction, 0)).toBeCloseTo(1, 12);
    }
    expect(pathLengthDistribution(3).map((e) => e.count)).toEqual([1, 3, 3, 1]);
  });

  it('rejects a negative or fractional block count', () => {
    expect(() => pathLengthDistribution(-1)).toThrow(/non-negative integer/);
    expect(() => pathLengthDistribution(2.5)).toThrow(/non-negative integer/);
  });
});

describe('effectivePathRange', () => {
  it('finds the shortest window holding the requested share', () => {
    expect(effectivePathRange([0, 0.05, 0.4, 0.5, 0.05], 0.9)).toEqual({ from: 2, to: 3, coverage: 0.9 });
    expect(effectivePathRange([1, 0, 0], 0.9).from).toBe(0);
  });
});

describe('gradientByPathLength', () => {
  const x = randn([4, 1, 8, 8], { rng: new Rng(1) });
  const batch = { x, y: intTensor([0, 1, 2, 3]) };

  it('gives zero gradient to every path through a zero-initialised residual branch', () => {
    const model = resnetCifar({ depth: 8, inChannels: 1, numClasses: 4, baseWidth: 4, zeroInitResidual: true, rng: new Rng(2) });
    const result = gradientByPathLength(model, batch, { rng: new Rng(3), samplesPerLength: 2 });
    expect(result.blocks).toBe(3);
    expect(result.gradientByLength[0]!.gradientNorm).toBeGreaterThan(0);
    for (const g of result.gradientByLength.slice(1)) expect(g.gradientNorm).toBe(0);
    expect(result.contribution[0]!.share).toBe(1);
    expect(result.effectiveRange).toMatchObject({ from: 0, to: 0 });
  });

  it('reaches the input through every path length of a randomly initialised net, leaving the model as it found it', () => {
    const model = resnetCifar({ depth: 8, inChannels: 1, numClasses: 4, baseWidth: 4, rng: new Rng(2) });
    // The caller's own gradients (from a training step in progress), in training mode.
    crossEntropy(model.forward(x), batch.y).backward();
    const before = modelState(model);
    expect(Object.values(before.grads).every((g) => g !== null)).toBe(true);
    const result = gradientByPathLength(model, batch, { rng: new Rng(3), samplesPerLength: 2 });
    for (const g of result.gradientByLength) expect(g.gradientNorm).toBeGreaterThan(0);
    expect(result.contribution.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 10);
    expect(modelState(model)).toEqual(before); // gradients, statistics, mode and hooks as they were
  });

  it('counts each junction of a multi-junction block as a unit (a pre-LN transformer block has two)', () => {
    const model = new TransformerClassifier({ imageSize: 4, dim: 8, heads: 2, layers: 2, numClasses: 4, rng: new Rng(5) });
    const tokens = { x: randn([3, 1, 4, 4], { rng: new Rng(6) }), y: intTensor([0, 1, 2]) };
    const result = gradientByPathLength(model, tokens, { rng: new Rng(7), samplesPerLength: 2 });
    expect(result.blocks).toBe(4);
    expect(result.distribution.map((d) => d.count)).toEqual([1, 4, 6, 4, 1]);
    for (const g of result.gradientByLength) expect(g.gradientNorm).toBeGreaterThan(0);
  });

  it('refuses a plain twin, which has no skip to route through, naming the block', () => {
    const plain = resnetCifar({ depth: 8, inChannels: 1, numClasses: 4, baseWidth: 4, skip: 'none', rng: new Rng(2) });
    expect(() => gradientByPathLength(plain, batch, { rng: new Rng(3) })).toThrow(/block 'layer1.0' has a junction that does not add a branch to a skip \(skip 'none'/);
  });
});
