import { describe, expect, it } from 'vitest';
import { relu } from '../../../src/autograd/functions/unary.js';
import { traceOps } from '../../../src/autograd/trace.js';
import { ReLU } from '../../../src/nn/layers/activations.js';
import { BatchNorm1d, BatchNorm2d } from '../../../src/nn/layers/batch-norm.js';
import { Conv2d } from '../../../src/nn/layers/conv2d.js';
import { Sequential } from '../../../src/nn/layers/sequential.js';
import type { Module } from '../../../src/nn/module.js';
import { Rng } from '../../../src/tensor/rng.js';
import { randn, type Tensor } from '../../../src/tensor/tensor.js';
import { maxRelativeError } from '../../helpers/backends.js';

/**
 * BatchNorm's forwardRelu and Sequential fuse batch norm with the ReLU after it only when the
 * fusion is invisible: the result, gradients, running statistics and batch count equal the
 * unfused modules', and a hook on either module (which must see the intermediate tensor, or the
 * gradient at it) turns the fusion off.
 */
const rng = new Rng(31);

function opsOf(fn: () => Tensor): { ops: string[]; y: Tensor } {
  const ops: string[] = [];
  const y = traceOps((op) => void ops.push(op.op), fn);
  return { ops, y };
}

/** Forward + backward of `fn` on a fresh copy of `x`; returns output, input gradient and the layer's state. */
function step(layer: BatchNorm2d | BatchNorm1d, x: Tensor, seed: Tensor, fn: (input: Tensor) => Tensor) {
  const input = x.clone();
  input.requiresGrad = true;
  layer.zeroGrad();
  const { ops, y } = opsOf(() => fn(input));
  y.backward(seed);
  const state = Object.values(layer.stateDict()).map((t) => Float32Array.from(t.data));
  return { ops, arrays: [y.f32, input.grad!.f32, layer.weight!.grad!.f32, layer.bias!.grad!.f32, ...state] };
}

function twinBatchNorms(): [BatchNorm2d, BatchNorm2d] {
  const a = new BatchNorm2d(3), b = new BatchNorm2d(3);
  for (const bn of [a, b]) {
    bn.weight!.f32.set([0.5, 1.5, -0.7]);
    bn.bias!.f32.set([0.1, -0.2, 0.3]);
  }
  return [a, b];
}

describe('BatchNorm2d.forwardRelu', () => {
  it.each([true, false])('fuses without hooks and equals relu(forward(x)) exactly (training %s)', (training) => {
    const [fusedLayer, plainLayer] = twinBatchNorms();
    fusedLayer.training = plainLayer.training = training;
    const x = randn([4, 3, 3, 5], { rng }), seed = randn([4, 3, 3, 5], { rng });
    for (let round = 0; round < 2; round++) {
      const plain = step(plainLayer, x, seed, (input) => relu(plainLayer.forward(input)));
      const fused = step(fusedLayer, x, seed, (input) => fusedLayer.forwardRelu(input));
      expect(plain.ops).toEqual(['batchNorm', 'relu']);
      expect(fused.ops).toEqual(['batchNormRelu']);
      fused.arrays.forEach((a, i) => expect(maxRelativeError(a, plain.arrays[i]!), `array ${i}, round ${round}`).toBe(0));
    }
    expect(fusedLayer.num_batches_tracked!.data[0]).toBe(training ? 2 : 0);
  });

  it('runs BN then ReLU when a forward hook on the batch norm must see its output, and fuses again once it is removed', () => {
    const [bn] = twinBatchNorms();
    const seen: Tensor[] = [];
    const remove = bn.registerForwardHook((_m, _x, y) => void seen.push(y));
    const x = randn([2, 3, 4, 4], { rng });
    const hooked = opsOf(() => bn.forwardRelu(x));
    expect(hooked.ops).toEqual(['batchNorm', 'relu']);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.f32.some((v) => v < 0), 'the hook sees the pre-activation').toBe(true);
    remove();
    expect(opsOf(() => bn.forwardRelu(x)).ops).toEqual(['batchNormRelu']);
  });

  it('runs BN then ReLU when a backward hook on the batch norm needs the gradient at its output', () => {
    const [bn] = twinBatchNorms();
    const grads: Tensor[] = [];
    bn.registerBackwardHook((_m, g) => void grads.push(g));
    const x = randn([2, 3, 4, 4], { rng, requiresGrad: true });
    const { ops, y } = opsOf(() => bn.forwardRelu(x));
    expect(ops).toEqual(['batchNorm', 'relu']);
    y.backward(randn(y.shape, { rng }));
    expect(grads).toHaveLength(1);
    expect(grads[0]!.f32.some((v) => v === 0), 'the gradient below the ReLU is masked').toBe(true);
  });

  it('runs the ReLU module itself when it has hooks, and fuses with an unhooked one', () => {
    const [bn] = twinBatchNorms();
    const module = new ReLU();
    const x = randn([2, 3, 4, 4], { rng });
    expect(opsOf(() => bn.forwardRelu(x, module)).ops).toEqual(['batchNormRelu']);
    let calls = 0;
    module.registerForwardPreHook(() => void calls++);
    expect(opsOf(() => bn.forwardRelu(x, module)).ops).toEqual(['batchNorm', 'relu']);
    expect(calls).toBe(1);
  });

  it('does not fuse with a module that is not a ReLU', () => {
    const bn = new BatchNorm1d(4);
    const other: Module = new Sequential();
    expect(opsOf(() => bn.forwardRelu(randn([5, 4], { rng }), other)).ops).toEqual(['batchNorm']);
  });
});

describe('Sequential', () => {
  it('fuses a batch norm with the ReLU module after it, unless either has hooks', () => {
    const net = new Sequential(new Conv2d(2, 3, 3, { padding: 1, rng: new Rng(2) }), new BatchNorm2d(3), new ReLU(), new Conv2d(3, 2, 1, { rng: new Rng(3) }));
    const x = randn([2, 2, 5, 5], { rng });
    const fused = opsOf(() => net.forward(x));
    expect(fused.ops).toEqual(['conv2d', 'batchNormRelu', 'conv2d']);
    const remove = net.at(2).registerForwardHook(() => {});
    const plain = opsOf(() => net.forward(x));
    expect(plain.ops).toEqual(['conv2d', 'batchNorm', 'relu', 'conv2d']);
    remove();
    expect(maxRelativeError(fused.y.f32, plain.y.f32)).toBe(0);
  });
});
