import { describe, expect, it } from 'vitest';
import { mul } from '../../src/autograd/functions/binary.js';
import { tensor } from '../../src/tensor/tensor.js';

/**
 * One differentiable op imported on its own, nothing else from autograd: the node it records
 * carries the engine, so backward works with no side-effect import of the autograd index.
 */
describe('the backward engine travels with the graph', () => {
  it('back-propagates through an op imported alone', () => {
    const a = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const b = tensor([4, 5, 6], undefined, { requiresGrad: true });
    const y = mul(a, b);
    expect(typeof y.gradFn!.engine).toBe('function');
    y.backward(tensor([1, 1, 1]));
    expect(a.grad!.toArray()).toEqual([4, 5, 6]);
    expect(b.grad!.toArray()).toEqual([1, 2, 3]);
  });
});
