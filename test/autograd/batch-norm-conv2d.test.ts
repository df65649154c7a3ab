import { afterAll, describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { recordActivationPattern } from '../../src/autograd/activation-pattern.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { configureNative, loadNativeBackend, nativeInfo } from '../../src/backend/native/index.js';
import { createThreadedWasmBackend, loadWasmBackend } from '../../src/backend/wasm/index.js';
import { BatchNorm2d } from '../../src/nn/layers/batch-norm.js';
import { batchNormReluConv, convBatchNormTwice } from '../../src/nn/layers/conv-batch-norm.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import type { Backend } from '../../src/backend/backend.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor, uniform } from '../../src/tensor/tensor.js';
import { backendsUnderTest, maxRelativeError, withBackend } from '../helpers/backends.js';

/**
 * batchNormConv2d: conv2d(relu?(batchNorm(x))) with the batch norm as the convolution's input map.
 * Finite-difference gradchecks for every input on every backend (the inputs keep normalised values
 * clear of the ReLU's kink), agreement with the composition of the two ops — exactly on the native
 * and wasm backends, whose maps are batch norm's own arithmetic — and the layer that chooses it.
 */
const rng = new Rng(31);

/** (N, C, H, W) with values per channel evenly spaced and shuffled: normalised, the nearest to 0 is half a step away. */
function clearOfKink(shape: [number, number, number, number]): Tensor {
  const [n, c, h, w] = shape;
  const t = new Tensor(new Float32Array(n * c * h * w), shape);
  for (let ch = 0; ch < c; ch++) {
    const order = rng.permutation(n * h * w);
    for (let i = 0; i < n * h * w; i++) t.f32[(Math.floor(i / (h * w)) * c + ch) * h * w + (i % (h * w))] = order[i]! * (0.5 + 0.3 * ch) + ch - 1;
  }
  t.requiresGrad = true;
  return t;
}

function composition(x: Tensor, gamma: Tensor, beta: Tensor, w: Tensor, bias: Tensor, relu: boolean, stride: number): Tensor {
  const op = relu ? F.batchNormRelu : F.batchNorm;
  return F.conv2d(op(x, null, null, gamma, beta, { training: true }), w, bias, { stride, padding: 1 });
}

function fused(x: Tensor, gamma: Tensor, beta: Tensor, w: Tensor, bias: Tensor, relu: boolean, stride: number): Tensor {
  return F.batchNormConv2d(x, { runningMean: null, runningVar: null, weight: gamma, bias: beta, training: true, relu }, w, bias, { stride, padding: 1 });
}

for (const backend of backendsUnderTest()) {
  describe(`batchNormConv2d on the ${backend.name} backend`, () => {
    it.each([true, false])('passes gradcheck for x, γ, β, weight and bias (ReLU %s)', (relu) => {
      withBackend(backend, () => {
        const x = clearOfKink([2, 3, 3, 3]);
        const gamma = uniform([3], 0.5, 1.5, { rng, requiresGrad: true });
        const beta = new Tensor(new Float32Array(3), [3]);
        beta.requiresGrad = true;
        const w = randn([4, 3, 3, 3], { rng, requiresGrad: true }), bias = randn([4], { rng, requiresGrad: true });
        const fn = (...t: Tensor[]) => fused(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, relu, 1);
        const result = gradcheck(fn, [x, gamma, beta, w, bias], { name: `batchNormConv2d relu=${relu}`, atol: 3e-3, rtol: 3e-2 });
        expect(result.ok, result.message).toBe(true);
      });
    });

    it('agrees with batchNormRelu then conv2d: output and every gradient (stride 2, kink crossed)', () => {
      withBackend(backend, () => {
        const [a, b] = [agreementRun(fused, [3, 5, 7, 6], true, 2, 1), agreementRun(composition, [3, 5, 7, 6], true, 2, 1)];
        // Exact where the map is batch norm's own arithmetic (native); float rounding elsewhere.
        const exact = backend.fusesBatchNorm;
        a.forEach((values, i) => {
          if (exact) expect(values, `output ${i}`).toEqual(b[i]);
          else expect(maxRelativeError(values, b[i]!), `output ${i}`).toBeLessThanOrEqual(1e-4);
        });
      });
    });
  });
}

/** y, then the gradients of x, γ, β, weight and bias under a fixed random projection of y. */
function agreementRun(op: typeof fused, shape: [number, number, number, number], relu: boolean, stride: number, seed: number): Float32Array[] {
  const r = new Rng(seed);
  const [n, c, h, w] = shape;
  const x = randn(shape, { rng: r, requiresGrad: true });
  const gamma = uniform([c], 0.5, 1.5, { rng: r, requiresGrad: true }), beta = randn([c], { rng: r, requiresGrad: true });
  const weight = randn([4, c, 3, 3], { rng: r, requiresGrad: true }), bias = randn([4], { rng: r, requiresGrad: true });
  const y = op(x, gamma, beta, weight, bias, relu, stride);
  const projection = randn([n, 4, Math.floor((h - 1) / stride) + 1, Math.floor((w - 1) / stride) + 1], { rng: r });
  F.sum(F.mul(y, projection)).backward();
  return [y, x.grad!, gamma.grad!, beta.grad!, weight.grad!, bias.grad!].map((t) => Float32Array.from(t.f32));
}

// Every native instruction set's fill of the padded layout (stride 1: whole planes per call;
// stride 2: polyphase rows), on sizes around the vector widths, equals the two ops bit for bit.
const native = loadNativeBackend();
const initial = native ? nativeInfo()! : null;
afterAll(() => {
  if (initial) configureNative({ isa: initial.isa, threads: initial.threads });
});
const shapes: [number, number, number, number][] = [[2, 3, 1, 1], [1, 2, 5, 9], [2, 5, 7, 17], [1, 17, 16, 16], [2, 3, 33, 15]];
describe.skipIf(!native).each((native ? [...new Set(['portable' as const, ...nativeInfo()!.supported])] : []).flatMap((isa) => [1, 2].map((threads) => ({ isa, threads }))))(
  'batchNormConv2d on the native $isa path, $threads thread(s)', ({ isa, threads }) => {
    it.each([1, 2])('equals batchNorm(ReLU) then conv2d bit for bit at stride %i, on edge sizes, with and without the ReLU', (stride) => withBackend(native!, () => {
      configureNative({ isa, threads });
      shapes.forEach((shape, k) => {
        for (const relu of [true, false]) {
          const a = agreementRun(fused, shape, relu, stride, 100 + k), b = agreementRun(composition, shape, relu, stride, 100 + k);
          a.forEach((values, i) => expect(values, `${shape.join('×')} relu=${relu} output ${i}`).toEqual(b[i]));
        }
      });
    }));
  },
);

// The wasm backend runs the map per image inside its convolution tasks, with batch norm's own
// kernel: on one thread and on three, the two forms are the same bits too (the last shape is large
// enough to be cut into several tasks, src/backend/wasm/tasks.ts).
const wasmShapes: [number, number, number, number][] = [...shapes, [16, 8, 32, 32]];
const wasmBackends = (): [string, Backend][] => {
  const single = loadWasmBackend();
  const threaded = createThreadedWasmBackend(3);
  return [...(single ? [['1 thread', single] as [string, Backend]] : []), ...('backend' in threaded ? [['3 threads', threaded.backend] as [string, Backend]] : [])];
};
describe.each(wasmBackends())('batchNormConv2d on the wasm backend, %s', (_label, wasm) => {
  it.each([1, 2])('equals batchNorm(ReLU) then conv2d bit for bit at stride %i, on edge sizes, with and without the ReLU', (stride) => withBackend(wasm, () => {
    wasmShapes.forEach((shape, k) => {
      for (const relu of [true, false]) {
        const a = agreementRun(fused, shape, relu, stride, 200 + k), b = agreementRun(composition, shape, relu, stride, 200 + k);
        a.forEach((values, i) => expect(values, `${shape.join('×')} relu=${relu} output ${i}`).toEqual(b[i]));
      }
    });
  }));
});

/** `base` as a backend that fuses batch norm, counting its batch-norm forward and statistics calls into `calls`. */
function counting(base: Backend, calls: Map<string, number>): Backend {
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  return {
    ...base, fusesBatchNorm: true,
    batchNormForward: (...args) => { count('batchNormForward'); base.batchNormForward(...args); },
    batchNormStatistics: (...args) => { count('batchNormStatistics'); base.batchNormStatistics(...args); },
  };
}

describe('convBatchNormTwice', () => {
  const layers = () => {
    const r = new Rng(5);
    return [new Conv2d(3, 4, 3, { padding: 1, bias: false, rng: r }), new BatchNorm2d(4), new Conv2d(4, 4, 3, { padding: 1, bias: false, rng: r }), new BatchNorm2d(4)] as const;
  };

  it('runs the first batch norm as the second convolution\'s input map when gradients flow, and gives the same result', () => {
    const base = backendsUnderTest()[0]!;
    const x = randn([2, 3, 5, 5], { rng: new Rng(6) });
    const calls = new Map<string, number>();
    const [c1, b1, c2, b2] = layers();
    const fusedOut = withBackend(counting(base, calls), () => convBatchNormTwice([c1, b1], [c2, b2], x, { relu: true }));
    expect(calls.get('batchNormStatistics')).toBe(1);
    expect(calls.get('batchNormForward')).toBe(1); // the second batch norm only
    expect(b1.num_batches_tracked!.data[0]).toBe(1);
    const [d1, e1, d2, e2] = layers();
    const plain = withBackend(base, () => F.batchNormRelu(d2.forward(F.batchNormRelu(d1.forward(x), e1.running_mean, e1.running_var, e1.weight, e1.bias, { training: true })), e2.running_mean, e2.running_var, e2.weight, e2.bias, { training: true }));
    expect(maxRelativeError(fusedOut.f32, plain.f32)).toBeLessThanOrEqual(1e-4);
    expect(maxRelativeError(b1.running_var!.f32, e1.running_var!.f32)).toBeLessThanOrEqual(1e-6);
  });

  it('keeps the layers as written while an activation pattern is recorded (each ReLU must be its own op)', () => {
    const calls = new Map<string, number>();
    const [c1, b1, c2, b2] = layers();
    const pattern = withBackend(counting(backendsUnderTest()[0]!, calls), () => recordActivationPattern(() => convBatchNormTwice([c1, b1], [c2, b2], randn([2, 3, 5, 5], { rng: new Rng(8) }), { relu: true })));
    expect(calls.get('batchNormStatistics')).toBeUndefined();
    expect(calls.get('batchNormForward')).toBe(2);
    expect(pattern.size).toBe(2);
  });

  it('keeps the layers as written when a hook watches the first batch norm', () => {
    const calls = new Map<string, number>();
    const [c1, b1, c2, b2] = layers();
    let seen: Tensor | null = null;
    b1.registerForwardHook((_m, _i, out) => { seen = out; });
    withBackend(counting(backendsUnderTest()[0]!, calls), () => convBatchNormTwice([c1, b1], [c2, b2], randn([2, 3, 5, 5], { rng: new Rng(7) })));
    expect(calls.get('batchNormStatistics')).toBeUndefined();
    expect(calls.get('batchNormForward')).toBe(2);
    expect(seen).not.toBeNull();
  });
});

describe('batchNormReluConv', () => {
  const layers = () => [new BatchNorm2d(3), new Conv2d(3, 4, 3, { padding: 1, bias: false, rng: new Rng(9) })] as const;

  it('runs the batch norm as the convolution\'s input map when gradients flow, and as written without them, with the same result', () => {
    const base = backendsUnderTest()[0]!;
    const x = randn([2, 3, 5, 5], { rng: new Rng(10) });
    const fusedCalls = new Map<string, number>();
    const [bn, conv] = layers();
    const fusedOut = withBackend(counting(base, fusedCalls), () => batchNormReluConv(bn, conv, x));
    expect([fusedCalls.get('batchNormStatistics'), fusedCalls.get('batchNormForward')]).toEqual([1, undefined]);
    expect(bn.num_batches_tracked!.data[0]).toBe(1);
    const plainCalls = new Map<string, number>();
    const [bn2, conv2] = layers();
    const plain = withBackend(counting(base, plainCalls), () => noGrad(() => batchNormReluConv(bn2, conv2, x)));
    expect([plainCalls.get('batchNormStatistics'), plainCalls.get('batchNormForward')]).toEqual([undefined, 1]);
    expect(maxRelativeError(fusedOut.f32, plain.f32)).toBeLessThanOrEqual(1e-4);
    expect(maxRelativeError(bn.running_var!.f32, bn2.running_var!.f32)).toBeLessThanOrEqual(1e-6);
  });
});
