import { describe, expect, it } from 'vitest';
import { matmul } from '../../src/autograd/functions/matmul.js';
import { mul } from '../../src/autograd/functions/binary.js';
import { sum } from '../../src/autograd/functions/reduce.js';
import { mulScalar } from '../../src/autograd/functions/scalar.js';
import { hessianEigenRatio } from '../../src/analysis/hessian.js';
import { filterNormalizedDirection, filterNorms, lossLandscape1d, lossLandscape2d, meanLoss, withPerturbedWeights } from '../../src/analysis/landscape.js';
import { Module, Parameter } from '../../src/nn/module.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, Tensor } from '../../src/tensor/tensor.js';

describe('filterNormalizedDirection (Li et al. 2018 §4)', () => {
  const model = resnetCifar({ depth: 8, inChannels: 1, numClasses: 3, baseWidth: 4, rng: new Rng(1) });

  it('has the same per-filter norms as the weights, and zero on BN parameters and biases', () => {
    const direction = filterNormalizedDirection(model, new Rng(2));
    model.namedParameters().forEach(([name, p], i) => {
      const d = direction.values[i]!;
      expect(direction.names[i]).toBe(name);
      if (p.ndim <= 1) {
        expect(d.every((v) => v === 0)).toBe(true);
      } else {
        const expected = filterNorms(p.f32, p.shape);
        filterNorms(d, p.shape).forEach((norm, f) => expect(norm).toBeCloseTo(expected[f]!, 4));
      }
    });
    expect(direction.values.some((d) => d.some((v) => v !== 0))).toBe(true);
  });

  it('evaluates the loss along and around the direction, restoring the weights exactly', () => {
    const batches = [{ x: randn([4, 1, 8, 8], { rng: new Rng(3) }), y: intTensor([0, 1, 2, 0]) }];
    const before = model.namedParameters().map(([, p]) => p.f32.slice());
    const d1 = filterNormalizedDirection(model, new Rng(4));
    const d2 = filterNormalizedDirection(model, new Rng(5));
    const line = lossLandscape1d(model, d1, batches, [-1, 0, 1]);
    expect(line[1]!.loss).toBeCloseTo(meanLoss(model, batches), 6);
    expect(line[0]!.loss).not.toBeCloseTo(line[1]!.loss, 3);
    const grid = lossLandscape2d(model, d1, d2, batches, [0, 1], [0, 1]);
    expect(grid.losses[0]![0]).toBeCloseTo(line[1]!.loss, 6);
    expect(grid.losses[1]![0]).toBeCloseTo(line[2]!.loss, 6);
    model.namedParameters().forEach(([, p], i) => expect(p.f32).toEqual(before[i]));
    expect(() => withPerturbedWeights(model, [{ direction: { names: [], values: [] }, alpha: 1 }], () => 0)).toThrow(/direction has 0 arrays/);
  });
});

/** L(w) = ½ wᵀ A w with a known symmetric A. */
class Quadratic extends Module {
  w: Parameter;
  constructor(readonly a: Tensor, n: number, rng: Rng) {
    super();
    this.w = new Parameter(Float32Array.from({ length: n }, () => rng.normal()), [1, n]);
  }
  forward(): Tensor {
    return mulScalar(sum(mul(matmul(this.w, this.a), this.w)), 0.5);
  }
}

describe('hessianEigenRatio', () => {
  it('finds λ_max, λ_min and |λ_min/λ_max| of a known quadratic', () => {
    // A = Q diag(4, 1, 0.5, −2) Qᵀ with Q a Householder reflection (orthogonal and symmetric).
    const eigen = [4, 1, 0.5, -2];
    const v = [0.5, -0.5, 0.5, 0.5];
    const q = (i: number, j: number) => (i === j ? 1 : 0) - 2 * v[i]! * v[j]!;
    const a = new Float32Array(16);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) a[i * 4 + j]! += q(i, k) * eigen[k]! * q(j, k);
    const model = new Quadratic(new Tensor(a, [4, 4]), 4, new Rng(1));
    const w0 = model.w.f32.slice();
    const callersGradient = new Tensor(Float32Array.of(1, 2, 3, 4), [1, 4]);
    model.w.grad = callersGradient;
    const result = hessianEigenRatio(model, () => model.forward(), { rng: new Rng(2), iterations: 200, epsilon: 0.1 });
    expect(result.maxEigenvalue).toBeCloseTo(4, 3);
    expect(result.minEigenvalue).toBeCloseTo(-2, 3);
    expect(result.ratio).toBeCloseTo(0.5, 3);
    expect(model.w.f32).toEqual(w0);
    expect(model.w.grad).toBe(callersGradient); // the caller's gradient is left in place
  });
});
