import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, Conv2dParams, GemmParams, Shape } from '../../src/backend/backend.js';
import { roundArrayToBf16, roundToBf16 } from '../../src/backend/bf16.js';
import { configureNative, loadNativeBackend, nativeInfo, type NativeIsa } from '../../src/backend/native/index.js';
import { typescriptBackend as ts } from '../../src/backend/ts/index.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';
import { Rng } from '../../src/tensor/rng.js';

/**
 * bf16 operands (src/backend/bf16.ts): the rounding is defined bit for bit, and every backend's
 * bf16 convolution and GEMM must equal the reference's — the FP32 kernel on rounded operands — up
 * to the order of the FP32 sums. The tolerance (1e-5 of the largest output) is far below what a
 * wrong rounding costs (bf16 keeps 8 bits: about 4e-3 relative per operand), and each case also
 * checks that the bf16 result is measurably not the FP32 one.
 */
const bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0]!;
const fromBits = (u: number) => new Float32Array(Uint32Array.of(u).buffer)[0]!;
const size = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

describe('roundToBf16', () => {
  it('rounds to nearest with ties to even, quiets NaN, flushes subnormals to signed zero, overflows to infinity', () => {
    const cases: [number, number][] = [
      [0x3f808000, 0x3f800000], // 1 + 2⁻⁸: a tie, the even neighbour is 1
      [0x3f818000, 0x3f820000], // 1 + 3·2⁻⁸: a tie, the even neighbour is above
      [0x3f808001, 0x3f810000], // just past the tie: up
      [0x3f807fff, 0x3f800000], // just below: down
      [0xbf818000, 0xbf820000], // negative ties alike
      [0x7f7fffff, 0x7f800000], // past the largest bf16: infinity
      [0x7f7f7fff, 0x7f7f0000], // the largest bf16 itself stays
      [0xff800000, 0xff800000], // −∞
      [0x7f800001, 0x7fc00000], // signalling NaN: quiet
      [0x7fc00001, 0x7fc00000], // payload truncated
      [0x00000001, 0x00000000], // subnormal → +0
      [0x807fffff, 0x80000000], // subnormal → −0
      [0x00800000, 0x00800000], // the smallest normal stays
      [0x007f8000, 0x00000000], // a subnormal that would round up to normal is still flushed
    ];
    for (const [input, expected] of cases) {
      expect(bits(roundToBf16(fromBits(input))).toString(16), input.toString(16)).toBe(expected.toString(16));
    }
  });

  it('keeps bf16 values and moves any value by at most half a unit in the last place (2⁻⁸ relative: 8 significant bits)', () => {
    const rng = new Rng(11);
    const values = Float32Array.from({ length: 5000 }, () => (rng.uniform() - 0.5) * 10 ** (rng.uniform() * 60 - 30));
    const rounded = roundArrayToBf16(values);
    for (let i = 0; i < values.length; i++) {
      expect(bits(rounded[i]!) & 0xffff).toBe(0);
      expect(Math.abs(rounded[i]! - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 2 ** -8);
      expect(roundToBf16(rounded[i]!)).toBe(rounded[i]);
    }
  });
});

const rng = new Rng(7);
const random = (length: number) => Float32Array.from({ length }, () => rng.uniform() * 2 - 1);

interface ConvCase { n: number; c: number; h: number; w: number; o: number; k: [number, number]; stride: number; pad: number; dilation: number; groups: number }
const convCases: ConvCase[] = [
  { n: 3, c: 5, h: 9, w: 7, o: 11, k: [3, 3], stride: 1, pad: 1, dilation: 1, groups: 1 }, // odd channels: a half-empty pair
  { n: 4, c: 16, h: 32, w: 32, o: 16, k: [3, 3], stride: 1, pad: 1, dilation: 1, groups: 1 }, // ResNet stage 1
  { n: 2, c: 16, h: 17, w: 16, o: 32, k: [3, 3], stride: 2, pad: 1, dilation: 1, groups: 1 }, // strided, odd height
  { n: 5, c: 64, h: 8, w: 8, o: 64, k: [3, 3], stride: 1, pad: 1, dilation: 1, groups: 1 }, // ResNet stage 3
  { n: 1, c: 3, h: 5, w: 6, o: 2, k: [1, 1], stride: 1, pad: 0, dilation: 1, groups: 1 }, // 1×1: a GEMM
  { n: 2, c: 7, h: 6, w: 5, o: 3, k: [2, 3], stride: 1, pad: 0, dilation: 1, groups: 1 }, // no padding, uneven kernel
  { n: 2, c: 6, h: 9, w: 9, o: 4, k: [3, 3], stride: 1, pad: 2, dilation: 2, groups: 2 }, // dilated, grouped
  { n: 1, c: 9, h: 4, w: 4, o: 13, k: [3, 3], stride: 1, pad: 1, dilation: 1, groups: 1 }, // one image, 4 × 4
  { n: 3, c: 32, h: 7, w: 7, o: 32, k: [3, 3], stride: 1, pad: 1, dilation: 1, groups: 1 }, // channel vectors, odd rows: pixel pairs would straddle them
  { n: 3, c: 48, h: 6, w: 8, o: 64, k: [3, 3], stride: 1, pad: 1, dilation: 1, groups: 1 }, // channel vectors forward (48 pixels) and weight gradient
];

function convShapes(t: ConvCase): { xs: number[]; ws: number[]; ys: number[]; p: Conv2dParams } {
  const out = (size: number, k: number) => Math.floor((size + 2 * t.pad - t.dilation * (k - 1) - 1) / t.stride) + 1;
  return {
    xs: [t.n, t.c, t.h, t.w], ws: [t.o, t.c / t.groups, t.k[0], t.k[1]], ys: [t.n, t.o, out(t.h, t.k[0]), out(t.w, t.k[1])],
    p: { stride: [t.stride, t.stride], padding: [t.pad, t.pad], dilation: [t.dilation, t.dilation], groups: t.groups, precision: 'bf16' },
  };
}

/** max |a − b| over max |b|. */
function relativeToLargest(actual: Float32Array, expected: Float32Array): number {
  let worst = 0, largest = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    largest = Math.max(largest, Math.abs(expected[i]!));
  }
  return worst / largest;
}

/** The three convolution directions and a GEMM, run on `backend` with bf16 operands, against the reference. */
function checkParity(backend: Backend): void {
  for (const t of convCases) {
    const { xs, ws, ys, p } = convShapes(t);
    const x = random(size(xs)), w = random(size(ws)), dy = random(size(ys));
    const runs: [string, number, (b: Backend, out: Float32Array, precision: Conv2dParams) => void][] = [
      ['forward', size(ys), (b, out, q) => b.conv2dForward(x, xs, w, ws, null, q, out, ys)],
      ['input gradient', size(xs), (b, out, q) => b.conv2dBackwardInput(dy, ys, w, ws, q, out, xs)],
      ['weight gradient', size(ws), (b, out, q) => b.conv2dBackwardWeight(x, xs, dy, ys, q, out, ws)],
    ];
    for (const [what, length, run] of runs) {
      const expected = new Float32Array(length), actual = new Float32Array(length).fill(777), fp32 = new Float32Array(length);
      run(ts, expected, p);
      run(backend, actual, p);
      run(ts, fp32, { ...p, precision: 'fp32' });
      const label = `${what} ${JSON.stringify(t)}`;
      expect(relativeToLargest(actual, expected), label).toBeLessThanOrEqual(1e-5);
      expect(relativeToLargest(fp32, expected), `${label}: bf16 must differ from FP32`).toBeGreaterThan(1e-4);
    }
  }
  for (const [m, n, k, transA, transB] of [[5, 7, 33, false, true], [17, 3, 64, true, false], [1, 31, 9, false, false]] as const) {
    const params: GemmParams = { batch: 2, m, n, k, transA, transB, strideA: m * k, strideB: 0, strideC: m * n, accumulate: false, precision: 'bf16' };
    const a = random(2 * m * k), b = random(k * n);
    const expected = new Float32Array(2 * m * n), actual = new Float32Array(2 * m * n), fp32 = new Float32Array(2 * m * n);
    ts.gemm(params, a, b, expected);
    backend.gemm(params, a, b, actual);
    ts.gemm({ ...params, precision: 'fp32' }, a, b, fp32);
    expect(relativeToLargest(actual, expected), `gemm ${m}×${n}×${k}`).toBeLessThanOrEqual(1e-5);
    expect(relativeToLargest(fp32, expected)).toBeGreaterThan(1e-4);
  }
}

/**
 * Rounding inside the kernels, bit for bit: a 1 × 1 convolution with weight 1 and padding (so the
 * direct kernels take it, not the GEMM) outputs bf16(x) itself, and a 3 × 3 weight gradient over
 * 1 × 1 images with dy = 1 gives bf16(x) at the kernel's centre — exact products, single terms.
 */
function checkRoundingBits(backend: Backend): void {
  const values = Float32Array.from([1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8), 3.4e38, 1e-40, -1e-40, 1.17549435e-38, 0.1, -7.3, Infinity, -Infinity]);
  const x = new Float32Array(2 * 19);
  for (let i = 0; i < x.length; i++) x[i] = i < values.length ? values[i]! : random(1)[0]! * 10 ** (i % 7);
  const expected = roundArrayToBf16(x);
  const channels = x.length / 2;
  const forward = new Float32Array(2 * 3 * 3);
  const one = Float32Array.of(1);
  for (let i = 0; i < x.length; i++) {
    backend.conv2dForward(x.subarray(i, i + 1), [1, 1, 1, 1], one, [1, 1, 1, 1], null,
      { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, precision: 'bf16' }, forward.subarray(0, 9), [1, 1, 3, 3]);
    // A sum starts at +0, so −0 comes out as +0: compare the bits of value + 0.
    expect(bits(forward[4]! + 0).toString(16), `forward of ${x[i]}`).toBe(bits(expected[i]! + 0).toString(16));
  }
  const dw = new Float32Array(channels * 9);
  backend.conv2dBackwardWeight(x, [2, channels, 1, 1], Float32Array.of(1, 1), [2, 1, 1, 1],
    { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, precision: 'bf16' }, dw, [1, channels, 3, 3]);
  for (let c = 0; c < channels; c++) {
    const sum = Math.fround(expected[c]! + expected[channels + c]!);
    if (Number.isFinite(sum)) expect(dw[c * 9 + 4], `weight gradient, channel ${c}`).toBe(sum);
  }
}

describe('bf16 operands on the TypeScript reference', () => {
  it('is the FP32 kernel on rounded operands (checked against a hand-rounded FP32 run)', () => {
    const { xs, ws, ys, p } = convShapes(convCases[0]!);
    const x = random(size(xs)), w = random(size(ws));
    const viaPrecision = new Float32Array(size(ys)), byHand = new Float32Array(size(ys));
    ts.conv2dForward(x, xs, w, ws, null, p, viaPrecision, ys);
    ts.conv2dForward(roundArrayToBf16(x), xs, roundArrayToBf16(w), ws, null, { ...p, precision: 'fp32' }, byHand, ys);
    expect(viaPrecision).toEqual(byHand);
    expect(x).not.toEqual(roundArrayToBf16(x)); // the caller's arrays (master weights) are never rounded
  });
});

const wasm = loadWasmBackend();
describe.skipIf(!wasm)('bf16 operands on the wasm backend', () => {
  it('agree with the reference', () => checkParity(wasm!));
  it('round inside the kernels as the reference does, bit for bit', () => checkRoundingBits(wasm!));
});

const native = loadNativeBackend();
const initial = native ? nativeInfo()! : null;
const isas: NativeIsa[] = native ? nativeInfo()!.supported : [];
afterAll(() => {
  if (initial) configureNative({ isa: initial.isa, threads: initial.threads });
});

describe.skipIf(!native).each(isas.flatMap((isa) => [1, 2].map((threads) => ({ isa, threads }))))('bf16 operands on the native $isa path, $threads thread(s)', ({ isa, threads }) => {
  it('agree with the reference on random shapes: odd and paired channels, strides, dilation, groups, 1×1', () => {
    expect(configureNative({ isa, threads })).toEqual(expect.objectContaining({ isa, threads }));
    checkParity(native!);
  });
  it('round inside the kernels as the reference does, bit for bit', () => {
    configureNative({ isa, threads });
    checkRoundingBits(native!);
  });
});
