import { afterEach, describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { recycleAfterBackward } from '../../src/autograd/recycle-after-backward.js';
import { BatchNorm2d } from '../../src/nn/layers/batch-norm.js';
import { convBatchNormTwice } from '../../src/nn/layers/conv-batch-norm.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { createModel } from '../../src/models/registry.js';
import { SGD } from '../../src/optim/sgd.js';
import { emptyPool, poolStatistics, setPoolPoisoning, trackAllocations } from '../../src/tensor/buffer-pool.js';
import { keepTensor, recycleTensors } from '../../src/tensor/recycling-scope.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, Tensor, uniform, uninitialized, type GradNode } from '../../src/tensor/tensor.js';
import { backendsUnderTest, maxRelativeError, withBackend } from '../helpers/backends.js';

/**
 * An intermediate that only one op's backward reads goes back to the pool once that backward has
 * run (recycleAfterBackward; conv → batch norm units hand their convolution outputs over), and
 * gradients are written over buffers nothing else reads. These tests check that this changes no
 * number (pool poisoning turns storage reused too early into NaN), that the storage really is
 * recycled and only once, and what must not be recycled is not. Shapes have at least 1024
 * elements, so their storage is pooled.
 */
afterEach(() => {
  setPoolPoisoning(false);
  emptyPool();
});

/** Every node of the graph below `root`. */
function graphNodes(root: Tensor): GradNode[] {
  const nodes: GradNode[] = [];
  const seen = new Set<unknown>();
  const stack: unknown[] = [root.gradFn];
  while (stack.length > 0) {
    const v = stack.pop();
    if (!v || v instanceof Tensor || seen.has(v)) continue;
    seen.add(v);
    nodes.push(v as GradNode);
    stack.push(...(v as GradNode).inputs);
  }
  return nodes;
}

const ownedBelow = (root: Tensor): Tensor[] => graphNodes(root).flatMap((n) => n.ownedInputs ?? []);

describe('recycleAfterBackward', () => {
  it('recycles the input after the backward that reads it, with the gradients unchanged', () => {
    const gradients = (handOver: boolean): { grad: Float32Array; hidden: Tensor } => {
      const w = randn([32, 48], { rng: new Rng(1), requiresGrad: true });
      const hidden = F.mulScalar(w, 3);
      const out = F.mul(hidden, hidden);
      if (handOver) expect(recycleAfterBackward(out, hidden)).toBe(true);
      F.sum(out).backward();
      return { grad: Float32Array.from(w.grad!.f32), hidden };
    };
    const plain = gradients(false);
    expect(plain.hidden.isReleased).toBe(false);
    const before = poolStatistics().buffers;
    const recycled = gradients(true);
    expect(recycled.grad).toEqual(plain.grad);
    expect(recycled.hidden.isReleased).toBe(true);
    expect(() => recycled.hidden.data).toThrow(/recycled/);
    expect(poolStatistics().buffers).toBeGreaterThan(before);
  });

  it('refuses what the node does not read, parameters, and outputs without a node', () => {
    const w = randn([1100], { rng: new Rng(2), requiresGrad: true });
    const a = F.relu(w), b = F.neg(w);
    const out = F.mul(a, w);
    expect(recycleAfterBackward(out, b)).toBe(false);
    expect(recycleAfterBackward(out, w)).toBe(false);
    expect(recycleAfterBackward(F.relu(randn([1100], { rng: new Rng(3) })), a)).toBe(false);
    F.sum(out).backward();
    expect(b.isReleased || w.isReleased || a.isReleased).toBe(false);
  });

  it('with retainGraph the input survives until the last backward', () => {
    const w = randn([40, 40], { rng: new Rng(4), requiresGrad: true });
    const hidden = F.exp(w);
    const out = F.mul(hidden, w);
    recycleAfterBackward(out, hidden);
    F.sum(out).backward(undefined, { retainGraph: true });
    expect(hidden.isReleased).toBe(false);
    const once = Float32Array.from(w.grad!.f32);
    F.sum(out).backward();
    expect(hidden.isReleased).toBe(true);
    for (let i = 0; i < once.length; i++) expect(w.grad!.f32[i]).toBe(once[i]! * 2);
  });

  it('inside recycleTensors: the storage is handed out once, not again when the scope ends', () => {
    const length = 1500;
    let hidden: Tensor | null = null;
    recycleTensors(() => {
      const w = randn([length], { rng: new Rng(5), requiresGrad: true });
      hidden = F.addScalar(w, 1);
      const out = F.mul(hidden, w);
      recycleAfterBackward(out, hidden);
      F.sum(out).backward();
      expect(hidden.isReleased).toBe(true);
    });
    // Had the scope's ledger kept the recycled storage, the scope would have pooled it a second time.
    const handedOut = Array.from({ length: poolStatistics().buffers + 1 }, () => uninitialized([length]).data.buffer);
    expect(new Set(handedOut).size).toBe(handedOut.length);
  });

  it('leaves storage the caller kept', () => {
    let hidden: Tensor | null = null;
    recycleTensors(() => {
      const w = randn([1200], { rng: new Rng(6), requiresGrad: true });
      hidden = keepTensor(F.relu(w));
      const out = F.mul(hidden, w);
      recycleAfterBackward(out, hidden);
      F.sum(out).backward();
    });
    expect(hidden!.isReleased).toBe(false);
  });
});

describe('conv → batch norm units hand their convolution outputs over', () => {
  const layers = () => {
    const r = new Rng(7);
    return [new Conv2d(3, 8, 3, { padding: 1, bias: false, rng: r }), new BatchNorm2d(8), new Conv2d(8, 8, 3, { padding: 1, bias: false, rng: r }), new BatchNorm2d(8)] as const;
  };
  for (const backend of backendsUnderTest()) {
    it(`both convolution outputs of a basic block's branch, recycled after backward (${backend.name})`, () => withBackend(backend, () => {
      const x = randn([2, 3, 12, 12], { rng: new Rng(8) });
      const residual = randn([2, 8, 12, 12], { rng: new Rng(9) });
      const [c1, b1, c2, b2] = layers();
      const out = convBatchNormTwice([c1, b1], [c2, b2], x, { residual: () => residual });
      const owned = ownedBelow(out);
      expect(owned.map((t) => t.shape)).toEqual([[2, 8, 12, 12], [2, 8, 12, 12]]);
      F.sum(out).backward();
      expect(owned.every((t) => t.isReleased)).toBe(true);
      expect(residual.isReleased).toBe(false);
    }));
  }

  it('not what a hook has seen', () => {
    const [c1, b1, c2, b2] = layers();
    c1.registerForwardHook(() => undefined);
    const out = convBatchNormTwice([c1, b1], [c2, b2], randn([2, 3, 12, 12], { rng: new Rng(10) }), { relu: true });
    expect(ownedBelow(out)).toHaveLength(1);
  });

  for (const backend of backendsUnderTest()) {
    it(`ResNet-8 steps in recycleTensors, poisoned pool: parameters bit for bit as with everything kept (${backend.name})`, () => withBackend(backend, () => {
      setPoolPoisoning(true);
      const train = (recycled: boolean): Float32Array[] => {
        const rng = new Rng(11);
        const model = createModel('resnet_cifar', { depth: 8, rng });
        const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
        const x = randn([4, 3, 16, 16], { rng });
        const labels = intTensor([1, 7, 3, 0]);
        for (let step = 0; step < 2; step++) {
          const run = (): void => {
            const loss = F.crossEntropy(model.forward(x), labels);
            optimizer.zeroGrad();
            // retainGraph keeps every intermediate until the loss dies: the reference.
            loss.backward(undefined, { retainGraph: !recycled });
            optimizer.step();
          };
          if (recycled) recycleTensors(run);
          else run();
        }
        return model.parameters().map((p) => Float32Array.from(p.f32));
      };
      const kept = train(false), recycled = train(true);
      expect(recycled.every((p) => p.every(Number.isFinite))).toBe(true);
      recycled.forEach((p, i) => expect(p, `parameter ${i}`).toEqual(kept[i]));
    }));
  }
});

describe('gradients written over buffers nothing else reads', () => {
  for (const backend of backendsUnderTest()) {
    it(`batchNormAddRelu masks a free dy in place for the residual, same values (${backend.name})`, () => withBackend(backend, () => {
      const r = new Rng(12);
      const x = randn([2, 4, 16, 16], { rng: r, requiresGrad: true });
      const residual = randn([2, 4, 16, 16], { rng: r, requiresGrad: true });
      const gamma = uniform([4], 0.5, 1.5, { rng: r, requiresGrad: true }), beta = randn([4], { rng: r, requiresGrad: true });
      const out = F.batchNormAddRelu(x, null, null, gamma, beta, { training: true }, residual);
      const dy = randn(out.shape, { rng: r });
      const copy = new Tensor(Float32Array.from(dy.f32), dy.shape);
      const separate = out.gradFn!.backward!(copy, false).map((g) => Float32Array.from(g!.f32));
      expect(copy.f32).toEqual(dy.f32);
      const inPlace = out.gradFn!.backward!(dy, true);
      expect(inPlace[1]).toBe(dy);
      inPlace.forEach((g, i) => expect(g!.f32, `gradient ${i}`).toEqual(separate[i]));
    }));

    it(`batchNormConv2d writes dx over its own temporary: one buffer of x's size, same values (${backend.name})`, () => withBackend(backend, () => {
      const r = new Rng(13);
      const x = randn([2, 4, 16, 16], { rng: r, requiresGrad: true });
      const gamma = uniform([4], 0.5, 1.5, { rng: r, requiresGrad: true }), beta = randn([4], { rng: r, requiresGrad: true });
      const w = randn([6, 4, 3, 3], { rng: r, requiresGrad: true });
      const bn = { runningMean: null, runningVar: null, weight: gamma, bias: beta, training: true, relu: true };
      const out = F.batchNormConv2d(x, bn, w, null, { padding: 1 });
      const dy = randn(out.shape, { rng: r });
      const allocated = new Map<ArrayBufferLike, Float32Array>();
      const previous = trackAllocations(allocated);
      const grads = out.gradFn!.backward!(dy);
      trackAllocations(previous);
      expect([...allocated.values()].filter((a) => a.length === x.size)).toHaveLength(1);
      // The composition of the two ops, on the same inputs.
      const x2 = new Tensor(Float32Array.from(x.f32), x.shape);
      x2.requiresGrad = true;
      const reference = F.conv2d(F.batchNormRelu(x2, null, null, gamma, beta, { training: true }), w, null, { padding: 1 });
      F.sum(F.mul(reference, dy)).backward();
      expect(maxRelativeError(grads[0]!.f32, x2.grad!.f32)).toBeLessThanOrEqual(1e-4);
    }));
  }
});
