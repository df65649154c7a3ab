import { describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, Tensor, uniform } from '../../src/tensor/tensor.js';
import { backendsUnderTest, withBackend } from '../helpers/backends.js';

/**
 * Every differentiable op against central finite differences, on random shapes that include
 * size-1 and odd sizes, on every backend. A failure message names the op, the input, the element
 * and both values.
 */
const rng = new Rng(7);
const input = (shape: number[]): Tensor => randn(shape, { rng, requiresGrad: true });
const positive = (shape: number[]): Tensor => uniform(shape, 0.5, 2, { rng, requiresGrad: true });
/** Values kept away from 0 so finite differences never straddle ReLU's kink. */
const awayFromZero = (shape: number[]): Tensor => {
  const t = randn(shape, { rng, requiresGrad: true });
  for (let i = 0; i < t.size; i++) t.f32[i] = t.f32[i]! + (t.f32[i]! >= 0 ? 0.1 : -0.1);
  return t;
};
/** Well-separated values (no ties); `offset` shifts by a fraction of the spacing so two such tensors never tie either. */
const distinct = (shape: number[], offset = 0): Tensor => {
  const t = input(shape);
  const order = rng.permutation(t.size);
  for (let i = 0; i < t.size; i++) t.f32[i] = (order[i]! + offset) * 0.37 - t.size * 0.15;
  return t;
};

interface Case {
  name: string;
  fn: (...xs: Tensor[]) => Tensor;
  inputs: () => Tensor[];
  tolerance?: { atol?: number; rtol?: number; eps?: number };
}

const cases: Case[] = [
  { name: 'add (broadcast)', fn: F.add, inputs: () => [input([3, 1, 5]), input([4, 1])] },
  { name: 'sub (broadcast)', fn: F.sub, inputs: () => [input([2, 3]), input([3])] },
  { name: 'mul (broadcast)', fn: F.mul, inputs: () => [input([1, 7]), input([3, 1])] },
  { name: 'div', fn: F.div, inputs: () => [input([5]), positive([5])] },
  { name: 'maximum', fn: F.maximum, inputs: () => [distinct([2, 3]), distinct([2, 3], 0.5)] },
  { name: 'minimum', fn: F.minimum, inputs: () => [distinct([4]), distinct([1], 0.5)] },
  { name: 'affine', fn: (x) => F.affine(x, -1.5, 0.25), inputs: () => [input([3, 2])] },
  { name: 'neg', fn: F.neg, inputs: () => [input([3])] },
  { name: 'exp', fn: F.exp, inputs: () => [input([2, 3])] },
  { name: 'log', fn: F.log, inputs: () => [positive([5])] },
  { name: 'sqrt', fn: F.sqrt, inputs: () => [positive([1, 4])] },
  { name: 'abs', fn: F.abs, inputs: () => [awayFromZero([7])] },
  { name: 'square', fn: F.square, inputs: () => [input([3, 3])] },
  { name: 'reciprocal', fn: F.reciprocal, inputs: () => [positive([5])] },
  { name: 'relu', fn: F.relu, inputs: () => [awayFromZero([2, 5])] },
  // relu(a + b) with |a| ≥ 0.1 and |b| < 0.04, so no sum sits near the kink.
  { name: 'addRelu', fn: F.addRelu, inputs: () => [awayFromZero([2, 3, 5]), uniform([2, 3, 5], -0.04, 0.04, { rng, requiresGrad: true })] },
  { name: 'addRelu (one tensor as both inputs)', fn: (x) => F.addRelu(x, x), inputs: () => [awayFromZero([7])] },
  { name: 'addRelu (broadcast: relu of add)', fn: F.addRelu, inputs: () => [awayFromZero([3, 1, 5]), uniform([4, 1], -0.04, 0.04, { rng, requiresGrad: true })] },
  { name: 'gelu', fn: F.gelu, inputs: () => [input([11])] },
  { name: 'sigmoid', fn: F.sigmoid, inputs: () => [input([6])] },
  { name: 'tanh', fn: F.tanh, inputs: () => [input([1, 1, 5])] },
  { name: 'sum (axis 1)', fn: (x) => F.sum(x, 1), inputs: () => [input([3, 4, 2])] },
  { name: 'sum (axes 0,2 keepDim)', fn: (x) => F.sum(x, [0, 2], { keepDim: true }), inputs: () => [input([3, 4, 2])] },
  { name: 'mean (all)', fn: (x) => F.mean(x), inputs: () => [input([5, 3])] },
  { name: 'max (axis -1)', fn: (x) => F.max(x, -1), inputs: () => [distinct([3, 5])] },
  { name: 'max (axes 0,2)', fn: (x) => F.max(x, [0, 2]), inputs: () => [distinct([2, 3, 3])] },
  { name: 'matmul 2d', fn: F.matmul, inputs: () => [input([3, 5]), input([5, 1])] },
  { name: 'matmul batched', fn: F.matmul, inputs: () => [input([2, 3, 4]), input([2, 4, 3])] },
  { name: 'matmul broadcast right', fn: F.matmul, inputs: () => [input([3, 2, 5]), input([5, 4])] },
  { name: 'matmul broadcast left', fn: F.matmul, inputs: () => [input([1, 7]), input([2, 7, 3])] },
  { name: 'linear', fn: (x, w, b) => F.linear(x, w, b), inputs: () => [input([4, 5]), input([3, 5]), input([3])] },
  { name: 'linear 3d input, no bias', fn: (x, w) => F.linear(x, w), inputs: () => [input([2, 3, 5]), input([1, 5])] },
  { name: 'reshape', fn: (x) => F.mul(F.reshape(x, [-1, 2]), F.reshape(x, [-1, 2])), inputs: () => [input([2, 3])] },
  { name: 'flatten', fn: (x) => F.flatten(x), inputs: () => [input([2, 3, 1, 2])] },
  { name: 'permute', fn: (x) => F.permute(x, [2, 0, 1]), inputs: () => [input([2, 3, 5])] },
  { name: 'transpose', fn: (x) => F.transpose(x, 0, 1), inputs: () => [input([3, 1, 4])] },
  { name: 'slice', fn: (x) => F.slice(x, [1, 0], [3, -1]), inputs: () => [input([4, 5, 2])] },
  { name: 'narrow', fn: (x) => F.narrow(x, 2, 1, 2), inputs: () => [input([2, 2, 5])] },
  { name: 'concat axis 1', fn: (a, b, c) => F.concat([a!, b!, c!], 1), inputs: () => [input([2, 1, 3]), input([2, 4, 3]), input([2, 2, 3])] },
  { name: 'pad (crop and pad)', fn: (x) => F.pad(x, [1, 2, -1, 1], 0.5), inputs: () => [input([2, 3, 4])] },
  { name: 'conv2d', fn: (x, w, b) => F.conv2d(x, w, b, { padding: 1 }), inputs: () => [input([2, 3, 5, 4]), input([4, 3, 3, 3]), input([4])] },
  { name: 'conv2d stride 2 dilation 2', fn: (x, w) => F.conv2d(x, w, null, { stride: 2, dilation: 2, padding: 2 }), inputs: () => [input([1, 2, 7, 6]), input([3, 2, 3, 3])] },
  { name: 'conv2d groups', fn: (x, w, b) => F.conv2d(x, w, b, { groups: 2, stride: [2, 1] }), inputs: () => [input([2, 4, 5, 5]), input([6, 2, 3, 1]), input([6])] },
  { name: 'conv2d 1x1', fn: (x, w) => F.conv2d(x, w), inputs: () => [input([3, 5, 2, 3]), input([2, 5, 1, 1])] },
  { name: 'convTranspose2d', fn: (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), inputs: () => [input([2, 3, 3, 4]), input([3, 2, 3, 3]), input([2])] },
  { name: 'convTranspose2d groups dilation', fn: (x, w) => F.convTranspose2d(x, w, null, { groups: 2, dilation: 2 }), inputs: () => [input([1, 4, 3, 3]), input([4, 3, 2, 2])] },
  { name: 'maxPool2d', fn: (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), inputs: () => [distinct([2, 2, 5, 6])] },
  { name: 'avgPool2d', fn: (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), inputs: () => [input([1, 3, 5, 5])] },
  { name: 'adaptiveAvgPool2d', fn: (x) => F.adaptiveAvgPool2d(x, [3, 2]), inputs: () => [input([2, 2, 7, 5])] },
  {
    name: 'batchNorm (training)', fn: (x, w, b) => F.batchNorm(x, null, null, w!, b!, { training: true }),
    inputs: () => [input([4, 3, 2, 3]), input([3]), input([3])], tolerance: { atol: 3e-3, rtol: 3e-2 },
  },
  {
    name: 'batchNorm (eval)', fn: (x, w, b) => F.batchNorm(x, new Tensor(new Float32Array([0.1, -0.2]), [2]), new Tensor(new Float32Array([1.5, 0.7]), [2]), w!, b!, { training: false }),
    inputs: () => [input([3, 2, 5]), input([2]), input([2])],
  },
  { name: 'layerNorm', fn: (x, w, b) => F.layerNorm(x, [5], w, b), inputs: () => [input([3, 5]), input([5]), input([5])], tolerance: { atol: 3e-3, rtol: 3e-2 } },
  { name: 'softmax', fn: (x) => F.softmax(x, 1), inputs: () => [input([2, 4, 3])] },
  { name: 'logSoftmax', fn: (x) => F.logSoftmax(x), inputs: () => [input([3, 5])] },
  { name: 'crossEntropy', fn: (x) => F.crossEntropy(x, intTensor([2, 0, 4, 1])), inputs: () => [input([4, 5])] },
  { name: 'crossEntropy smoothing + ignore', fn: (x) => F.crossEntropy(x, intTensor([2, -100, 1]), { labelSmoothing: 0.1 }), inputs: () => [input([3, 3])] },
  { name: 'crossEntropy none', fn: (x) => F.crossEntropy(x, intTensor([1, 0]), { reduction: 'none' }), inputs: () => [input([2, 2])] },
  { name: 'dropout', fn: (x) => F.dropout(x, 0.3, true, new Rng(5)), inputs: () => [input([4, 6])] },
  { name: 'embedding', fn: (w) => F.embedding(intTensor([1, 0, 1, 3], [2, 2]), w!), inputs: () => [input([4, 3])] },
];

for (const backend of backendsUnderTest()) {
  describe(`gradcheck on the ${backend.name} backend`, () => {
    for (const c of cases) {
      it(c.name, () => {
        withBackend(backend, () => {
          const result = gradcheck(c.fn, c.inputs(), { name: c.name, ...c.tolerance });
          expect(result.ok, result.message).toBe(true);
        });
      });
    }
  });
}

describe('gradcheck itself', () => {
  it('fails a wrong gradient and says by how much', () => {
    // x² whose backward claims 3x: gradcheck must catch it.
    const wrong = (x: Tensor): Tensor => {
      const y = F.square(x);
      if (y.gradFn) y.gradFn.backward = (dy) => [new Tensor(dy.f32.map((g, i) => 3 * x.f32[i]! * g), x.shape)];
      return y;
    };
    const result = gradcheck(wrong, [input([4])]);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/FAILED .* analytic .* vs numeric/);
  });
});

describe('concat', () => {
  it('keeps its own list of inputs, so a caller may grow its array afterwards', () => {
    const a = input([2, 2]);
    const b = input([2, 1]);
    const list = [a, b];
    const y = F.concat(list, 1);
    list.push(input([2, 3]));
    F.sum(y).backward();
    expect(Array.from(a.grad!.f32)).toEqual([1, 1, 1, 1]);
    expect(Array.from(b.grad!.f32)).toEqual([1, 1]);
  });
});
