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
 * reference, on the kernels it splits between threads: GEMM by rows of C, convolution by
 * images (backward-weight with one partial dw per thread). Three lanes on purpose, so that batches
 * of 1 and 2 and matrices of fewer than 12 rows leave lanes without work.
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
