import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '../../src/tensor/tensor.js';

/**
 * The tensor layer alone, with nothing from autograd imported (each test file is its own module
 * graph): a leaf's backward needs no engine — its gradient is the seed — and a tensor with a
 * graph carries the engine in its node (test/autograd/backward-wiring.test.ts).
 */
describe('Tensor.backward without the autograd layer loaded', () => {
  it('gives a scalar leaf the gradient 1, accumulating, through its hooks', () => {
    const x = tensor([2.5], undefined, { requiresGrad: true });
    const seen: number[] = [];
    x.registerHook((g) => void seen.push(g.item()));
    x.backward();
    expect(x.grad!.toArray()).toEqual([1]);
    x.backward(tensor([0.5]));
    expect(x.grad!.toArray()).toEqual([1.5]);
    expect(seen).toEqual([1, 0.5]);
  });

  it('copies a given seed (the caller keeps its tensor) and lets a hook replace it', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const seed = tensor([3, 4]);
    x.backward(seed);
    expect(x.grad).not.toBe(seed);
    seed.f32[0] = 100;
    expect(x.grad!.toArray()).toEqual([3, 4]);
    const y = tensor([1, 2], undefined, { requiresGrad: true });
    y.registerHook((g) => new Tensor(g.f32.map((v) => 2 * v), g.shape));
    y.backward(tensor([1, 1]));
    expect(y.grad!.toArray()).toEqual([2, 2]);
  });

  it('names the problem for a leaf that needs no gradient, a missing seed or a wrong shape', () => {
    expect(() => tensor([1]).backward()).toThrow(/does not require a gradient/);
    expect(() => tensor([1, 2], undefined, { requiresGrad: true }).backward()).toThrow(/a gradient must be given for a non-scalar output of shape \[2\]/);
    expect(() => tensor([1, 2], undefined, { requiresGrad: true }).backward(tensor([1]))).toThrow(/gradient shape \[1\] does not match output shape \[2\]/);
  });
});
