import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Conv2dParams, GemmParams, Shape } from '../../src/backend/backend.js';
import { typescriptBackend as ts } from '../../src/backend/ts/index.js';
import { createThreadedWasmBackend } from '../../src/backend/wasm/index.js';
import { threadedKernelsUrl } from '../../src/backend/wasm/loader.js';
import { Rng } from '../../src/tensor/rng.js';
import { maxRelativeError } from '../helpers/backends.js';

/**
 * The multi-threaded wasm backend (worker threads over a shared memory) against the TypeScript
 * reference, on the kernels it splits into tasks: GEMM by rows of C, convolution by images
 * (backward-weight with one partial dw per task), batch norm by channels and by images, average
 * pooling by planes, and the
 * elementwise kernels and optimiser steps by element ranges. Three lanes on purpose, so that
 * batches of 1 and 2 and matrices of fewer than 12 rows leave lanes without work.
 */
const TOLERANCE = 1e-4;
let threaded: Backend;

beforeAll(() => {
  if (!existsSync(threadedKernelsUrl())) {
    execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url))], { stdio: 'pipe' });
  }
  const result = createThreadedWasmBackend(3);
  if (!('backend' in result)) throw new Error(`wasm-threads.test.ts: ${result.reason}`);
  threaded = result.backend;
}, 120_000);

const rng = new Rng(99);
const random = (length: number): Float32Array => Float32Array.from({ length }, () => rng.uniform() * 2 - 1);
const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

function expectSame(what: string, run: (backend: Backend, out: Float32Array) => void, length: number, initial?: Float32Array): void {
  const expected = initial ? initial.slice() : new Float32Array(length).fill(-3);
  const actual = initial ? initial.slice() : new Float32Array(length).fill(-3);
  run(ts, expected);
  run(threaded, actual);
  const error = maxRelativeError(actual, expected);
  expect(error, `${what}: max relative error ${error.toExponential(3)}`).toBeLessThanOrEqual(TOLERANCE);
}

describe('wasm backend on 3 threads', () => {
  it('says how many threads it uses', () => {
    expect(threaded.describe()).toMatch(/3 threads/);
  });

  for (const [batch, m, n, k] of [[1, 97, 65, 67], [2, 5, 300, 200], [1, 256, 128, 64], [3, 41, 7, 1031]] as const) {
    for (const [transA, transB, accumulate] of [[false, false, false], [true, false, true], [false, true, false]] as const) {
      it(`gemm batch ${batch}, ${m}x${k} · ${k}x${n}, transA ${transA}, transB ${transB}, accumulate ${accumulate}`, () => {
        const params: GemmParams = { batch, m, n, k, transA, transB, accumulate, strideA: m * k, strideB: 0, strideC: m * n };
        const a = random(batch * m * k);
        const b = random(k * n);
        expectSame('gemm', (backend, c) => backend.gemm(params, a, b, c), batch * m * n, random(batch * m * n));
      });
    }
  }

  // 16·8·40·40 = 204,800 values: large enough to be cut into several tasks (src/backend/wasm/tasks.ts).
  const bnShape: Shape = [16, 8, 40, 40];
  const bnLength = size(bnShape);
  for (const variant of ['plain', 'relu', 'residual and relu'] as const) {
    it(`batch norm forward and backward, ${variant}, x [${bnShape}]`, () => {
      const x = random(bnLength).map((v) => 3 * v + 0.5);
      const gamma = random(8);
      const beta = random(8);
      const residual = variant === 'residual and relu' ? random(bnLength) : null;
      const p = { training: true, momentum: 0.1, eps: 1e-5, relu: variant !== 'plain' };
      const forward = (b: Backend, out: Float32Array, saved: Float32Array[]) =>
        b.batchNormForward(x, bnShape, gamma, beta, new Float32Array(8), new Float32Array(8).fill(1), p, out, saved[0]!, saved[1]!, residual);
      const saved = [new Float32Array(8), new Float32Array(8)];
      expectSame('batchNormForward', (b, out) => forward(b, out, saved), bnLength);
      const y = new Float32Array(bnLength);
      forward(ts, y, saved);
      const dy = random(bnLength);
      const reluOutput = variant === 'plain' ? null : y;
      expectSame('batchNormBackward dx', (b, dx) => b.batchNormBackward(x, bnShape, dy, gamma, saved[0]!, saved[1]!, true, dx, null, null, reluOutput), bnLength);
      expectSame('batchNormBackward dgamma', (b, dgamma) =>
        b.batchNormBackward(x, bnShape, dy, gamma, saved[0]!, saved[1]!, true, new Float32Array(bnLength), dgamma, null, reluOutput), 8);
    });
  }

  it(`elementwise kernels and optimiser steps over ${bnLength} values`, () => {
    const a = random(bnLength);
    const b = random(bnLength);
    const channelBias = random(8);
    expectSame('unary relu', (backend, out) => backend.unary('relu', a, out), bnLength);
    expectSame('unary tanh', (backend, out) => backend.unary('tanh', a, out), bnLength);
    expectSame('unaryBackward sigmoid', (backend, dx) => backend.unaryBackward('sigmoid', a, b, a, dx), bnLength);
    expectSame('binary add, (N, C, H, W) + (1, C, 1, 1)', (backend, out) => backend.binary('add', a, bnShape, channelBias, [1, 8, 1, 1], out, bnShape), bnLength);
    expectSame('binary mul', (backend, out) => backend.binary('mul', a, bnShape, b, bnShape, out, bnShape), bnLength);
    expectSame('affine', (backend, out) => backend.affine(a, 0.5, -2, out), bnLength);
    expectSame('axpy', (backend, y) => backend.axpy(-0.25, a, y), bnLength, b);
    const adam = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupledWeightDecay: true, step: 3 };
    const m = random(bnLength).map(Math.abs);
    const v = random(bnLength).map(Math.abs);
    expectSame('adamStep', (backend, param) => backend.adamStep(param, a, m.slice(), v.slice(), adam), bnLength, b);
    const sgd = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 1e-4, nesterov: true, firstStep: false };
    expectSame('sgdStep', (backend, param) => backend.sgdStep(param, a, m.slice(), sgd), bnLength, b);
  });

  // Average pooling splits by planes: 16·8 planes of 40×40 make several tasks.
  for (const [kernel, stride, padding, countIncludePad] of [[1, 2, 0, true], [3, 2, 1, false], [2, 2, 0, true]] as const) {
    it(`average pooling forward and backward, x [${bnShape}], kernel ${kernel}, stride ${stride}, padding ${padding}`, () => {
      const p = { kernelSize: [kernel, kernel], stride: [stride, stride], padding: [padding, padding], countIncludePad } as const;
      const out = Math.floor((40 + 2 * padding - kernel) / stride) + 1;
      const yShape: Shape = [16, 8, out, out];
      const x = random(bnLength);
      const dy = random(size(yShape));
      expectSame('avgPool2dForward', (b, y) => b.avgPool2dForward(x, bnShape, p, y, yShape), size(yShape));
      expectSame('avgPool2dBackward', (b, dx) => b.avgPool2dBackward(dy, yShape, p, dx, bnShape), bnLength);
      const adaptiveShape: Shape = [16, 8, 6, 6];
      const dyAdaptive = random(size(adaptiveShape));
      expectSame('adaptiveAvgPool2dForward', (b, y) => b.adaptiveAvgPool2dForward(x, bnShape, y, adaptiveShape), size(adaptiveShape));
      expectSame('adaptiveAvgPool2dBackward', (b, dx) => b.adaptiveAvgPool2dBackward(dyAdaptive, adaptiveShape, dx, bnShape), bnLength);
    });
  }

  const cases: { x: Shape; w: Shape; p: Conv2dParams }[] = [
    { x: [5, 3, 9, 11], w: [4, 3, 3, 3], p: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } },
    { x: [1, 4, 7, 7], w: [6, 2, 3, 3], p: { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 2 } },
    { x: [2, 6, 5, 5], w: [3, 6, 1, 1], p: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } },
    { x: [7, 16, 8, 8], w: [16, 16, 3, 3], p: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } },
  ];
  for (const { x: xShape, w: wShape, p } of cases) {
    const outH = Math.floor((xShape[2]! + 2 * p.padding[0] - p.dilation[0] * (wShape[2]! - 1) - 1) / p.stride[0]) + 1;
    const outW = Math.floor((xShape[3]! + 2 * p.padding[1] - p.dilation[1] * (wShape[3]! - 1) - 1) / p.stride[1]) + 1;
    const yShape = [xShape[0]!, wShape[0]!, outH, outW];
    it(`conv2d forward and both backwards, x [${xShape}], w [${wShape}], stride ${p.stride}, groups ${p.groups}`, () => {
      const x = random(size(xShape));
      const w = random(size(wShape));
      const bias = random(wShape[0]!);
      const dy = random(size(yShape));
      expectSame('conv2dForward', (b, out) => b.conv2dForward(x, xShape, w, wShape, bias, p, out, yShape), size(yShape));
      expectSame('conv2dBackwardInput', (b, dx) => b.conv2dBackwardInput(dy, yShape, w, wShape, p, dx, xShape), size(xShape));
      expectSame('conv2dBackwardWeight', (b, dw) => b.conv2dBackwardWeight(x, xShape, dy, yShape, p, dw, wShape), size(wShape));
    });
  }
});
