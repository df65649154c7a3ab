import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Conv2dParams, GemmParams, Shape, UnaryOp } from '../../src/backend/backend.js';
import { configureNative, loadNativeBackend, nativeInfo, type NativeIsa } from '../../src/backend/native/index.js';
import { typescriptBackend as ts } from '../../src/backend/ts/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { maxRelativeError, requireBackendInCi } from '../helpers/backends.js';

/**
 * Every native kernel against the TypeScript reference on seeded random inputs whose sizes
 * include 1, odd, prime and non-multiple-of-16 numbers (partial register tiles, cache-block
 * edges, SIMD tails), on the portable path and the CPU's best path, at 1 and 2 threads.
 * Agreement is max |a − b| / max(1, |b|) ≤ 1e-4. Skipped when the addon is not built, except in
 * CI, which builds it in `npm ci` and fails here when that build failed.
 */
const native = loadNativeBackend();
requireBackendInCi('native', native !== null);
const TOLERANCE = 1e-4;
const SENTINEL = 777.25;
const root = fileURLToPath(new URL('../..', import.meta.url));

const rng = new Rng(5);
const random = (length: number, scale = 1, offset = 0): Float32Array => {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = (rng.uniform() * 2 - 1) * scale + offset;
  return a;
};
const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const error = maxRelativeError(actual, expected);
  expect(error, `${what}: max relative error ${error.toExponential(3)}`).toBeLessThanOrEqual(TOLERANCE);
}

/** Run `call` on both backends with fresh sentinel-filled outputs; compare every output. */
function compare(what: string, outputs: readonly number[], call: (backend: Backend, outs: Float32Array[]) => void): void {
  const expected = outputs.map((n) => new Float32Array(n).fill(SENTINEL));
  const actual = outputs.map((n) => new Float32Array(n).fill(SENTINEL));
  call(ts, expected);
  call(native!, actual);
  actual.forEach((a, i) => expectClose(a, expected[i]!, `${what} output ${i}`));
}

/** Run `call` on both backends over copies of `arrays` updated in place; compare them all. */
function compareInPlace(what: string, arrays: readonly Float32Array[], call: (backend: Backend, arrays: Float32Array[]) => void): void {
  const expected = arrays.map((a) => a.slice());
  const actual = arrays.map((a) => a.slice());
  call(ts, expected);
  call(native!, actual);
  actual.forEach((a, i) => expectClose(a, expected[i]!, `${what} array ${i}`));
}

const supported: NativeIsa[] = native ? nativeInfo()!.supported : [];
const best = supported[supported.length - 1] ?? 'portable';
const isas: NativeIsa[] = [...new Set<NativeIsa>(['portable', ...(supported.includes('avx2') ? ['avx2' as const] : []), best])];
const configurations = isas.flatMap((isa) => [1, 2].map((threads) => ({ isa, threads })));
const initial = native ? nativeInfo()! : null;

afterAll(() => {
  if (initial) configureNative({ isa: initial.isa, threads: initial.threads });
});

describe.skipIf(!native).each(configurations)('native backend, $isa path, $threads thread(s)', ({ isa, threads }) => {
  beforeAll(() => {
    const info = configureNative({ isa, threads });
    expect(info).toEqual(expect.objectContaining({ isa, threads }));
  });

  it('gemm: every transpose, broadcast batches, accumulate, sizes across tile and block (kc, mc, nc) edges', () => {
    const shapes: [number, number, number][] = [[1, 1, 1], [1, 17, 3], [13, 1, 7], [17, 33, 5], [37, 65, 129], [197, 67, 517], [12, 32, 256], [97, 130, 1], [29, 1061, 263]];
    for (const [m, n, k] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const batch = m * n * k > 100_000 ? 1 : 3;
          const p: GemmParams = { batch, m, n, k, transA, transB, strideA: m * k, strideB: 0, strideC: m * n, accumulate: false };
          const a = random(batch * m * k), b = random(k * n);
          compare(`gemm ${m}x${n}x${k} tA=${transA} tB=${transB}`, [batch * m * n], (be, [c]) => be.gemm(p, a, b, c!));
          const c0 = random(batch * m * n);
          compareInPlace(`gemm accumulate ${m}x${n}x${k}`, [c0], (be, [c]) => be.gemm({ ...p, accumulate: true }, a, b, c!));
        }
      }
    }
  });

  it('conv2d forward, backward-input and backward-weight: stride, padding, dilation, groups, 1×1, bias', () => {
    // [N, C, H, W, O, KH, KW, stride, padding, dilation, groups]
    const cases: [number, number, number, number, number, number, number, [number, number], [number, number], [number, number], number][] = [
      [1, 1, 1, 1, 1, 1, 1, [1, 1], [0, 0], [1, 1], 1],
      [2, 3, 7, 5, 4, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [3, 4, 9, 11, 6, 3, 3, [2, 2], [1, 1], [1, 1], 2],
      [2, 6, 8, 8, 6, 3, 3, [1, 1], [2, 2], [2, 2], 3],
      [2, 16, 8, 8, 17, 1, 1, [1, 1], [0, 0], [1, 1], 1],
      [3, 16, 8, 8, 32, 1, 1, [2, 2], [0, 0], [1, 1], 1],
      [5, 13, 6, 7, 19, 5, 3, [2, 1], [2, 1], [1, 1], 1],
      [4, 16, 16, 16, 16, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [1, 8, 13, 13, 23, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      // The direct kernels (native/src/conv-direct.cc): polyphase stride, dilation, padding
      // past K − 1, 2×2 stride 2 (a U-Net up-convolution's adjoint), row and channel tails,
      // and enough images for the weight gradient to run in several chunks.
      [3, 5, 9, 11, 7, 3, 3, [2, 2], [1, 1], [1, 1], 1],
      [2, 4, 10, 9, 6, 3, 3, [1, 1], [2, 2], [2, 2], 1],
      [2, 6, 8, 8, 5, 2, 2, [2, 2], [0, 0], [1, 1], 1],
      [2, 3, 11, 11, 4, 7, 7, [3, 3], [3, 3], [1, 1], 1],
      [2, 3, 5, 5, 4, 3, 3, [1, 1], [3, 3], [1, 1], 1],
      [2, 7, 6, 5, 9, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [2, 5, 7, 9, 6, 3, 5, [1, 1], [2, 1], [1, 1], 1],
      [2, 7, 9, 8, 3, 1, 3, [1, 2], [0, 1], [1, 1], 1],
      [30, 128, 10, 10, 8, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      // Small planes with 2–4 vectors of output channels: the channel-vector weight gradient.
      [3, 5, 7, 9, 32, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [2, 4, 12, 11, 48, 3, 3, [2, 2], [1, 1], [1, 1], 1],
      [2, 3, 5, 5, 24, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [2, 7, 8, 8, 64, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [3, 6, 4, 5, 80, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [2, 5, 4, 4, 128, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      // Stores into NCHW without masked stores on AVX2 (a permuted run per pixel vector, stored
      // whole where the surplus lands on later pixels of the same plane): the quick degradation
      // tier's 28 × 28 layers, one image (its output channels split between threads), and planes
      // so narrow that a vector spans several rows and no store of it may run on.
      [2, 8, 28, 28, 8, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [1, 8, 28, 28, 8, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [3, 16, 14, 14, 16, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [3, 4, 5, 2, 6, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [2, 3, 1, 3, 5, 1, 3, [1, 1], [0, 1], [1, 1], 1],
      // About 8 × 8 with at least four channel vectors: the channel-vector forward (and input gradient).
      [3, 9, 7, 9, 64, 3, 3, [1, 1], [1, 1], [1, 1], 1],
      [2, 64, 8, 8, 80, 3, 3, [1, 1], [1, 1], [1, 1], 1],
    ];
    for (const [n, c, h, w, o, kh, kw, stride, padding, dilation, groups] of cases) {
      const p: Conv2dParams = { stride, padding, dilation, groups };
      const oh = Math.floor((h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
      const ow = Math.floor((w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
      const xShape = [n, c, h, w], wShape = [o, c / groups, kh, kw], yShape = [n, o, oh, ow];
      const x = random(size(xShape)), weight = random(size(wShape)), bias = random(o), dy = random(size(yShape));
      const what = `conv ${xShape} w ${wShape} s${stride} p${padding} d${dilation} g${groups}`;
      for (const b of [null, bias]) {
        compare(`${what} forward bias=${b !== null}`, [size(yShape)], (be, [out]) => be.conv2dForward(x, xShape, weight, wShape, b, p, out!, yShape));
      }
      compare(`${what} backward input`, [size(xShape)], (be, [dx]) => be.conv2dBackwardInput(dy, yShape, weight, wShape, p, dx!, xShape));
      compare(`${what} backward weight`, [size(wShape)], (be, [dw]) => be.conv2dBackwardWeight(x, xShape, dy, yShape, p, dw!, wShape));
    }
  });

  it('pooling: max (argmax too) with padding and dilation, average with and without padding counted, adaptive', () => {
    const maxCases = [
      { xShape: [2, 3, 9, 7], kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1] },
      { xShape: [1, 1, 1, 1], kernelSize: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1] },
      { xShape: [3, 2, 11, 13], kernelSize: [2, 3], stride: [2, 1], padding: [1, 1], dilation: [2, 2] },
      // Unpadded windows inside the input take the fast path; odd sizes leave a row and a column out.
      { xShape: [2, 3, 9, 7], kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] },
      { xShape: [1, 2, 8, 10], kernelSize: [3, 2], stride: [1, 3], padding: [0, 0], dilation: [1, 1] },
    ] as const;
    for (const { xShape, ...p } of maxCases) {
      const oh = Math.floor((xShape[2] + 2 * p.padding[0] - p.dilation[0] * (p.kernelSize[0] - 1) - 1) / p.stride[0]) + 1;
      const ow = Math.floor((xShape[3] + 2 * p.padding[1] - p.dilation[1] * (p.kernelSize[1] - 1) - 1) / p.stride[1]) + 1;
      const outShape = [xShape[0], xShape[1], oh, ow];
      const x = random(size(xShape));
      // Ties must pick the same element as the reference: the first maximum in scan order.
      for (let i = 0; i < x.length; i += 7) x[i] = x[i + 1] ?? x[i]!;
      const argTs = new Int32Array(size(outShape)), argNative = new Int32Array(size(outShape));
      compare(`maxPool ${xShape}`, [size(outShape)], (be, [out]) => be.maxPool2dForward(x, xShape, p, out!, outShape, be === ts ? argTs : argNative));
      expect(Array.from(argNative)).toEqual(Array.from(argTs));
      // A NaN wins its window, and of two NaNs the reference keeps the later one.
      const withNaN = x.slice();
      withNaN[5] = Number.NaN;
      withNaN[6] = Number.NaN;
      withNaN[withNaN.length - 3] = Number.NaN;
      const out = new Float32Array(size(outShape));
      ts.maxPool2dForward(withNaN, xShape, p, out, outShape, argTs);
      native!.maxPool2dForward(withNaN, xShape, p, out, outShape, argNative);
      expect(Array.from(argNative)).toEqual(Array.from(argTs));
      const dy = random(size(outShape));
      compare(`maxPool backward ${xShape}`, [size(xShape)], (be, [dx]) => be.maxPool2dBackward(dy, argTs, dx!));
    }
    for (const countIncludePad of [false, true]) {
      const xShape = [2, 3, 10, 7];
      const p = { kernelSize: [3, 2], stride: [2, 2], padding: [1, 1], countIncludePad } as const;
      const outShape = [2, 3, Math.floor((10 + 2 - 3) / 2) + 1, Math.floor((7 + 2 - 2) / 2) + 1];
      const x = random(size(xShape)), dy = random(size(outShape));
      compare(`avgPool include=${countIncludePad}`, [size(outShape)], (be, [out]) => be.avgPool2dForward(x, xShape, p, out!, outShape));
      compare(`avgPool backward include=${countIncludePad}`, [size(xShape)], (be, [dx]) => be.avgPool2dBackward(dy, outShape, p, dx!, xShape));
    }
    // Unpadded (the fast path): ResNet's option-A subsampling (1×1, stride 2) and a 3×3 / stride-3 window.
    for (const [xShape, k, st] of [[[2, 4, 9, 8], 1, 2], [[3, 2, 10, 11], 3, 3]] as const) {
      const p = { kernelSize: [k, k], stride: [st, st], padding: [0, 0], countIncludePad: true } as const;
      const outShape = [xShape[0], xShape[1], Math.floor((xShape[2] - k) / st) + 1, Math.floor((xShape[3] - k) / st) + 1];
      const x = random(size(xShape)), dy = random(size(outShape));
      compare(`avgPool ${xShape} k${k} s${st}`, [size(outShape)], (be, [out]) => be.avgPool2dForward(x, xShape, p, out!, outShape));
      compare(`avgPool backward ${xShape} k${k} s${st}`, [size(xShape)], (be, [dx]) => be.avgPool2dBackward(dy, outShape, p, dx!, xShape));
    }
    for (const [xShape, outShape] of [[[2, 3, 7, 5], [2, 3, 3, 2]], [[4, 17, 8, 8], [4, 17, 1, 1]], [[1, 2, 5, 11], [1, 2, 5, 4]]] as const) {
      const x = random(size(xShape)), dy = random(size(outShape));
      compare(`adaptiveAvgPool ${xShape}->${outShape}`, [size(outShape)], (be, [out]) => be.adaptiveAvgPool2dForward(x, xShape, out!, outShape));
      compare(`adaptiveAvgPool backward ${xShape}`, [size(xShape)], (be, [dx]) => be.adaptiveAvgPool2dBackward(dy, outShape, dx!, xShape));
    }
  });

  it('batch norm (training with running statistics, eval, no affine) and layer norm', () => {
    for (const xShape of [[4, 3, 5, 7], [2, 17], [3, 16, 8, 8], [1, 5, 3, 1]]) {
      const c = xShape[1]!;
      const x = random(size(xShape), 2, 0.5), dy = random(size(xShape));
      const gamma = random(c, 1, 1), beta = random(c);
      for (const training of [true, false]) {
        for (const affine of [true, false]) {
          const g = affine ? gamma : null, b = affine ? beta : null;
          const running = [random(c, 0.5), random(c, 0.5, 1.5)];
          const p = { training, momentum: 0.1, eps: 1e-5 };
          const what = `batchNorm ${xShape} training=${training} affine=${affine}`;
          compareInPlace(`${what} running statistics`, running, (be, [rm, rv]) => {
            const scratch = [new Float32Array(size(xShape)), new Float32Array(c), new Float32Array(c)];
            be.batchNormForward(x, xShape, g, b, rm!, rv!, p, scratch[0]!, scratch[1]!, scratch[2]!);
          });
          compare(`${what} forward`, [size(xShape), c, c], (be, [out, mean, invStd]) =>
            be.batchNormForward(x, xShape, g, b, running[0]!.slice(), running[1]!.slice(), p, out!, mean!, invStd!));
          const mean = new Float32Array(c), invStd = new Float32Array(c);
          ts.batchNormForward(x, xShape, g, b, running[0]!.slice(), running[1]!.slice(), p, new Float32Array(size(xShape)), mean, invStd);
          compare(`${what} backward`, [size(xShape), c, c], (be, [dx, dg, db]) =>
            be.batchNormBackward(x, xShape, dy, g, mean, invStd, training, dx!, affine ? dg! : null, affine ? db! : null));
        }
      }
    }
    for (const [rows, cols] of [[1, 1], [7, 33], [5, 130], [64, 17]] as const) {
      const x = random(rows * cols, 2, 0.3), dy = random(rows * cols), gamma = random(cols, 1, 1), beta = random(cols);
      compare(`layerNorm ${rows}x${cols}`, [rows * cols, rows, rows], (be, [out, m, s]) => be.layerNormForward(x, rows, cols, gamma, beta, 1e-5, out!, m!, s!));
      const mean = new Float32Array(rows), invStd = new Float32Array(rows);
      ts.layerNormForward(x, rows, cols, gamma, beta, 1e-5, new Float32Array(rows * cols), mean, invStd);
      compare(`layerNorm backward ${rows}x${cols}`, [rows * cols, cols, cols], (be, [dx, dg, db]) =>
        be.layerNormBackward(x, rows, cols, dy, gamma, mean, invStd, dx!, dg!, db!));
    }
  });

  it('elementwise: every unary op and its gradient, broadcast binaries, affine, axpy', () => {
    const ops: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'abs', 'square', 'reciprocal', 'relu', 'gelu', 'sigmoid', 'tanh'];
    for (const length of [1, 17, 1001, 70_001]) {
      for (const op of ops) {
        const positive = op === 'log' || op === 'sqrt' || op === 'reciprocal';
        const x = positive ? random(length, 0.9, 1.1) : random(length, 3);
        const y = new Float32Array(length);
        ts.unary(op, x, y);
        const dy = random(length);
        compare(`unary ${op} n=${length}`, [length], (be, [out]) => be.unary(op, x, out!));
        compare(`unaryBackward ${op} n=${length}`, [length], (be, [dx]) => be.unaryBackward(op, x, y, dy, dx!));
      }
      const x = random(length), target = random(length);
      compare(`affine n=${length}`, [length], (be, [out]) => be.affine(x, -1.5, 0.25, out!));
      compareInPlace(`axpy n=${length}`, [target], (be, [yArr]) => be.axpy(0.75, x, yArr!));
    }
    const pairs: [Shape, Shape][] = [[[2, 3, 4, 5], [1, 3, 1, 1]], [[7], [1]], [[1], [13]], [[3, 1, 5], [4, 1]], [[2, 3, 4, 5], [2, 3, 4, 5]], [[64, 17, 9, 9], [17, 1, 1]], [[], []]];
    for (const [aShape, bShape] of pairs) {
      const rank = Math.max(aShape.length, bShape.length);
      const outShape = Array.from({ length: rank }, (_, i) => {
        const a = aShape[aShape.length - rank + i] ?? 1, b = bShape[bShape.length - rank + i] ?? 1;
        return Math.max(a, b);
      });
      const a = random(size(aShape)), b = random(size(bShape), 1, 1.5);
      for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
        compare(`binary ${op} [${aShape}] [${bShape}]`, [size(outShape)], (be, [out]) => be.binary(op, a, aShape, b, bShape, out!, outShape));
      }
    }
  });

  it('reductions, max-reduction gradient, permute, copyRegion, gather and scatter rows', () => {
    const xShape = [3, 5, 4, 7];
    const x = random(size(xShape));
    for (const axes of [[1], [0, 2, 3], [3], [0, 1, 2, 3], [1, 2], [0], [0, 2]]) {
      const outShape = xShape.map((d, i) => (axes.includes(i) ? 1 : d));
      for (const op of ['sum', 'mean', 'max'] as const) {
        compare(`reduce ${op} axes ${axes}`, [size(outShape)], (be, [out]) => be.reduce(op, x, xShape, axes, out!));
      }
      const dy = random(size(outShape));
      compare(`reduceMaxBackward axes ${axes}`, [size(xShape)], (be, [dx]) => be.reduceMaxBackward(x, xShape, axes, dy, dx!));
    }
    for (const perm of [[0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 2, 3], [0, 1, 2, 3]]) {
      compare(`permute ${perm}`, [size(xShape)], (be, [out]) => be.permute(x, xShape, perm, out!));
    }
    const dst = random(size([4, 6, 9]));
    for (const accumulate of [false, true]) {
      compareInPlace(`copyRegion accumulate=${accumulate}`, [dst], (be, [d]) =>
        be.copyRegion(x, xShape.slice(1), [1, 0, 2], d!, [4, 6, 9], [1, 1, 3], [3, 4, 5], accumulate));
      // A channel concatenation and its gradient: whole trailing dimensions copy as one run.
      const part = random(size([2, 3, 4, 5])), whole = random(size([2, 7, 4, 5]));
      compareInPlace(`copyRegion into channels 2..4, accumulate=${accumulate}`, [whole], (be, [d]) =>
        be.copyRegion(part, [2, 3, 4, 5], [0, 0, 0, 0], d!, [2, 7, 4, 5], [0, 2, 0, 0], [2, 3, 4, 5], accumulate));
      compareInPlace(`copyRegion out of channels 4..6, accumulate=${accumulate}`, [part], (be, [d]) =>
        be.copyRegion(whole, [2, 7, 4, 5], [0, 4, 0, 0], d!, [2, 3, 4, 5], [0, 0, 0, 0], [2, 3, 4, 5], accumulate));
      compareInPlace(`copyRegion whole array, accumulate=${accumulate}`, [part], (be, [d]) =>
        be.copyRegion(whole.subarray(0, 120), [2, 3, 4, 5], [0, 0, 0, 0], d!, [2, 3, 4, 5], [0, 0, 0, 0], [2, 3, 4, 5], accumulate));
    }
    const table = random(11 * 6);
    const indices = Int32Array.from([3, 0, 10, 3, 7]);
    compare('gatherRows', [5 * 6], (be, [out]) => be.gatherRows(table, 6, indices, out!));
    const rows = random(5 * 6);
    compareInPlace('scatterAddRows', [table], (be, [t]) => be.scatterAddRows(rows, 6, indices, t!));
  });

  it('softmax, log-softmax, fused softmax-cross-entropy with smoothing and ignored rows, dropout, SGD, Adam', () => {
    for (const [outer, axis, inner] of [[1, 1, 1], [3, 10, 1], [2, 7, 5], [64, 10, 1]] as const) {
      const x = random(outer * axis * inner, 4), dy = random(outer * axis * inner);
      for (const log of [false, true]) {
        const y = new Float32Array(x.length);
        ts.softmaxForward(x, outer, axis, inner, log, y);
        compare(`softmax ${outer},${axis},${inner} log=${log}`, [x.length], (be, [out]) => be.softmaxForward(x, outer, axis, inner, log, out!));
        compare(`softmaxBackward log=${log}`, [x.length], (be, [dx]) => be.softmaxBackward(y, dy, outer, axis, inner, log, dx!));
      }
    }
    const rows = 9, classes = 7;
    const logits = random(rows * classes, 5), labels = Int32Array.from([0, 6, 3, -1, 2, 2, 5, 1, 4]);
    for (const smoothing of [0, 0.1]) {
      compare(`cross-entropy smoothing=${smoothing}`, [rows, rows * classes], (be, [losses, probs]) =>
        be.softmaxCrossEntropyForward(logits, rows, classes, labels, smoothing, losses!, probs!));
      const probs = new Float32Array(rows * classes);
      ts.softmaxCrossEntropyForward(logits, rows, classes, labels, smoothing, new Float32Array(rows), probs);
      const dLosses = random(rows);
      compare(`cross-entropy backward smoothing=${smoothing}`, [rows * classes], (be, [dl]) =>
        be.softmaxCrossEntropyBackward(probs, rows, classes, labels, smoothing, dLosses, dl!));
    }
    const x = random(100_003);
    const outs = [new Float32Array(x.length), new Float32Array(x.length), new Float32Array(x.length), new Float32Array(x.length)];
    ts.dropoutForward(x, 0.3, 12345, outs[0]!, outs[1]!);
    native!.dropoutForward(x, 0.3, 12345, outs[2]!, outs[3]!);
    expect(outs[3]).toEqual(outs[1]); // the same counter-based mask, bit for bit
    expect(outs[2]).toEqual(outs[0]);
    const n = 1037;
    const param = random(n), grad = random(n), buffer = random(n), m = random(n, 0.1), v = random(n, 0.01, 0.02);
    for (const nesterov of [false, true]) {
      for (const firstStep of [false, true]) {
        const p = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov, firstStep };
        compareInPlace(`sgd nesterov=${nesterov} first=${firstStep}`, [param, buffer], (be, [w, b]) => be.sgdStep(w!, grad, b!, p));
      }
    }
    compareInPlace('sgd without momentum', [param], (be, [w]) =>
      be.sgdStep(w!, grad, null, { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: false }));
    for (const decoupledWeightDecay of [false, true]) {
      const p = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupledWeightDecay, step: 3 };
      compareInPlace(`adam decoupled=${decoupledWeightDecay}`, [param, m, v], (be, [w, mm, vv]) => be.adamStep(w!, grad, mm!, vv!, p));
    }
  });
});

describe.skipIf(!native)('native backend determinism and selection', () => {
  it('gives bit-identical results run to run, and the same GEMM and convolution at 1 and 2 threads', () => {
    const p: Conv2dParams = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
    // A 12×12 plane with 24 outputs (pixel-vector weight gradient) and an 8×8 one with 32 (channel-vector).
    for (const [xShape, wShape, yShape] of [[[8, 16, 12, 12], [24, 16, 3, 3], [8, 24, 12, 12]], [[6, 8, 8, 8], [32, 8, 3, 3], [6, 32, 8, 8]]]) {
      const x = random(size(xShape!)), weight = random(size(wShape!)), dy = random(size(yShape!));
      const run = (threads: number): Float32Array[] => {
        configureNative({ threads });
        const out = new Float32Array(size(yShape!)), dx = new Float32Array(size(xShape!)), dw = new Float32Array(size(wShape!));
        native!.conv2dForward(x, xShape!, weight, wShape!, null, p, out, yShape!);
        native!.conv2dBackwardInput(dy, yShape!, weight, wShape!, p, dx, xShape!);
        native!.conv2dBackwardWeight(x, xShape!, dy, yShape!, p, dw, wShape!);
        return [out, dx, dw];
      };
      const first = run(2), second = run(2), single = run(1);
      first.forEach((a, i) => expect(second[i]).toEqual(a));
      // Forward and input gradient split only over outputs: independent of the thread count.
      expect(single[0]).toEqual(first[0]);
      expect(single[1]).toEqual(first[1]);
      if (nativeInfo()!.isa === 'portable') {
        // The im2col weight gradient sums per-thread partials: it may differ in the last bits across thread counts.
        expectClose(single[2]!, first[2]!, 'weight gradient 1 vs 2 threads');
      } else {
        // The direct kernels split the weight gradient over its rows: same sums at any thread count.
        expect(single[2]).toEqual(first[2]);
      }
    }
    configureNative({ threads: initial!.threads });
  });

  it('honours SKIPLAB_NATIVE_ISA and SKIPLAB_THREADS in a fresh process', () => {
    const script = "import { nativeInfo } from './src/backend/native/index.ts'; console.log(JSON.stringify(nativeInfo()));";
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, SKIPLAB_NATIVE_ISA: 'portable', SKIPLAB_THREADS: '3' },
      encoding: 'utf8',
    });
    expect(JSON.parse(output.trim())).toEqual(expect.objectContaining({ isa: 'portable', threads: 3 }));
  });

  it('rejects a too-short output buffer with an error naming the kernel', () => {
    const p: GemmParams = { batch: 1, m: 4, n: 4, k: 4, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false };
    expect(() => native!.gemm(p, new Float32Array(16), new Float32Array(16), new Float32Array(15))).toThrow(/native gemm: c/);
  });
});
