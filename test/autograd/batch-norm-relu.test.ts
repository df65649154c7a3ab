import { describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { traceOps } from '../../src/autograd/trace.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor, uniform } from '../../src/tensor/tensor.js';
import { backendsUnderTest, maxRelativeError, withBackend } from '../helpers/backends.js';

/**
 * batchNormRelu, the fused relu(batchNorm(x)): finite-difference gradchecks on inputs whose
 * normalised values stay clear of ReLU's kink, and exact agreement with the unfused composition
 * (values, every gradient, running statistics) on inputs that straddle it, on every backend.
 */
const rng = new Rng(23);

/**
 * (N, C, H, W) whose values per channel are an even count of evenly spaced numbers in shuffled
 * order: their normalised values are ±(k + ½)·d, so with β = 0 the nearest is d/2 ≈ 0.2 from
 * ReLU's kink, far beyond what a gradcheck step moves it.
 */
function clearOfKink(shape: [number, number, number, number]): Tensor {
  const [n, c, h, w] = shape;
  const perChannel = n * h * w;
  const t = new Tensor(new Float32Array(n * c * h * w), shape);
  for (let ch = 0; ch < c; ch++) {
    const order = rng.permutation(perChannel);
    const scale = 0.5 + ch * 0.3, offset = ch - 1;
    for (let i = 0; i < perChannel; i++) {
      const image = Math.floor(i / (h * w)), at = i % (h * w);
      t.f32[(image * c + ch) * h * w + at] = order[i]! * scale + offset;
    }
  }
  t.requiresGrad = true;
  return t;
}

for (const backend of backendsUnderTest()) {
  describe(`batchNormRelu on the ${backend.name} backend`, () => {
    it('passes gradcheck in training (batch statistics), with affine parameters', () => {
      withBackend(backend, () => {
        const x = clearOfKink([2, 3, 2, 2]);
        const weight = uniform([3], 0.5, 1.5, { rng, requiresGrad: true });
        const bias = new Tensor(new Float32Array(3), [3]);
        bias.requiresGrad = true;
        const fn = (a: Tensor, w?: Tensor, b?: Tensor): Tensor => F.batchNormRelu(a, null, null, w!, b!, { training: true });
        const result = gradcheck(fn, [x, weight, bias], { name: 'batchNormRelu (training)', atol: 3e-3, rtol: 3e-2 });
        expect(result.ok, result.message).toBe(true);
      });
    });

    it('passes gradcheck in eval (running statistics)', () => {
      withBackend(backend, () => {
        // Pre-activations (x − mean)·σ⁻¹·γ + β chosen at least 0.3 away from 0, then mapped back to x.
        const runningMean = new Tensor(new Float32Array([0.1, -0.2]), [2]);
        const runningVar = new Tensor(new Float32Array([1.5, 0.7]), [2]);
        const gamma = [0.8, 1.3], beta = [0.2, -0.1];
        const x = new Tensor(new Float32Array(3 * 2 * 5), [3, 2, 5]);
        for (let i = 0; i < x.size; i++) {
          const ch = Math.floor(i / 5) % 2;
          const target = (rng.uniform() < 0.5 ? -1 : 1) * (0.3 + rng.uniform());
          x.f32[i] = runningMean.f32[ch]! + ((target - beta[ch]!) / gamma[ch]!) * Math.sqrt(runningVar.f32[ch]! + 1e-5);
        }
        x.requiresGrad = true;
        const weight = new Tensor(Float32Array.from(gamma), [2]);
        const bias = new Tensor(Float32Array.from(beta), [2]);
        weight.requiresGrad = bias.requiresGrad = true;
        const fn = (a: Tensor, w?: Tensor, b?: Tensor): Tensor => F.batchNormRelu(a, runningMean, runningVar, w!, b!, { training: false });
        const result = gradcheck(fn, [x, weight, bias], { name: 'batchNormRelu (eval)' });
        expect(result.ok, result.message).toBe(true);
      });
    });

    it.each([true, false])('equals relu(batchNorm(x)) exactly, gradients and running statistics included (training %s)', (training) => {
      withBackend(backend, () => {
        const x = randn([4, 3, 5, 3], { rng, requiresGrad: true });
        const weight = uniform([3], 0.5, 1.5, { rng, requiresGrad: true });
        const bias = randn([3], { rng, requiresGrad: true });
        const seed = randn(x.shape, { rng });
        const run = (fused: boolean) => {
          x.grad = weight.grad = bias.grad = null;
          const runningMean = new Tensor(new Float32Array([0.1, 0.2, -0.3]), [3]);
          const runningVar = new Tensor(new Float32Array([1, 2, 0.5]), [3]);
          const options = { training, momentum: 0.2 };
          const ops: string[] = [];
          const y = traceOps((op) => void ops.push(op.op), () => fused
            ? F.batchNormRelu(x, runningMean, runningVar, weight, bias, options)
            : F.relu(F.batchNorm(x, runningMean, runningVar, weight, bias, options)));
          y.backward(seed);
          return { ops, values: [y.f32, x.grad!.f32, weight.grad!.f32, bias.grad!.f32, runningMean.f32, runningVar.f32] };
        };
        const unfused = run(false), fused = run(true);
        expect(unfused.ops).toEqual(['batchNorm', 'relu']);
        expect(fused.ops).toEqual(['batchNormRelu']);
        expect(fused.values[0]!.some((v) => v === 0) && fused.values[0]!.some((v) => v > 0), 'inputs straddle the kink').toBe(true);
        fused.values.forEach((v, i) => expect(maxRelativeError(v, unfused.values[i]!), `array ${i}`).toBe(0));
      });
    });
  });
}

it('batchNormRelu rejects a channel mismatch naming the op', () => {
  const x = randn([2, 3, 4], { rng });
  expect(() => F.batchNormRelu(x, null, null, new Tensor(new Float32Array(2), [2]), null, { training: true }))
    .toThrow(/batchNormRelu: weight of shape \[2\] does not match 3 channels/);
});
