import { afterEach, describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { setBackend } from '../../src/backend/select.js';
import { typescriptBackend } from '../../src/backend/ts/index.js';
import { emptyPool, poolStatistics, setPoolPoisoning } from '../../src/tensor/buffer-pool.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor, uninitialized, zeros } from '../../src/tensor/tensor.js';
import { backendsUnderTest, withBackend } from '../helpers/backends.js';

/**
 * The backward engine recycles gradient storage once it can prove nothing else reaches it. These
 * tests hold on to every gradient a user can see (hooks, .grad, retained grads, module hooks),
 * churn the pool with more passes of the same shapes, and check nothing they hold changed. Shapes
 * have at least 1024 elements so their storage is pooled. Poisoning makes any recycled buffer
 * read before being written show up as NaN.
 */
const shape = [4, 8, 40]; // 1280 elements
const x0 = (seed: number): Tensor => randn(shape, { rng: new Rng(seed), requiresGrad: true });
const close = (actual: Float32Array, expected: ArrayLike<number>): void => {
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
};

/** A few full passes over the same shapes, so every recycled buffer gets reused and overwritten. */
function churn(): void {
  for (let seed = 100; seed < 103; seed++) {
    const x = x0(seed);
    const y = F.mul(F.add(F.relu(x), x), F.tanh(x));
    F.sum(F.mul(y, y)).backward();
  }
}

afterEach(() => {
  setPoolPoisoning(false);
  emptyPool();
});

describe('gradient storage ownership', () => {
  for (const backend of backendsUnderTest()) {
    describe(backend.name, () => {
      it('one gradient shared by several inputs and accumulated several times stays right', () => {
        withBackend(backend, () => {
          setPoolPoisoning(true);
          const x = x0(1);
          // z = 3x through add's shared gradient and a reshape view; w = z² + x, so dw/dx = 18x + 1.
          const y = F.add(x, x);
          const z = F.add(F.reshape(F.reshape(y, [-1]), shape), x);
          const w = F.add(F.mul(z, z), x);
          w.backward(randn(shape, { rng: new Rng(2) }));
          const dy = randn(shape, { rng: new Rng(2) }).f32;
          close(x.grad!.f32, Array.from(x.f32, (v, i) => (18 * v + 1) * dy[i]!));
        });
      });

      it('a recycled gradient summed in place for one input still reaches the others unchanged', () => {
        withBackend(backend, () => {
          setPoolPoisoning(true);
          const x = x0(13);
          const a = F.relu(x);
          const b = F.tanh(x);
          // out = 2(a + b) + a: add(a, b) hands one owned gradient to a (which already holds the
          // root's, not owned) and to b; summing into it for a must not change b's.
          const out = F.add(F.affine(F.add(a, b), 2, 0), a);
          const g = randn(shape, { rng: new Rng(14) });
          out.backward(g);
          close(x.grad!.f32, Array.from(x.f32, (v, i) => (3 * (v > 0 ? 1 : 0) + 2 * (1 - Math.tanh(v) ** 2)) * g.f32[i]!));
        });
      });

      it('add(x, x) feeding the same leaf twice in one node', () => {
        withBackend(backend, () => {
          setPoolPoisoning(true);
          const x = x0(3);
          const r = F.relu(x);
          F.sum(F.add(r, r)).backward();
          close(x.grad!.f32, Array.from(x.f32, (v) => (v > 0 ? 2 : 0)));
        });
      });

      it('a gradient shown to a hook, a .grad and a retained grad are never recycled', () => {
        withBackend(backend, () => {
          setPoolPoisoning(true);
          const x = x0(4);
          const h = F.tanh(x).retainGrad();
          let hooked: Tensor | null = null;
          const r = F.relu(h);
          r.registerHook((g) => {
            hooked = g;
          });
          F.sum(F.mul(r, F.exp(x))).backward();
          const seen = { hooked: hooked!.toFloat32Array(), leaf: x.grad!.toFloat32Array(), retained: h.grad!.toFloat32Array() };
          churn();
          expect(hooked!.f32).toEqual(seen.hooked);
          expect(x.grad!.f32).toEqual(seen.leaf);
          expect(h.grad!.f32).toEqual(seen.retained);
        });
      });

      it('a module backward hook keeps the gradient it was given', () => {
        withBackend(backend, () => {
          setPoolPoisoning(true);
          const conv = new Conv2d(4, 8, 3, { padding: 1, rng: new Rng(6) });
          const captured: Tensor[] = [];
          conv.registerBackwardHook((_module, g) => captured.push(g));
          const input = randn([2, 4, 8, 8], { rng: new Rng(7), requiresGrad: true });
          F.sum(F.square(F.relu(conv.forward(input)))).backward();
          const copy = captured[0]!.toFloat32Array();
          churn();
          F.sum(F.square(conv.forward(input))).backward();
          expect(captured[0]!.f32).toEqual(copy);
          expect(captured[1]!.f32).not.toEqual(copy);
        });
      });

      it('training steps are identical whether the pool is cold or warm', () => {
        withBackend(backend, () => {
          const run = (): number[] => {
            emptyPool();
            const rng = new Rng(9);
            const conv = new Conv2d(3, 8, 3, { padding: 1, rng });
            const fc = new Linear(8 * 16 * 16, 10, { rng });
            const input = randn([4, 3, 16, 16], { rng });
            const losses: number[] = [];
            for (let step = 0; step < 3; step++) {
              const h = F.relu(conv.forward(input));
              const loss = F.mean(F.square(fc.forward(F.flatten(F.add(h, F.maxPool2d(F.pad(h, [0, 1, 0, 1]), 2, { stride: 1 }))))));
              conv.zeroGrad();
              fc.zeroGrad();
              loss.backward();
              for (const p of [...conv.parameters(), ...fc.parameters()]) {
                for (let i = 0; i < p.size; i++) p.f32[i] = p.f32[i]! - 0.1 * p.grad!.f32[i]!;
              }
              losses.push(loss.item());
            }
            return losses;
          };
          const cold = run();
          setPoolPoisoning(true);
          expect(run()).toEqual(cold);
        });
      });

      it('retainGraph: a second backward accumulates the same gradients again', () => {
        withBackend(backend, () => {
          const x = x0(12);
          const y = F.sum(F.mul(F.add(x, x), F.sigmoid(x)));
          y.backward(undefined, { retainGraph: true });
          const once = x.grad!.toFloat32Array();
          y.backward();
          close(x.grad!.f32, Array.from(once, (v) => 2 * v));
        });
      });
    });
  }
});

describe('the buffer pool', () => {
  it('holds gradients released by backward and hands them out again', () => {
    emptyPool();
    const x = x0(20);
    F.sum(F.mul(F.relu(x), F.tanh(x))).backward();
    const held = poolStatistics();
    expect(held.buffers).toBeGreaterThan(0);
    uninitialized(shape);
    expect(poolStatistics().buffers).toBe(held.buffers - 1);
  });

  it('zeros() from recycled storage is still all zero', () => {
    emptyPool();
    const x = x0(23);
    F.sum(F.mul(F.exp(x), F.exp(x))).backward();
    const held = poolStatistics().buffers;
    expect(held).toBeGreaterThan(0);
    const z = zeros(shape);
    expect(poolStatistics().buffers).toBe(held - 1);
    expect(z.f32.every((v) => v === 0)).toBe(true);
  });

  it('drops buffers no pass has reused for a whole step', () => {
    emptyPool();
    const x = x0(21);
    F.sum(F.square(F.exp(x))).backward();
    expect(poolStatistics().bytes).toBeGreaterThan(0);
    // Two passes over tensors too small to pool: the large buffers are stale by then.
    for (let i = 0; i < 2; i++) F.sum(F.exp(randn([3, 3], { requiresGrad: true }))).backward();
    expect(poolStatistics()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('is emptied when the backend changes', () => {
    const backends = backendsUnderTest();
    if (backends.length < 2) return;
    withBackend(backends[1]!, () => {
      const x = x0(22);
      F.sum(F.square(F.exp(x))).backward();
      expect(poolStatistics().buffers).toBeGreaterThan(0);
    });
    setBackend(typescriptBackend);
    uninitialized(shape);
    expect(poolStatistics().buffers).toBe(0);
  });
});
