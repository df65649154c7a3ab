import { afterEach, describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { SGD } from '../../src/optim/sgd.js';
import { emptyPool, poolStatistics, setPoolPoisoning } from '../../src/tensor/buffer-pool.js';
import { keepTensor, recycleTensors } from '../../src/tensor/recycling-scope.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, type Tensor } from '../../src/tensor/tensor.js';
import { backendsUnderTest, withBackend } from '../helpers/backends.js';

/**
 * `recycleTensors` gives a step's activations back to the pool when the step ends. These tests
 * check it changes no number (pool poisoning makes storage reused too early show up as NaN),
 * that it really recycles, that what is returned or kept survives, and that using a recycled
 * tensor is a clear error. Shapes have at least 1024 elements, so their storage is pooled.
 */
afterEach(() => {
  setPoolPoisoning(false);
  emptyPool();
});

/** A small conv net and its SGD (momentum, so optimizer state must survive the scopes too). */
function setup(seed: number): { step: () => number; parameters: () => Float32Array[] } {
  const rng = new Rng(seed);
  const conv = new Conv2d(3, 8, 3, { padding: 1, rng });
  const head = new Linear(8 * 8 * 8, 10, { rng });
  const x = randn([4, 3, 8, 8], { rng });
  const labels = intTensor([1, 7, 3, 0]);
  const optimizer = new SGD([...conv.parameters(), ...head.parameters()], { lr: 0.05, momentum: 0.9 });
  const step = (): number => {
    const hidden = F.relu(conv.forward(x));
    const loss = F.crossEntropy(head.forward(F.reshape(hidden, [4, -1])), labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    return loss.item();
  };
  return { step, parameters: () => [...conv.parameters(), ...head.parameters()].map((p) => Float32Array.from(p.f32)) };
}

describe('recycleTensors', () => {
  for (const backend of backendsUnderTest()) {
    describe(backend.name, () => {
      it('training inside scopes gives the same losses and parameters as without, and reuses storage', () => {
        withBackend(backend, () => {
          setPoolPoisoning(true);
          const plain = setup(5);
          const scoped = setup(5);
          for (let i = 0; i < 4; i++) {
            const expected = plain.step();
            const actual = recycleTensors(() => scoped.step());
            expect(actual).toBe(expected);
            expect(Number.isFinite(actual)).toBe(true);
            // The scope handed the step's activations back: the pool holds them until the next step.
            expect(poolStatistics().buffers).toBeGreaterThan(0);
          }
          const a = plain.parameters();
          const b = scoped.parameters();
          for (let i = 0; i < a.length; i++) expect(b[i]).toEqual(a[i]);
        });
      });
    });
  }

  it('the next allocations of the same size reuse the storage a scope recycled', () => {
    const recycled: ArrayBufferLike[] = [];
    recycleTensors(() => {
      const x = randn([2048], { rng: new Rng(1) });
      recycled.push(x.data.buffer, F.relu(x).data.buffer);
    });
    const x = randn([2048], { rng: new Rng(2) });
    const y = F.relu(x);
    expect(new Set([x.data.buffer, y.data.buffer])).toEqual(new Set(recycled));
  });

  it('keeps what the scope returns and what it keeps, and recycles the rest', () => {
    let dropped: Tensor | null = null;
    let kept: Tensor | null = null;
    const { out, list } = recycleTensors(() => {
      const x = randn([1500], { rng: new Rng(3) });
      dropped = F.mulScalar(x, 2);
      kept = keepTensor(F.addScalar(x, 1));
      return { out: F.neg(x), list: [F.relu(x)] };
    });
    const expectedOut = Float32Array.from(out.f32);
    const expectedList = Float32Array.from(list[0]!.f32);
    const expectedKept = Float32Array.from(kept!.f32);
    // Churn the pool with the same size: survivors must not be handed out again.
    for (let i = 0; i < 3; i++) recycleTensors(() => F.exp(randn([1500], { rng: new Rng(10 + i) })).f32.fill(-1));
    expect(out.f32).toEqual(expectedOut);
    expect(list[0]!.f32).toEqual(expectedList);
    expect(kept!.f32).toEqual(expectedKept);
    expect(dropped!.isReleased).toBe(true);
    expect(() => dropped!.data).toThrow(/recycled when the recycleTensors scope .* ended/);
    expect(() => F.relu(dropped!)).toThrow(/\[1500\]/);
  });

  it('what an inner scope returns belongs to the outer one', () => {
    let inner: Tensor | null = null;
    const outer = recycleTensors(() => {
      inner = recycleTensors(() => F.relu(randn([1200], { rng: new Rng(4) })));
      expect(inner.isReleased).toBe(false);
      return F.mulScalar(inner, 3);
    });
    expect(inner!.isReleased).toBe(true);
    expect(outer.isReleased).toBe(false);
    expect(outer.f32.length).toBe(1200);
  });

  it('views share the fate of their storage', () => {
    let view: Tensor | null = null;
    const base = recycleTensors(() => {
      const t = F.relu(randn([40, 40], { rng: new Rng(6) }));
      view = F.reshape(t, [1600]);
      return t;
    });
    expect(view!.isReleased).toBe(false);
    expect(view!.data.buffer).toBe(base.data.buffer);
  });

  it('recycles nothing when the function throws, and refuses an async function', () => {
    let made: Tensor | null = null;
    expect(() => recycleTensors(() => {
      made = F.relu(randn([1100], { rng: new Rng(7) }));
      throw new Error('diverged');
    })).toThrow('diverged');
    expect(made!.isReleased).toBe(false);
    expect(() => recycleTensors(async () => 1)).toThrow(/must be synchronous/);
  });
});
