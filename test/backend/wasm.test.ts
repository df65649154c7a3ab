import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AvgPool2dParams, Backend, Conv2dParams, GemmParams, MaxPool2dParams, Shape, UnaryOp } from '../../src/backend/backend.js';
import { typescriptBackend as ts } from '../../src/backend/ts/index.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';
import { defaultKernelsUrl } from '../../src/backend/wasm/loader.js';
import { Rng } from '../../src/tensor/rng.js';
import { maxRelativeError } from '../helpers/backends.js';

/**
 * Every wasm kernel against the TypeScript reference (which defines the semantics) on seeded
 * random inputs whose sizes include 1, odd and prime numbers, so SIMD tails, partial GEMM tiles
 * and edge windows are all exercised. Agreement is max |a − b| / max(1, |b|) ≤ 1e-4.
 */
const TOLERANCE = 1e-4;
const SENTINEL = 777.25;

let wasm: Backend;

beforeAll(() => {
  // kernels.wasm is a build product (npm run build:wasm, part of npm run build / npm ci).
  if (!existsSync(defaultKernelsUrl())) {
    execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url))], { stdio: 'pipe' });
  }
  const backend = loadWasmBackend();
  if (!backend) throw new Error('wasm.test.ts: the wasm backend did not load (see wasmUnavailableReason())');
  wasm = backend;
}, 120_000);

const rng = new Rng(20240611);
const random = (length: number, scale = 1): Float32Array => {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = (rng.uniform() * 2 - 1) * scale;
  return a;
};
const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);
const filled = (length: number): Float32Array => new Float32Array(length).fill(SENTINEL);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const error = maxRelativeError(actual, expected);
  expect(error, `${what}: max relative error ${error.toExponential(3)}`).toBeLessThanOrEqual(TOLERANCE);
}

/** Run `call` on both backends with fresh sentinel-filled outputs; compare every output. */
function compare(what: string, outputs: readonly number[], call: (backend: Backend, outs: Float32Array[]) => void): void {
  const expected = outputs.map(filled);
  const actual = outputs.map(filled);
  call(ts, expected);
  call(wasm, actual);
  actual.forEach((a, i) => expectClose(a, expected[i]!, `${what} output ${i}`));
}

/** Run `call` on both backends over copies of `arrays` (updated in place); compare every array. */
function compareInPlace(what: string, arrays: readonly Float32Array[], call: (backend: Backend, arrays: Float32Array[]) => void): void {
  const expected = arrays.map((a) => a.slice());
  const actual = arrays.map((a) => a.slice());
  call(ts, expected);
  call(wasm, actual);
  actual.forEach((a, i) => expectClose(a, expected[i]!, `${what} array ${i}`));
}

describe('wasm backend', () => {
  it('describes itself and allocates zeroed float32 arrays', () => {
    expect(wasm.name).toBe('wasm');
    expect(wasm.describe()).toMatch(/SIMD128/);
    const a = wasm.alloc(7);
    expect(a).toBeInstanceOf(Float32Array);
    expect([...a]).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  describe('gemm', () => {
    const cases: [number, number, number, number][] = [
      [1, 1, 1, 1], [1, 7, 5, 3], [2, 13, 17, 11], [1, 64, 64, 64], [3, 5, 1, 9], [1, 131, 37, 263], [1, 4, 8, 300], [2, 1, 29, 1],
      // m ≤ 16 with B read in place: more than NC = 2048 columns, ragged last panel, k > KC = 256.
      [1, 8, 2100, 5], [2, 3, 45, 260], [1, 16, 16, 7], [1, 17, 9, 4],
    ];
    for (const [batch, m, n, k] of cases) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const accumulate of [false, true]) {
            it(`batch ${batch}, ${m}x${k} · ${k}x${n}, transA ${transA}, transB ${transB}, accumulate ${accumulate}`, () => {
              const params: GemmParams = {
                batch, m, n, k, transA, transB, accumulate,
                strideA: m * k, strideB: batch > 1 && k % 2 === 1 ? 0 : k * n, strideC: m * n,
              };
              const a = random(batch * m * k);
              const b = random(batch * k * n);
              compareInPlace('gemm', [random(batch * m * n)], (backend, [c]) => backend.gemm(params, a, b, c!));
            });
          }
        }
      }
    }

    it('leaves the gaps between strided C blocks alone', () => {
      const params: GemmParams = { batch: 2, m: 3, n: 5, k: 4, transA: false, transB: false, strideA: 12, strideB: 20, strideC: 20, accumulate: false };
      const a = random(24);
      const b = random(40);
      const c = filled(40);
      const expected = filled(40);
      wasm.gemm(params, a, b, c);
      ts.gemm(params, a, b, expected);
      expectClose(c, expected, 'strided gemm');
      expect(c[15]).toBe(SENTINEL);
    });
  });

  describe('conv2d', () => {
    const cases: { x: Shape; w: Shape; p: Conv2dParams }[] = [
      { x: [2, 3, 7, 5], w: [4, 3, 3, 3], p: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } },
      { x: [1, 16, 8, 8], w: [16, 16, 3, 3], p: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } },
      { x: [2, 4, 12, 19], w: [5, 4, 3, 3], p: { stride: [1, 1], padding: [1, 2], dilation: [1, 1], groups: 1 } },
      { x: [3, 4, 11, 13], w: [6, 2, 3, 2], p: { stride: [2, 3], padding: [1, 0], dilation: [1, 2], groups: 2 } },
      { x: [2, 5, 9, 9], w: [7, 5, 1, 1], p: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } },
      { x: [2, 6, 9, 7], w: [3, 6, 1, 1], p: { stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 1 } },
      { x: [1, 1, 1, 1], w: [1, 1, 1, 1], p: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } },
      { x: [2, 3, 5, 5], w: [3, 1, 5, 5], p: { stride: [1, 1], padding: [2, 2], dilation: [1, 1], groups: 3 } },
      // Stride 1, rows as wide as the input's (im2col's shifted-run path): dilated, a kernel taller
      // than the image, a one-row kernel, padding that leaves rows narrower than the kernel.
      { x: [2, 3, 6, 9], w: [4, 3, 3, 3], p: { stride: [1, 1], padding: [2, 2], dilation: [2, 2], groups: 1 } },
      { x: [1, 2, 3, 4], w: [3, 2, 5, 5], p: { stride: [1, 1], padding: [2, 2], dilation: [1, 1], groups: 1 } },
      { x: [2, 2, 5, 6], w: [3, 2, 1, 3], p: { stride: [1, 1], padding: [0, 1], dilation: [1, 1], groups: 1 } },
      { x: [1, 2, 4, 2], w: [2, 2, 3, 5], p: { stride: [1, 1], padding: [1, 2], dilation: [1, 1], groups: 1 } },
    ];
    for (const { x: xShape, w: wShape, p } of cases) {
      const outH = Math.floor((xShape[2]! + 2 * p.padding[0] - p.dilation[0] * (wShape[2]! - 1) - 1) / p.stride[0]) + 1;
      const outW = Math.floor((xShape[3]! + 2 * p.padding[1] - p.dilation[1] * (wShape[3]! - 1) - 1) / p.stride[1]) + 1;
      const yShape = [xShape[0]!, wShape[0]!, outH, outW];
      const label = `x ${xShape.join('x')}, w ${wShape.join('x')}, stride ${p.stride}, pad ${p.padding}, dilation ${p.dilation}, groups ${p.groups}`;
      const x = random(size(xShape));
      const w = random(size(wShape));
      const bias = random(wShape[0]!);
      const dy = random(size(yShape));
      it(`forward, ${label}`, () => {
        compare('conv2dForward', [size(yShape)], (b, [out]) => b.conv2dForward(x, xShape, w, wShape, bias, p, out!, yShape));
        compare('conv2dForward without bias', [size(yShape)], (b, [out]) => b.conv2dForward(x, xShape, w, wShape, null, p, out!, yShape));
      });
      it(`backward input, ${label}`, () => {
        compare('conv2dBackwardInput', [size(xShape)], (b, [dx]) => b.conv2dBackwardInput(dy, yShape, w, wShape, p, dx!, xShape));
      });
      it(`backward weight, ${label}`, () => {
        compare('conv2dBackwardWeight', [size(wShape)], (b, [dw]) => b.conv2dBackwardWeight(x, xShape, dy, yShape, p, dw!, wShape));
      });
    }
  });

  describe('elementwise', () => {
    const ops: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'abs', 'square', 'reciprocal', 'relu', 'gelu', 'sigmoid', 'tanh'];
    for (const op of ops) {
      for (const n of [1, 3, 4, 37, 1031]) {
        it(`unary ${op} and its backward, ${n} elements`, () => {
          // Positive inputs where the function needs them; a wide range elsewhere to reach the tails.
          const positive = op === 'log' || op === 'sqrt' || op === 'reciprocal';
          const x = positive ? random(n).map((v) => 0.05 + Math.abs(v) * 4) : random(n, 12);
          const y = new Float32Array(n);
          ts.unary(op, x, y);
          const dy = random(n);
          compare(`unary ${op}`, [n], (b, [out]) => b.unary(op, x, out!));
          compare(`unaryBackward ${op}`, [n], (b, [dx]) => b.unaryBackward(op, x, y, dy, dx!));
        });
      }
    }

    const shapes: [Shape, Shape, Shape][] = [
      [[1031], [1031], [1031]], [[5, 7], [1], [5, 7]], [[1], [3, 11], [3, 11]], [[2, 3, 5, 7], [1, 3, 1, 1], [2, 3, 5, 7]],
      [[4, 1, 6], [5, 1], [4, 5, 6]], [[13, 1], [1, 17], [13, 17]], [[2, 3, 1, 5, 1, 7], [3, 2, 5, 3, 1], [2, 3, 2, 5, 3, 7]], [[], [], []],
    ];
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
      for (const [aShape, bShape, outShape] of shapes) {
        it(`binary ${op}, [${aShape}] with [${bShape}]`, () => {
          const a = random(size(aShape), 3);
          const b = op === 'div' ? random(size(bShape)).map((v) => (v < 0 ? v - 0.5 : v + 0.5)) : random(size(bShape), 3);
          compare(`binary ${op}`, [size(outShape)], (backend, [out]) => backend.binary(op, a, aShape, b, bShape, out!, outShape));
        });
      }
    }

    it('affine and axpy, 1, odd and long lengths', () => {
      for (const n of [1, 7, 1021]) {
        const x = random(n);
        compare('affine', [n], (b, [out]) => b.affine(x, -1.75, 0.5, out!));
        compareInPlace('axpy', [random(n)], (b, [y]) => b.axpy(0.3, x, y!));
      }
    });
  });

  describe('batch norm', () => {
    const shapes: Shape[] = [[2, 3], [4, 5, 7, 3], [1, 2, 11, 13], [3, 1, 1, 5], [8, 16, 8, 8]];
    for (const xShape of shapes) {
      const channels = xShape[1]!;
      for (const training of [true, false]) {
        it(`forward and backward, x [${xShape}], ${training ? 'training' : 'eval'}`, () => {
          // An offset mean makes a naive one-pass variance fail.
          const x = random(size(xShape), 2).map((v) => v + 3);
          const gamma = random(channels);
          const beta = random(channels);
          const params = { training, momentum: 0.1, eps: 1e-5 };
          const runningVar = random(channels).map((v) => 0.5 + Math.abs(v));
          compareInPlace('batchNormForward', [random(channels), runningVar, filled(x.length), filled(channels), filled(channels)],
            (b, [runningMean, variance, out, saveMean, saveInvStd]) =>
              b.batchNormForward(x, xShape, gamma, beta, runningMean!, variance!, params, out!, saveMean!, saveInvStd!));
          const saveMean = new Float32Array(channels);
          const saveInvStd = new Float32Array(channels);
          ts.batchNormForward(x, xShape, gamma, beta, null, null, { ...params, training: true }, new Float32Array(x.length), saveMean, saveInvStd);
          const dy = random(x.length);
          compare('batchNormBackward', [x.length, channels, channels], (b, [dx, dgamma, dbeta]) =>
            b.batchNormBackward(x, xShape, dy, gamma, saveMean, saveInvStd, training, dx!, dgamma!, dbeta!));
          compare('batchNormBackward without affine', [x.length], (b, [dx]) =>
            b.batchNormBackward(x, xShape, dy, null, saveMean, saveInvStd, training, dx!, null, null));
        });
      }
    }
    it('names the op when a channel has a single value', () => {
      expect(() => wasm.batchNormForward(random(3), [1, 3], null, null, null, null, { training: true, momentum: 0.1, eps: 1e-5 },
        new Float32Array(3), new Float32Array(3), new Float32Array(3))).toThrow(/batchNormForward/);
    });
  });

  describe('layer norm', () => {
    for (const [rows, cols] of [[1, 1], [3, 5], [7, 64], [13, 131], [2, 1031]] as const) {
      for (const affine of [true, false]) {
        it(`forward and backward, ${rows} rows of ${cols}, ${affine ? 'with' : 'without'} γ and β`, () => {
          const x = random(rows * cols, 2).map((v) => v + 5);
          const gamma = affine ? random(cols) : null;
          const beta = affine ? random(cols) : null;
          compare('layerNormForward', [rows * cols, rows, rows], (b, [out, mean, invStd]) =>
            b.layerNormForward(x, rows, cols, gamma, beta, 1e-5, out!, mean!, invStd!));
          const saveMean = new Float32Array(rows);
          const saveInvStd = new Float32Array(rows);
          ts.layerNormForward(x, rows, cols, gamma, beta, 1e-5, new Float32Array(rows * cols), saveMean, saveInvStd);
          const dy = random(rows * cols);
          compare('layerNormBackward', [rows * cols, cols, cols], (b, [dx, dgamma, dbeta]) =>
            b.layerNormBackward(x, rows, cols, dy, gamma, saveMean, saveInvStd, dx!, affine ? dgamma! : null, affine ? dbeta! : null));
        });
      }
    }
  });

  describe('pooling', () => {
    const outSize = (n: number, k: number, s: number, p: number, d = 1): number => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
    const maxCases: [Shape, MaxPool2dParams][] = [
      [[2, 3, 8, 8], { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] }],
      [[1, 2, 11, 7], { kernelSize: [3, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 1] }],
      [[3, 1, 13, 13], { kernelSize: [3, 2], stride: [3, 2], padding: [1, 0], dilation: [2, 3] }],
      [[1, 1, 1, 1], { kernelSize: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1] }],
    ];
    for (const [xShape, p] of maxCases) {
      it(`max pool forward and backward, x [${xShape}], kernel ${p.kernelSize}, stride ${p.stride}, pad ${p.padding}, dilation ${p.dilation}`, () => {
        const yShape = [xShape[0]!, xShape[1]!, outSize(xShape[2]!, p.kernelSize[0], p.stride[0], p.padding[0], p.dilation[0]),
          outSize(xShape[3]!, p.kernelSize[1], p.stride[1], p.padding[1], p.dilation[1])];
        const x = random(size(xShape));
        const argmaxes = [new Int32Array(size(yShape)), new Int32Array(size(yShape))];
        compare('maxPool2dForward', [size(yShape)], (b, [out]) => b.maxPool2dForward(x, xShape, p, out!, yShape, argmaxes[b === ts ? 0 : 1]!));
        expect([...argmaxes[1]!]).toEqual([...argmaxes[0]!]);
        const dy = random(size(yShape));
        compare('maxPool2dBackward', [x.length], (b, [dx]) => b.maxPool2dBackward(dy, argmaxes[0]!, dx!));
      });
    }
    const avgCases: [Shape, AvgPool2dParams][] = [
      [[2, 3, 8, 8], { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], countIncludePad: true }],
      [[1, 2, 11, 7], { kernelSize: [3, 3], stride: [2, 1], padding: [1, 1], countIncludePad: true }],
      [[1, 2, 11, 7], { kernelSize: [3, 3], stride: [2, 1], padding: [1, 1], countIncludePad: false }],
      [[3, 1, 5, 13], { kernelSize: [5, 2], stride: [1, 3], padding: [2, 1], countIncludePad: false }],
    ];
    for (const [xShape, p] of avgCases) {
      it(`avg pool forward and backward, x [${xShape}], kernel ${p.kernelSize}, stride ${p.stride}, pad ${p.padding}, countIncludePad ${p.countIncludePad}`, () => {
        const yShape = [xShape[0]!, xShape[1]!, outSize(xShape[2]!, p.kernelSize[0], p.stride[0], p.padding[0]),
          outSize(xShape[3]!, p.kernelSize[1], p.stride[1], p.padding[1])];
        const x = random(size(xShape));
        const dy = random(size(yShape));
        compare('avgPool2dForward', [size(yShape)], (b, [out]) => b.avgPool2dForward(x, xShape, p, out!, yShape));
        compare('avgPool2dBackward', [x.length], (b, [dx]) => b.avgPool2dBackward(dy, yShape, p, dx!, xShape));
      });
    }
    it('subsamples with a 1×1 window and no padding to exactly x[:, :, ::sh, ::sw], and scatters dy back exactly', () => {
      // ResNet's option-A shortcut; the kernel copies instead of averaging, which must change no bit.
      for (const [xShape, stride] of [[[2, 3, 9, 8], [2, 2]], [[1, 2, 7, 7], [2, 2]], [[2, 1, 5, 6], [3, 2]], [[1, 2, 3, 4], [1, 1]]] as [Shape, [number, number]][]) {
        const [n, c, h, w] = xShape as [number, number, number, number];
        const p: AvgPool2dParams = { kernelSize: [1, 1], stride, padding: [0, 0], countIncludePad: true };
        const [oh, ow] = [outSize(h, 1, stride[0], 0), outSize(w, 1, stride[1], 0)];
        const x = random(size(xShape));
        const dy = random(n * c * oh * ow);
        const y = filled(dy.length);
        const dx = filled(x.length);
        wasm.avgPool2dForward(x, xShape, p, y, [n, c, oh, ow]);
        wasm.avgPool2dBackward(dy, [n, c, oh, ow], p, dx, xShape);
        const expectedY: number[] = [];
        const expectedDx = new Float32Array(x.length);
        for (let plane = 0; plane < n * c; plane++) {
          for (let i = 0; i < oh; i++) {
            for (let j = 0; j < ow; j++) {
              const at = (plane * h + i * stride[0]) * w + j * stride[1];
              expectedDx[at] = dy[expectedY.length]!;
              expectedY.push(x[at]!);
            }
          }
        }
        expect([...y], `forward ${xShape} stride ${stride}`).toEqual(expectedY);
        expect([...dx], `backward ${xShape} stride ${stride}`).toEqual([...expectedDx]);
      }
    });
    for (const [xShape, yShape] of [[[2, 3, 8, 8], [2, 3, 1, 1]], [[1, 2, 11, 7], [1, 2, 3, 5]], [[1, 1, 5, 5], [1, 1, 7, 2]]] as [Shape, Shape][]) {
      it(`adaptive avg pool forward and backward, [${xShape}] → [${yShape}]`, () => {
        const x = random(size(xShape));
        const dy = random(size(yShape));
        compare('adaptiveAvgPool2dForward', [size(yShape)], (b, [out]) => b.adaptiveAvgPool2dForward(x, xShape, out!, yShape));
        compare('adaptiveAvgPool2dBackward', [x.length], (b, [dx]) => b.adaptiveAvgPool2dBackward(dy, yShape, dx!, xShape));
      });
    }
  });

  describe('reductions', () => {
    const cases: [Shape, number[]][] = [
      [[1031], [0]], [[7, 13], [1]], [[7, 13], [0]], [[2, 3, 5, 7], [0, 2, 3]], [[2, 3, 5, 7], [1, 2]], [[3, 1, 11], [0, 1, 2]],
      [[4, 5, 6], [0, 2]], [[1, 1], [0]], [[2, 700, 3], [1]],
    ];
    for (const [xShape, axes] of cases) {
      for (const op of ['sum', 'mean', 'max'] as const) {
        it(`${op} of [${xShape}] over axes [${axes}]`, () => {
          const x = random(size(xShape), 5).map((v) => v + 10);
          const outLength = size(xShape.map((d, i) => (axes.includes(i) ? 1 : d)));
          compare(`reduce ${op}`, [outLength], (b, [out]) => b.reduce(op, x, xShape, axes, out!));
        });
      }
    }
  });

  describe('softmax and cross-entropy', () => {
    for (const [outer, axisSize, inner] of [[1, 1, 1], [5, 10, 1], [3, 7, 4], [2, 131, 3]] as const) {
      for (const log of [false, true]) {
        it(`${log ? 'log-' : ''}softmax forward and backward, (${outer}, ${axisSize}, ${inner})`, () => {
          const n = outer * axisSize * inner;
          const x = random(n, 8);
          const y = new Float32Array(n);
          ts.softmaxForward(x, outer, axisSize, inner, log, y);
          const dy = random(n);
          compare('softmaxForward', [n], (b, [out]) => b.softmaxForward(x, outer, axisSize, inner, log, out!));
          compare('softmaxBackward', [n], (b, [dx]) => b.softmaxBackward(y, dy, outer, axisSize, inner, log, dx!));
        });
      }
    }
    for (const [rows, classes, smoothing] of [[1, 1, 0], [7, 10, 0], [13, 3, 0.1], [128, 10, 0.2]] as const) {
      it(`softmax cross-entropy, ${rows} rows of ${classes} classes, label smoothing ${smoothing}`, () => {
        const logits = random(rows * classes, 6);
        const labels = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 3 ? -1 : rng.int(classes)));
        compare('softmaxCrossEntropyForward', [rows, rows * classes], (b, [losses, probs]) =>
          b.softmaxCrossEntropyForward(logits, rows, classes, labels, smoothing, losses!, probs!));
        const probs = new Float32Array(rows * classes);
        ts.softmaxCrossEntropyForward(logits, rows, classes, labels, smoothing, new Float32Array(rows), probs);
        const dLosses = random(rows);
        compare('softmaxCrossEntropyBackward', [rows * classes], (b, [dLogits]) =>
          b.softmaxCrossEntropyBackward(probs, rows, classes, labels, smoothing, dLosses, dLogits!));
      });
    }
  });

  describe('dropout and optimisers', () => {
    it('dropout draws exactly the reference mask', () => {
      for (const [n, p, seed] of [[1, 0.5, 3], [1031, 0.3, 123456789], [64, 0, 7], [17, 1, 9], [333, 0.9, 0xfffffff0]] as const) {
        const x = random(n);
        compare(`dropout n=${n} p=${p}`, [n, n], (b, [out, mask]) => b.dropoutForward(x, p, seed, out!, mask!));
      }
    });
    for (const [momentum, dampening, weightDecay, nesterov, firstStep] of [
      [0, 0, 0, false, false], [0.9, 0, 5e-4, false, true], [0.9, 0, 5e-4, false, false], [0.9, 0.1, 1e-2, true, false],
    ] as const) {
      it(`sgd step, momentum ${momentum}, dampening ${dampening}, weight decay ${weightDecay}, nesterov ${nesterov}, first ${firstStep}`, () => {
        const params = { lr: 0.1, momentum, dampening, weightDecay, nesterov, firstStep };
        for (const n of [1, 7, 1031]) {
          const grad = random(n);
          compareInPlace('sgdStep', [random(n), random(n)], (b, [param, buffer]) => b.sgdStep(param!, grad, momentum ? buffer! : null, params));
        }
      });
    }
    for (const [weightDecay, decoupledWeightDecay, step] of [[0, false, 1], [1e-2, false, 3], [1e-2, true, 10]] as const) {
      it(`adam step, weight decay ${weightDecay}, decoupled ${decoupledWeightDecay}, step ${step}`, () => {
        const params = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupledWeightDecay, step };
        for (const n of [1, 7, 1031]) {
          const grad = random(n);
          const v = random(n).map((x) => x * x * 1e-3);
          compareInPlace('adamStep', [random(n), random(n, 1e-2), v], (b, [param, m, variance]) => b.adamStep(param!, grad, m!, variance!, params));
        }
      });
    }
  });
});
