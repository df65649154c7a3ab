import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { HESSIAN_LANCZOS_STEPS, hessianEigenRatio, hessianRatioGrid, hessianVectorProduct, lanczosExtremes } from '../../src/analysis/hessian.js';
import { filterNormalizedDirection } from '../../src/analysis/landscape.js';
import { withMode } from '../../src/analysis/model-parts.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { GELU } from '../../src/nn/layers/activations.js';
import { Flatten } from '../../src/nn/layers/flatten.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { Sequential } from '../../src/nn/layers/sequential.js';
import { SGD } from '../../src/optim/sgd.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn } from '../../src/tensor/tensor.js';

/** n values spread evenly over [from, to]. */
const spread = (n: number, from: number, to: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / Math.max(1, n - 1));

describe('lanczosExtremes on a clustered spectrum', () => {
  // 2,000 eigenvalues: a top cluster near 10, a bulk of 1,990 in [−0.2, 1] (most of a trained
  // net's spectrum sits near 0), a bottom cluster near −1. True |λmin/λmax| = 0.1. Power iteration
  // after a shift by λmax would converge at rate 10/11 per step: after 20 steps it is still 15 %
  // of the way from where it started.
  const eigenvalues = Float64Array.from([...spread(5, 9.6, 10), ...spread(1990, -0.2, 1), ...spread(5, -1, -0.96)]);
  const apply = (v: Float64Array) => v.map((x, i) => x * eigenvalues[i]!);

  it(`finds both ends within 5 % at the quick step count (${HESSIAN_LANCZOS_STEPS.quick}), with small residuals`, () => {
    const r = lanczosExtremes(apply, eigenvalues.length, HESSIAN_LANCZOS_STEPS.quick, new Rng(7));
    expect(r.steps).toBe(HESSIAN_LANCZOS_STEPS.quick);
    expect(r.max.value).toBeGreaterThan(9.6 * 0.99);
    expect(r.max.value).toBeLessThanOrEqual(10 + 1e-9); // Ritz values never leave the spectrum
    expect(r.min.value).toBeLessThan(-0.96 * 0.99);
    expect(r.min.value).toBeGreaterThanOrEqual(-1 - 1e-9);
    expect(Math.abs(r.min.value / r.max.value)).toBeCloseTo(0.1, 1);
    expect(Math.abs(Math.abs(r.min.value / r.max.value) - 0.1) / 0.1).toBeLessThan(0.05);
    // The residual bounds the distance to the nearest true eigenvalue (Bauer–Fike for symmetric A).
    expect(r.max.residual).toBeLessThan(0.5);
    expect(r.ritzValues).toHaveLength(HESSIAN_LANCZOS_STEPS.quick);
  });

  it('reports a large residual when too few steps leave an end unconverged', () => {
    const r = lanczosExtremes(apply, eigenvalues.length, 3, new Rng(7));
    expect(r.min.value).toBeGreaterThan(-0.9); // 3 steps do not reach the bottom cluster
    expect(r.min.residual).toBeGreaterThan(0.1);
  });

  it('stops at the dimension of a small operator and is then exact', () => {
    const small = Float64Array.from([3, -2, 0.5]);
    const r = lanczosExtremes((v) => v.map((x, i) => x * small[i]!), 3, 50, new Rng(1));
    expect(r.steps).toBe(3);
    expect(r.max.value).toBeCloseTo(3, 10);
    expect(r.min.value).toBeCloseTo(-2, 10);
    expect(r.min.residual).toBeLessThan(1e-8);
    expect(() => lanczosExtremes(apply, 10, 0, new Rng(1))).toThrow(/steps must be a positive integer, got 0/);
  });
});

describe('hessianEigenRatio on a small net against the dense Hessian', () => {
  // A conv net of 812 parameters, small enough to build the whole Hessian column by column from
  // Hessian-vector products and diagonalise it exactly. GELU, not ReLU: the products are central
  // differences of gradients, exact only where the gradient is smooth; a ReLU net's gradient jumps
  // wherever a unit crosses zero within ε, and then the residuals below, not the ratio, are the news.
  const r = new Rng(3);
  const model = new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, rng: r }), new GELU(), new Conv2d(4, 6, 3, { stride: 2, padding: 1, rng: r }), new GELU(), new Flatten(), new Linear(6 * 3 * 3, 10, { rng: r }),
  );
  const rng = new Rng(4);
  const x = randn([16, 1, 6, 6], { rng });
  const y = intTensor(Array.from({ length: 16 }, (_, i) => (i * 7) % 10));
  const loss = () => crossEntropy(model.forward(x), y);
  // Some training first, so the Hessian is that of a net part-way to a minimum, as in the experiment.
  const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  for (let step = 0; step < 20; step++) {
    const value = loss();
    optimizer.zeroGrad();
    value.backward();
    optimizer.step();
  }
  const params = model.parameters();
  const size = params.reduce((n, p) => n + p.size, 0);
  const dense = withMode(model, false, () => {
    const h = new Matrix(size, size);
    for (let j = 0; j < size; j++) {
      const e = new Float64Array(size);
      e[j] = 1;
      const column = hessianVectorProduct(params, loss, e, 1e-3);
      for (let i = 0; i < size; i++) h.set(i, j, column[i]!);
    }
    return h;
  });
  const asymmetry = dense.clone().sub(dense.transpose()).norm() / dense.norm();
  const exact = new EigenvalueDecomposition(dense.clone().add(dense.transpose()).div(2), { assumeSymmetric: true }).realEigenvalues;
  const [trueMin, trueMax] = [Math.min(...exact), Math.max(...exact)];
  const trueRatio = Math.abs(trueMin / trueMax);

  it('has a symmetric dense Hessian with a negative end (the ratio is not trivially 0)', () => {
    expect(size).toBeLessThanOrEqual(2000);
    expect(asymmetry).toBeLessThan(1e-3);
    expect(trueMin).toBeLessThan(0);
  });

  for (const tier of ['quick', 'full'] as const) {
    it(`agrees with it within 5 % at the experiment's ${tier} step count (${HESSIAN_LANCZOS_STEPS[tier]})`, () => {
      const before = params.map((p) => p.f32.slice());
      const result = hessianEigenRatio(model, loss, { rng: new Rng(5), iterations: HESSIAN_LANCZOS_STEPS[tier] });
      expect(Math.abs(result.maxEigenvalue - trueMax) / trueMax).toBeLessThan(0.05);
      expect(Math.abs(result.ratio - trueRatio) / trueRatio).toBeLessThan(0.05);
      expect(result.iterations).toBe(HESSIAN_LANCZOS_STEPS[tier]);
      expect(result.maxResidual).toBeLessThan(0.05 * trueMax);
      params.forEach((p, i) => expect(p.f32).toEqual(before[i]));
    });
  }

  it('maps the ratio over a 2-D grid of weights, restoring them after every point', () => {
    const before = params.map((p) => p.f32.slice());
    const d1 = filterNormalizedDirection(model, new Rng(6));
    const d2 = filterNormalizedDirection(model, new Rng(7));
    const seen: number[] = [];
    const grid = hessianRatioGrid(model, loss, d1, d2, [-0.5, 0], [0, 0.5], { rng: new Rng(5), iterations: HESSIAN_LANCZOS_STEPS.quick, onPoint: (done) => seen.push(done) });
    expect(grid.results).toHaveLength(2);
    expect(grid.results[0]).toHaveLength(2);
    expect(seen).toEqual([1, 2, 3, 4]);
    // The centre point is the unperturbed net.
    expect(Math.abs(grid.results[0]![1]!.ratio - trueRatio) / trueRatio).toBeLessThan(0.05);
    // Elsewhere the curvature differs (the loss is not quadratic).
    expect(grid.results[1]![0]!.maxEigenvalue).not.toBeCloseTo(grid.results[0]![1]!.maxEigenvalue, 2);
    params.forEach((p, i) => expect(p.f32).toEqual(before[i]));
  });
});
