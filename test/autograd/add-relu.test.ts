import { afterEach, describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { emptyPool, setPoolPoisoning } from '../../src/tensor/buffer-pool.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, type Tensor } from '../../src/tensor/tensor.js';
import { backendsUnderTest, withBackend } from '../helpers/backends.js';

/**
 * addRelu is relu(add(a, b)) computed in place: the same values bit for bit, forward and
 * backward, on every backend, with the residual sum's storage never exposed (poisoned pool).
 */
afterEach(() => {
  setPoolPoisoning(false);
  emptyPool();
});

function run(op: (a: Tensor, b: Tensor) => Tensor, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  const a = randn([3, 4, 9, 11], { rng, requiresGrad: true });
  const b = randn([3, 4, 9, 11], { rng, requiresGrad: true });
  const weights = randn([3, 4, 9, 11], { rng });
  const y = op(a, b);
  F.sum(F.mul(y, weights)).backward();
  return [Float32Array.from(y.f32), Float32Array.from(a.grad!.f32), Float32Array.from(b.grad!.f32)];
}

describe('addRelu', () => {
  for (const backend of backendsUnderTest()) {
    it(`${backend.name}: equals relu(add(a, b)) exactly, forward and both gradients`, () => {
      withBackend(backend, () => {
        setPoolPoisoning(true);
        const fused = run(F.addRelu, 3);
        const separate = run((a, b) => F.relu(F.add(a, b)), 3);
        for (let i = 0; i < 3; i++) expect(fused[i]).toEqual(separate[i]);
        // Half the sums are negative: the mask is exercised, not all-ones.
        expect(fused[0]!.filter((v) => v === 0).length).toBeGreaterThan(fused[0]!.length / 4);
      });
    });
  }

  it('falls back to the two ops when shapes differ (broadcast)', () => {
    const rng = new Rng(4);
    const a = randn([2, 3, 5], { rng });
    const b = randn([3, 1], { rng });
    expect(F.addRelu(a, b).f32).toEqual(F.relu(F.add(a, b)).f32);
    expect(F.addRelu(a, b).shape).toEqual([2, 3, 5]);
  });
});
