import { afterAll, describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { recordActivationPattern } from '../../src/autograd/activation-pattern.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { configureNative, loadNativeBackend, nativeInfo } from '../../src/backend/native/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor, uniform } from '../../src/tensor/tensor.js';
import { backendsUnderTest, withBackend } from '../helpers/backends.js';

/**
 * batchNormAddRelu, relu(batchNorm(x) + residual) in one op: addRelu(batchNorm(x), residual) bit
 * for bit — output, the gradients of x, the residual, γ and β, the running statistics — on every
 * backend (and every native instruction set), with about half the outputs cut by the ReLU; and a
 * finite-difference gradcheck on inputs that keep the sum clear of the kink.
 */
const rng = new Rng(41);

function run(fused: boolean, training: boolean, seed: number): Float32Array[] {
  const r = new Rng(seed);
  const x = randn([3, 4, 5, 6], { rng: r, requiresGrad: true });
  const residual = randn([3, 4, 5, 6], { rng: r, requiresGrad: true });
  const gamma = uniform([4], 0.5, 1.5, { rng: r, requiresGrad: true }), beta = randn([4], { rng: r, requiresGrad: true });
  const runningMean = randn([4], { rng: r }), runningVar = uniform([4], 0.5, 2, { rng: r });
  const projection = randn(x.shape, { rng: r });
  const options = { training };
  const y = fused
    ? F.batchNormAddRelu(x, runningMean, runningVar, gamma, beta, options, residual)
    : F.addRelu(F.batchNorm(x, runningMean, runningVar, gamma, beta, options), residual);
  F.sum(F.mul(y, projection)).backward();
  return [y, x.grad!, residual.grad!, gamma.grad!, beta.grad!, runningMean, runningVar].map((t) => Float32Array.from(t.f32));
}

function checkExact(): void {
  for (const training of [true, false]) {
    const fused = run(true, training, 3), separate = run(false, training, 3);
    fused.forEach((values, i) => expect(values, `output ${i}, training ${training}`).toEqual(separate[i]));
    expect(fused[0]!.filter((v) => v === 0).length).toBeGreaterThan(fused[0]!.length / 4);
  }
}

for (const backend of backendsUnderTest()) {
  describe(`batchNormAddRelu on the ${backend.name} backend`, () => {
    it('equals addRelu(batchNorm(x), residual) bit for bit, training and eval', () => withBackend(backend, checkExact));

    it('passes gradcheck for x, the residual, γ and β', () => {
      withBackend(backend, () => {
        const x = randn([2, 3, 2, 2], { rng, requiresGrad: true });
        // A residual that keeps every sum at least 0.5 from 0 (normalised x stays within ±2.1 here).
        const residual = new Tensor(Float32Array.from({ length: 24 }, () => (rng.uniform() < 0.5 ? -3 : 3) + rng.uniform() * 0.2), [2, 3, 2, 2]);
        residual.requiresGrad = true;
        const gamma = uniform([3], 0.5, 0.8, { rng, requiresGrad: true }), beta = uniform([3], -0.1, 0.1, { rng, requiresGrad: true });
        const fn = (...t: Tensor[]) => F.batchNormAddRelu(t[0]!, null, null, t[2]!, t[3]!, { training: true }, t[1]!);
        const result = gradcheck(fn, [x, residual, gamma, beta], { name: 'batchNormAddRelu', atol: 3e-3, rtol: 3e-2 });
        expect(result.ok, result.message).toBe(true);
      });
    });
  });
}

describe('batchNormAddRelu under an activation pattern', () => {
  it('runs as batchNorm then addRelu, so the pattern records its ReLU, with the same values', () => {
    const r = new Rng(9);
    const x = randn([2, 3, 4, 4], { rng: r }), residual = randn([2, 3, 4, 4], { rng: r });
    const plain = F.batchNormAddRelu(x, null, null, null, null, { training: true }, residual);
    let patterned: Tensor | null = null;
    const pattern = recordActivationPattern(() => {
      patterned = F.batchNormAddRelu(x, null, null, null, null, { training: true }, residual);
    });
    expect(pattern.size).toBe(1);
    expect(patterned!.f32).toEqual(plain.f32);
  });
});

const native = loadNativeBackend();
const initial = native ? nativeInfo()! : null;
afterAll(() => {
  if (initial) configureNative({ isa: initial.isa, threads: initial.threads });
});
describe.skipIf(!native).each((native ? nativeInfo()!.supported : []).flatMap((isa) => [1, 2].map((threads) => ({ isa, threads }))))(
  'batchNormAddRelu on the native $isa path, $threads thread(s)', ({ isa, threads }) => {
    it('equals the separate ops bit for bit', () => withBackend(native!, () => {
      configureNative({ isa, threads });
      checkExact();
    }));
  },
);
