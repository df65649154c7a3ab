import { afterEach, describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { emptyPool, setPoolPoisoning } from '../../src/tensor/buffer-pool.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, Tensor } from '../../src/tensor/tensor.js';
import { backendsUnderTest, withBackend } from '../helpers/backends.js';

/**
 * Ops allocate their outputs and gradients uninitialised when their kernel writes every element.
 * With poisoning on, such storage starts as NaN: an op that wrongly relied on zeros would leak NaN
 * or change value. Every op must give bit-identical outputs and gradients either way, on every
 * backend, at sizes above and below the pool's minimum (1024 elements).
 */
type Case = { name: string; shapes: number[][]; run: (inputs: Tensor[]) => Tensor };

const cases: Case[] = [
  ...(['neg', 'exp', 'abs', 'square', 'relu', 'gelu', 'sigmoid', 'tanh'] as const).map((op) => ({
    name: op, shapes: [[4, 8, 40]], run: ([x]: Tensor[]) => F[op](x!),
  })),
  { name: 'add broadcast', shapes: [[4, 8, 40], [8, 1]], run: ([a, b]) => F.add(a!, b!) },
  { name: 'sub broadcast', shapes: [[4, 8, 40], [40]], run: ([a, b]) => F.sub(a!, b!) },
  { name: 'mul broadcast', shapes: [[4, 8, 40], [4, 1, 40]], run: ([a, b]) => F.mul(a!, b!) },
  { name: 'div', shapes: [[4, 8, 40], [4, 8, 40]], run: ([a, b]) => F.div(a!, F.addScalar(F.abs(b!), 1)) },
  { name: 'maximum', shapes: [[4, 8, 40], [8, 40]], run: ([a, b]) => F.maximum(a!, b!) },
  { name: 'affine', shapes: [[4, 8, 40]], run: ([x]) => F.affine(x!, 2, 1) },
  { name: 'sum axes', shapes: [[4, 8, 40]], run: ([x]) => F.sum(x!, [0, 2]) },
  { name: 'mean keepDim', shapes: [[4, 8, 40]], run: ([x]) => F.mean(x!, 1, { keepDim: true }) },
  { name: 'max', shapes: [[4, 8, 40]], run: ([x]) => F.max(x!, 2) },
  { name: 'matmul broadcast', shapes: [[3, 40, 30], [30, 20]], run: ([a, b]) => F.matmul(a!, b!) },
  { name: 'linear', shapes: [[64, 30], [40, 30], [40]], run: ([x, w, b]) => F.linear(x!, w!, b!) },
  { name: 'permute', shapes: [[4, 8, 40]], run: ([x]) => F.permute(x!, [2, 0, 1]) },
  { name: 'slice', shapes: [[4, 8, 40]], run: ([x]) => F.slice(x!, [1, 2], [3, 7]) },
  { name: 'concat', shapes: [[4, 8, 40], [4, 3, 40]], run: ([a, b]) => F.concat([a!, b!], 1) },
  { name: 'pad', shapes: [[4, 8, 40]], run: ([x]) => F.pad(x!, [1, 2, 3, 0]) },
  { name: 'pad value', shapes: [[4, 8, 40]], run: ([x]) => F.pad(x!, [1, 2], 0.5) },
  { name: 'pad crop', shapes: [[4, 8, 40]], run: ([x]) => F.pad(x!, [-3, 1, 2, -1]) },
  { name: 'conv2d', shapes: [[2, 4, 12, 12], [6, 4, 3, 3], [6]], run: ([x, w, b]) => F.conv2d(x!, w!, b!, { padding: 1 }) },
  { name: 'conv2d stride groups', shapes: [[2, 4, 12, 12], [6, 2, 3, 3]], run: ([x, w]) => F.conv2d(x!, w!, null, { stride: 2, groups: 2 }) },
  { name: 'convTranspose2d', shapes: [[2, 4, 10, 10], [4, 3, 3, 3], [3]], run: ([x, w, b]) => F.convTranspose2d(x!, w!, b!, { stride: 2 }) },
  { name: 'maxPool2d', shapes: [[2, 4, 12, 12]], run: ([x]) => F.maxPool2d(x!, 2) },
  { name: 'avgPool2d', shapes: [[2, 4, 12, 12]], run: ([x]) => F.avgPool2d(x!, 3, { stride: 2, padding: 1 }) },
  { name: 'adaptiveAvgPool2d', shapes: [[2, 4, 12, 12]], run: ([x]) => F.adaptiveAvgPool2d(x!, 5) },
  { name: 'batchNorm', shapes: [[4, 6, 5, 7], [6], [6]], run: ([x, w, b]) => F.batchNorm(x!, null, null, w!, b!, { training: true }) },
  { name: 'batchNormRelu', shapes: [[4, 6, 5, 7], [6], [6]], run: ([x, w, b]) => F.batchNormRelu(x!, null, null, w!, b!, { training: true }) },
  { name: 'layerNorm', shapes: [[16, 80], [80], [80]], run: ([x, w, b]) => F.layerNorm(x!, [80], w!, b!) },
  { name: 'softmax', shapes: [[16, 80]], run: ([x]) => F.softmax(x!, 1) },
  { name: 'logSoftmax', shapes: [[16, 80]], run: ([x]) => F.logSoftmax(x!, 0) },
  { name: 'dropout', shapes: [[4, 8, 40]], run: ([x]) => F.dropout(x!, 0.3, true, new Rng(5)) },
  {
    name: 'crossEntropy', shapes: [[200, 10]],
    run: ([x]) => F.crossEntropy(x!, intTensor(Array.from({ length: 200 }, (_, i) => (i * 7) % 10)), { reduction: 'none' }),
  },
  {
    name: 'embedding', shapes: [[50, 40]],
    run: ([w]) => F.embedding(intTensor(Array.from({ length: 60 }, (_, i) => (i * 13) % 50), [6, 10]), w!),
  },
];

/** Output and every input gradient after one forward and backward pass. */
function runCase(c: Case, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  const inputs = c.shapes.map((shape) => randn(shape, { rng, requiresGrad: true }));
  const out = c.run(inputs);
  const dy = randn([...out.shape], { rng });
  out.backward(dy);
  return [out.toFloat32Array(), ...inputs.map((t) => t.grad!.toFloat32Array())];
}

afterEach(() => {
  setPoolPoisoning(false);
  emptyPool();
});

describe('uninitialised outputs are always overwritten', () => {
  for (const backend of backendsUnderTest()) {
    for (const c of cases) {
      it(`${c.name} on ${backend.name}`, () => {
        withBackend(backend, () => {
          const clean = runCase(c, 11);
          setPoolPoisoning(true);
          // Twice: the second run also draws recycled (poisoned) gradient buffers from the pool.
          runCase(c, 11);
          const poisoned = runCase(c, 11);
          expect(poisoned.length).toBe(clean.length);
          poisoned.forEach((values, i) => {
            expect(values.some(Number.isNaN), `${c.name}: NaN in ${i === 0 ? 'output' : `gradient ${i - 1}`}`).toBe(false);
            expect(values, `${c.name}: ${i === 0 ? 'output' : `gradient ${i - 1}`} changed`).toEqual(clean[i]);
          });
        });
      });
    }
  }
});
