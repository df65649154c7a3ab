import { describe, expect, it } from 'vitest';
import { recordActivationPattern, withActivationPattern } from '../../src/autograd/activation-pattern.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { sum } from '../../src/autograd/functions/reduce.js';
import { HESSIAN_LANCZOS_STEPS, hessianEigenRatio, hessianOperator } from '../../src/analysis/hessian.js';
import { withMode } from '../../src/analysis/model-parts.js';
import { loadSafetensorsSync } from '../../src/io/safetensors.js';
import { createModel } from '../../src/models/registry.js';
import { MaxPool2d } from '../../src/nn/layers/pooling.js';
import { ReLU } from '../../src/nn/layers/activations.js';
import { Sequential } from '../../src/nn/layers/sequential.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';

/**
 * The Hessian of a trained ReLU ResNet's loss against PyTorch's double backward
 * (scripts/fixtures/make_relu_hessian_fixture.py: 1,384 parameters, every eigenvalue of the dense
 * float64 Hessian). Before the ReLU pattern was frozen, finite differences of gradients gave an
 * asymmetric, step-dependent operator on this kind of net.
 */
const file = loadSafetensorsSync(new URL('../fixtures/relu-hessian/hessian.safetensors', import.meta.url).pathname);
const { input, labels, eigenvalues, ...state } = file as Record<string, Tensor>;
const model = createModel('resnet_cifar', { depth: 8, baseWidth: 2, inChannels: 1, skip: 'projection', numClasses: 10, rng: new Rng(0) });
model.loadStateDict(state);
const loss = () => crossEntropy(model.forward(input!), labels!);
const trueMin = eigenvalues!.f32[0]!;
const trueMax = eigenvalues!.f32[eigenvalues!.size - 1]!;
const params = model.parameters();
const size = params.reduce((n, p) => n + p.size, 0);

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const unit = (seed: number) => {
  const rng = new Rng(seed);
  const v = Float64Array.from({ length: size }, () => rng.normal());
  const norm = Math.sqrt(dot(v, v));
  return v.map((x) => x / norm);
};

describe('Hessian of a ReLU ResNet against PyTorch double backward', () => {
  it('is the fixture PyTorch wrote (1,384 parameters, a negative end, λmax ≫ |λmin|)', () => {
    expect(size).toBe(eigenvalues!.size);
    expect(trueMin).toBeLessThan(0);
    expect(Math.abs(trueMin / trueMax)).toBeLessThan(0.1);
  });

  it('gives a symmetric operator that does not depend on the finite-difference step', () => {
    withMode(model, false, () => {
      const u = unit(1), v = unit(2);
      const coarse = hessianOperator(params, loss, 1e-2);
      const fine = hessianOperator(params, loss, 1e-3);
      const hv = coarse(v);
      // uᵀHv = vᵀHu: off by 40 % and more on ReLU nets without the frozen pattern.
      expect(Math.abs(dot(u, hv) - dot(v, coarse(u))) / Math.sqrt(dot(hv, hv))).toBeLessThan(1e-3);
      const hvFine = fine(v);
      const difference = Math.sqrt(hv.reduce((s, x, i) => s + (x - hvFine[i]!) ** 2, 0));
      // O(ε²) apart: 8e-4 between ε = 1e-2 and 1e-3 (below 1e-4, float32 rounding takes over).
      expect(difference / Math.sqrt(dot(hv, hv))).toBeLessThan(5e-3);
    });
  });

  for (const tier of ['quick', 'full'] as const) {
    it(`finds λmax and |λmin/λmax| within 5 % at the experiment's ${tier} step count (${HESSIAN_LANCZOS_STEPS[tier]})`, () => {
      const result = hessianEigenRatio(model, loss, { rng: new Rng(5), iterations: HESSIAN_LANCZOS_STEPS[tier] });
      expect(Math.abs(result.maxEigenvalue - trueMax) / trueMax).toBeLessThan(0.05);
      expect(Math.abs(result.ratio - Math.abs(trueMin / trueMax)) / Math.abs(trueMin / trueMax)).toBeLessThan(0.05);
      expect(result.maxResidual).toBeLessThan(0.05 * trueMax);
    });
  }
});

describe('activation patterns', () => {
  const net = new Sequential(new ReLU(), new MaxPool2d(2));
  const x = randn([1, 2, 4, 4], { rng: new Rng(3) });

  it('replays the recorded ReLU mask and max-pool choices on a moved input, gradient included', () => {
    const pattern = recordActivationPattern(() => net.forward(x));
    expect(pattern.size).toBe(2);
    const moved = new Tensor(x.f32.map((v) => -v), x.shape).requiresGrad_();
    const out = withActivationPattern(pattern, () => {
      const y = net.forward(moved);
      sum(y).backward();
      return y;
    });
    const expected = net.forward(x);
    // −x through the frozen net is −(the frozen net of x): linear, not relu(−x).
    out.f32.forEach((value, i) => expect(value).toBeCloseTo(-expected.f32[i]!, 6));
    const grad = moved.grad!.f32;
    const active = Array.from(grad).filter((g) => g !== 0).length;
    expect(active).toBe(Array.from(expected.f32).filter((v) => v > 0).length);
  });

  it('passes a finite-difference gradient check through the frozen ReLU and max pool', () => {
    const pattern = recordActivationPattern(() => net.forward(x));
    const input = new Tensor(x.f32.map((v) => v * 0.5 + 0.01), x.shape).requiresGrad_();
    const result = gradcheck((t) => withActivationPattern(pattern, () => net.forward(t)), [input], { name: 'frozen relu + max pool' });
    expect(result.ok, result.message).toBe(true);
  });

  it('refuses a pass that differs from the recorded one, naming the site', () => {
    const pattern = recordActivationPattern(() => net.forward(x));
    expect(() => withActivationPattern(pattern, () => net.forward(randn([1, 2, 6, 6], { rng: new Rng(4) })))).toThrow(/site 1 is a relu of 72 values, but the recorded pass had a relu of 32/);
    expect(() => withActivationPattern(pattern, () => new ReLU().forward(x))).toThrow(/met 1 of the 2 recorded sites/);
  });
});
