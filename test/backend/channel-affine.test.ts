import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, BatchNormParams, ChannelAffine, Conv2dParams, Precision } from '../../src/backend/backend.js';
import { applyChannelAffine } from '../../src/backend/channel-affine.js';
import { configureNative, loadNativeBackend, nativeInfo } from '../../src/backend/native/index.js';
import { typescriptBackend as ts } from '../../src/backend/ts/index.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { maxRelativeError } from '../helpers/backends.js';

/**
 * Batch norm (and its ReLU) as a convolution's `input` map (ChannelAffine): `batchNormStatistics`
 * gives the map, the convolution's forward and weight gradient read x through it, and the batch
 * norm's backward recomputes its ReLU mask from x. Every backend against the reference
 * (channel-affine.ts defines the map as the plain kernels on the mapped tensor), on shapes that
 * take the direct kernels (stride 1 and 2, odd channels), im2col (groups) and the GEMM (1×1).
 */
const rng = new Rng(21);
const random = (length: number, scale = 1, offset = 0) => Float32Array.from({ length }, () => (rng.uniform() * 2 - 1) * scale + offset);

interface Case { n: number; c: number; h: number; w: number; o: number; k: number; stride: number; pad: number; groups: number }
const cases: Case[] = [
  { n: 4, c: 16, h: 12, w: 12, o: 16, k: 3, stride: 1, pad: 1, groups: 1 },
  { n: 3, c: 5, h: 9, w: 7, o: 6, k: 3, stride: 2, pad: 1, groups: 1 },
  { n: 2, c: 6, h: 5, w: 5, o: 4, k: 3, stride: 1, pad: 1, groups: 2 },
  { n: 2, c: 7, h: 5, w: 6, o: 3, k: 1, stride: 1, pad: 0, groups: 1 },
  { n: 5, c: 64, h: 8, w: 8, o: 64, k: 3, stride: 1, pad: 1, groups: 1 },
];

/** The map of a training-mode batch norm over x, on `backend`, with its statistics. */
function batchNormMap(backend: Backend, x: Float32Array, xShape: number[], gamma: Float32Array, beta: Float32Array, relu: boolean) {
  const c = xShape[1]!;
  const saveMean = new Float32Array(c), saveInvStd = new Float32Array(c), scale = new Float32Array(c), shift = new Float32Array(c);
  const runningMean = new Float32Array(c), runningVar = new Float32Array(c).fill(1);
  const params: BatchNormParams = { training: true, momentum: 0.1, eps: 1e-5 };
  backend.batchNormStatistics(x, xShape, gamma, beta, runningMean, runningVar, params, saveMean, saveInvStd, scale, shift);
  const map: ChannelAffine = { mean: saveMean, scale, shift, relu };
  return { map, saveMean, saveInvStd, runningMean, runningVar };
}

function run(backend: Backend, t: Case, relu: boolean, precision: Precision) {
  const xs = [t.n, t.c, t.h, t.w], ws = [t.o, t.c / t.groups, t.k, t.k];
  const out = (size: number) => Math.floor((size + 2 * t.pad - t.k) / t.stride) + 1;
  const ys = [t.n, t.o, out(t.h), out(t.w)];
  const seeded = new Rng(t.n * 100 + t.c);
  const values = (length: number, scale = 1, offset = 0) => Float32Array.from({ length }, () => (seeded.uniform() * 2 - 1) * scale + offset);
  const x = values(xs.reduce((a, b) => a * b), 2, 0.7), w = values(ws.reduce((a, b) => a * b)), dy = values(ys.reduce((a, b) => a * b));
  const gamma = values(t.c, 0.5, 1), beta = values(t.c, 0.5), dA = values(x.length);
  const statistics = batchNormMap(backend, x, xs, gamma, beta, relu);
  const p: Conv2dParams = { stride: [t.stride, t.stride], padding: [t.pad, t.pad], dilation: [1, 1], groups: t.groups, precision };
  const y = new Float32Array(ys.reduce((a, b) => a * b)), dw = new Float32Array(w.length);
  backend.conv2dForward(x, xs, w, ws, null, p, y, ys, statistics.map);
  backend.conv2dBackwardWeight(x, xs, dy, ys, p, dw, ws, statistics.map);
  const dx = new Float32Array(x.length), dgamma = new Float32Array(t.c), dbeta = new Float32Array(t.c);
  backend.batchNormBackward(x, xs, dA, gamma, statistics.saveMean, statistics.saveInvStd, true, dx, dgamma, dbeta, null, relu ? statistics.map : null);
  return { x, xs, w, ws, ys, dy, dA, gamma, beta, p, y, dw, dx, dgamma, dbeta, ...statistics };
}

function relativeToLargest(actual: Float32Array, expected: Float32Array): number {
  let worst = 0, largest = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    largest = Math.max(largest, Math.abs(expected[i]!));
  }
  return worst / largest;
}

function checkAgainstReference(backend: Backend): void {
  for (const t of cases) {
    for (const relu of [true, false]) {
      for (const precision of ['fp32', 'bf16'] as const) {
        const expected = run(ts, t, relu, precision), actual = run(backend, t, relu, precision);
        const label = `${JSON.stringify(t)} relu=${relu} ${precision}`;
        for (const key of ['saveMean', 'saveInvStd', 'runningMean', 'runningVar', 'y', 'dw', 'dx', 'dgamma', 'dbeta'] as const) {
          // bf16: a mapped value one float ulp off the reference's can round to the other bf16
          // neighbour (2⁻⁸ relative), so the convolution is compared against its largest output.
          const error = precision === 'bf16' && (key === 'y' || key === 'dw') ? relativeToLargest(actual[key], expected[key]) : maxRelativeError(actual[key], expected[key]);
          expect(error, `${key} ${label}`).toBeLessThanOrEqual(precision === 'bf16' ? 1e-3 : 1e-4);
        }
      }
    }
  }
}

/**
 * On one backend the fused path must be the unfused one exactly: the map's output is batch norm's
 * forward output bit for bit, so the convolution, its weight gradient and the ReLU mask all agree.
 */
function checkFusedEqualsUnfused(backend: Backend): void {
  for (const t of cases) {
    const r = run(backend, t, true, 'fp32');
    const bnOut = new Float32Array(r.x.length), mean = new Float32Array(t.c), invStd = new Float32Array(t.c);
    backend.batchNormForward(r.x, r.xs, r.gamma, r.beta, new Float32Array(t.c), new Float32Array(t.c).fill(1),
      { training: true, momentum: 0.1, eps: 1e-5, relu: true }, bnOut, mean, invStd);
    expect(mean).toEqual(r.saveMean);
    expect(invStd).toEqual(r.saveInvStd);
    const y = new Float32Array(r.y.length), dw = new Float32Array(r.dw.length), dx = new Float32Array(r.dx.length);
    backend.conv2dForward(bnOut, r.xs, r.w, r.ws, null, r.p, y, r.ys);
    backend.conv2dBackwardWeight(bnOut, r.xs, r.dy, r.ys, r.p, dw, r.ws);
    backend.batchNormBackward(r.x, r.xs, r.dA, r.gamma, mean, invStd, true, dx, new Float32Array(t.c), new Float32Array(t.c), bnOut);
    expect(y, JSON.stringify(t)).toEqual(r.y);
    expect(dw, JSON.stringify(t)).toEqual(r.dw);
    expect(dx, JSON.stringify(t)).toEqual(r.dx);
  }
}

describe('ChannelAffine on the reference', () => {
  it('batchNormStatistics gives the map of batchNormForward: same statistics, same output to float rounding', () => {
    const xs = [3, 4, 5, 5], x = random(300, 3, 1), gamma = random(4, 0.5, 1), beta = random(4);
    const { map, saveMean, saveInvStd } = batchNormMap(ts, x, xs, gamma, beta, true);
    const out = new Float32Array(x.length), mean = new Float32Array(4), invStd = new Float32Array(4);
    ts.batchNormForward(x, xs, gamma, beta, null, null, { training: true, momentum: 0.1, eps: 1e-5, relu: true }, out, mean, invStd);
    expect(saveMean).toEqual(mean);
    expect(saveInvStd).toEqual(invStd);
    expect(maxRelativeError(applyChannelAffine(x, xs, map), out)).toBeLessThanOrEqual(1e-6);
    expect(applyChannelAffine(x, xs, map).some((v) => v === 0)).toBe(true); // the ReLU did cut
  });
});

const wasm = loadWasmBackend();
describe.skipIf(!wasm)('ChannelAffine on the wasm backend', () => {
  it('agrees with the reference', () => checkAgainstReference(wasm!));
  it('the fused path equals the unfused one bit for bit', () => checkFusedEqualsUnfused(wasm!));
});

const native = loadNativeBackend();
const initial = native ? nativeInfo()! : null;
afterAll(() => {
  if (initial) configureNative({ isa: initial.isa, threads: initial.threads });
});
const configurations = (native ? nativeInfo()!.supported : []).filter((isa) => isa !== 'avx512').flatMap((isa) => [1, 2].map((threads) => ({ isa, threads })));
describe.skipIf(!native).each(configurations)('ChannelAffine on the native $isa path, $threads thread(s)', ({ isa, threads }) => {
  it('agrees with the reference: statistics, convolution forward and weight gradient, batch-norm backward', () => {
    configureNative({ isa, threads });
    checkAgainstReference(native!);
  });
  it('the fused path equals the unfused one bit for bit', () => {
    configureNative({ isa, threads });
    checkFusedEqualsUnfused(native!);
  });
});
