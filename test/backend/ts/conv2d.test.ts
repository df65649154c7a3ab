import { describe, expect, it } from 'vitest';
import type { Conv2dParams } from '../../../src/backend/backend.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from '../../../src/backend/ts/conv2d.js';
import { Rng } from '../../../src/tensor/rng.js';
import { dot, numericGradient, poisoned, randomArray, relativeError } from '../../helpers/finite-difference.js';

interface Case {
  n: number; c: number; h: number; w: number; o: number; kh: number; kw: number;
  params: Conv2dParams;
}

const outSize = (size: number, k: number, s: number, p: number, d: number): number => Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

function shapes(t: Case): { x: number[]; w: number[]; y: number[] } {
  const { stride, padding, dilation, groups } = t.params;
  return {
    x: [t.n, t.c, t.h, t.w],
    w: [t.o, t.c / groups, t.kh, t.kw],
    y: [t.n, t.o, outSize(t.h, t.kh, stride[0], padding[0], dilation[0]), outSize(t.w, t.kw, stride[1], padding[1], dilation[1])],
  };
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The definition of convolution, one output element at a time, summed in float64. */
function naiveForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, t: Case, oh = shapes(t).y[2]!, ow = shapes(t).y[3]!): Float64Array {
  const cg = t.c / t.params.groups;
  const og = t.o / t.params.groups;
  const out = new Float64Array(t.n * t.o * oh * ow);
  for (let n = 0; n < t.n; n++) for (let o = 0; o < t.o; o++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let sum = bias ? bias[o]! : 0;
    const group = Math.floor(o / og);
    for (let c = 0; c < cg; c++) for (let a = 0; a < t.kh; a++) for (let b = 0; b < t.kw; b++) {
      const ih = i * t.params.stride[0] - t.params.padding[0] + a * t.params.dilation[0];
      const iw = j * t.params.stride[1] - t.params.padding[1] + b * t.params.dilation[1];
      if (ih < 0 || ih >= t.h || iw < 0 || iw >= t.w) continue;
      sum += x[((n * t.c + group * cg + c) * t.h + ih) * t.w + iw]! * w[((o * cg + c) * t.kh + a) * t.kw + b]!;
    }
    out[((n * t.o + o) * oh + i) * ow + j] = sum;
  }
  return out;
}

/** Scatter every dy element back through the weights: also the forward of a transposed conv. */
function naiveBackwardInput(dy: Float32Array, w: Float32Array, t: Case, oh: number, ow: number): Float64Array {
  const cg = t.c / t.params.groups;
  const og = t.o / t.params.groups;
  const dx = new Float64Array(t.n * t.c * t.h * t.w);
  for (let n = 0; n < t.n; n++) for (let o = 0; o < t.o; o++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    const g = dy[((n * t.o + o) * oh + i) * ow + j]!;
    const group = Math.floor(o / og);
    for (let c = 0; c < cg; c++) for (let a = 0; a < t.kh; a++) for (let b = 0; b < t.kw; b++) {
      const ih = i * t.params.stride[0] - t.params.padding[0] + a * t.params.dilation[0];
      const iw = j * t.params.stride[1] - t.params.padding[1] + b * t.params.dilation[1];
      if (ih < 0 || ih >= t.h || iw < 0 || iw >= t.w) continue;
      dx[((n * t.c + group * cg + c) * t.h + ih) * t.w + iw]! += g * w[((o * cg + c) * t.kh + a) * t.kw + b]!;
    }
  }
  return dx;
}

function naiveBackwardWeight(x: Float32Array, dy: Float32Array, t: Case, oh = shapes(t).y[2]!, ow = shapes(t).y[3]!): Float64Array {
  const s = shapes(t);
  const cg = t.c / t.params.groups;
  const og = t.o / t.params.groups;
  const dw = new Float64Array(size(s.w));
  for (let n = 0; n < t.n; n++) for (let o = 0; o < t.o; o++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    const g = dy[((n * t.o + o) * oh + i) * ow + j]!;
    const group = Math.floor(o / og);
    for (let c = 0; c < cg; c++) for (let a = 0; a < t.kh; a++) for (let b = 0; b < t.kw; b++) {
      const ih = i * t.params.stride[0] - t.params.padding[0] + a * t.params.dilation[0];
      const iw = j * t.params.stride[1] - t.params.padding[1] + b * t.params.dilation[1];
      if (ih < 0 || ih >= t.h || iw < 0 || iw >= t.w) continue;
      dw[((o * cg + c) * t.kh + a) * t.kw + b]! += g * x[((n * t.c + group * cg + c) * t.h + ih) * t.w + iw]!;
    }
  }
  return dw;
}

const conv = (s: number, p: number, d = 1, groups = 1): Conv2dParams => ({ stride: [s, s], padding: [p, p], dilation: [d, d], groups });

/** Hand-picked edge cases: size 1, primes, 1x1 fast path, groups, depthwise, stride/dilation/padding. */
const namedCases: Array<[string, Case]> = [
  ['3x3 pad 1 (ResNet)', { n: 2, c: 3, h: 8, w: 8, o: 4, kh: 3, kw: 3, params: conv(1, 1) }],
  ['1x1 fast path', { n: 2, c: 5, h: 7, w: 3, o: 6, kh: 1, kw: 1, params: conv(1, 0) }],
  ['1x1 stride 2 (projection shortcut)', { n: 2, c: 4, h: 7, w: 7, o: 8, kh: 1, kw: 1, params: conv(2, 0) }],
  ['1x1 with padding', { n: 1, c: 2, h: 3, w: 4, o: 3, kh: 1, kw: 1, params: conv(1, 1) }],
  ['size-1 image and batch', { n: 1, c: 1, h: 1, w: 1, o: 1, kh: 1, kw: 1, params: conv(1, 0) }],
  ['size-1 image, 3x3 pad 1', { n: 1, c: 2, h: 1, w: 1, o: 3, kh: 3, kw: 3, params: conv(1, 1) }],
  ['prime sizes stride 2', { n: 3, c: 5, h: 13, w: 11, o: 7, kh: 3, kw: 3, params: conv(2, 1) }],
  ['stride 3 leaves rows untouched', { n: 1, c: 2, h: 10, w: 11, o: 2, kh: 2, kw: 2, params: conv(3, 0) }],
  ['dilation 2', { n: 2, c: 3, h: 9, w: 10, o: 4, kh: 3, kw: 3, params: conv(1, 2, 2) }],
  ['dilation 3 stride 2', { n: 1, c: 2, h: 11, w: 12, o: 2, kh: 3, kw: 2, params: conv(2, 1, 3) }],
  ['groups 2', { n: 2, c: 4, h: 6, w: 5, o: 6, kh: 3, kw: 3, params: conv(1, 1, 1, 2) }],
  ['groups 3 stride 2', { n: 1, c: 6, h: 7, w: 7, o: 9, kh: 3, kw: 3, params: conv(2, 1, 1, 3) }],
  ['depthwise', { n: 2, c: 5, h: 6, w: 7, o: 5, kh: 3, kw: 3, params: conv(1, 1, 1, 5) }],
  ['depthwise multiplier 2', { n: 1, c: 3, h: 5, w: 5, o: 6, kh: 3, kw: 3, params: conv(2, 1, 1, 3) }],
  ['7x7 stride 2 pad 3 (ImageNet stem)', { n: 1, c: 3, h: 17, w: 15, o: 4, kh: 7, kw: 7, params: conv(2, 3) }],
  ['padding larger than kernel', { n: 1, c: 2, h: 4, w: 3, o: 2, kh: 2, kw: 3, params: conv(1, 3) }],
  // Stride 1 with OW = W takes the shifted-copy path: edge taps, taps wider than the image, dilation.
  ['same width, valid height', { n: 2, c: 2, h: 9, w: 7, o: 3, kh: 5, kw: 3,
    params: { stride: [1, 1], padding: [0, 1], dilation: [1, 1], groups: 1 } }],
  ['same width, taps shifted past the whole row', { n: 1, c: 2, h: 4, w: 2, o: 2, kh: 5, kw: 5, params: conv(1, 2) }],
  ['same width, dilation 3', { n: 1, c: 3, h: 8, w: 9, o: 2, kh: 3, kw: 3, params: conv(1, 3, 3) }],
  ['rectangular kernel and params', { n: 2, c: 2, h: 9, w: 8, o: 3, kh: 3, kw: 1,
    params: { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 1 } }],
];

function randomCase(rng: Rng): Case {
  for (;;) {
    const groups = 1 + rng.int(3);
    const cg = 1 + rng.int(3);
    const og = 1 + rng.int(3);
    const k = 1 + rng.int(4);
    const params: Conv2dParams = {
      stride: [1 + rng.int(3), 1 + rng.int(3)],
      padding: [rng.int(3), rng.int(3)],
      dilation: [1 + rng.int(2), 1 + rng.int(2)],
      groups,
    };
    const t: Case = { n: 1 + rng.int(3), c: cg * groups, h: 1 + rng.int(12), w: 1 + rng.int(12), o: og * groups, kh: k, kw: 1 + rng.int(4), params };
    const y = shapes(t).y;
    if (y[2]! >= 1 && y[3]! >= 1) return t;
  }
}

const rng = new Rng(20260117);
const randomCases: Array<[string, Case]> = Array.from({ length: 40 }, (_, i) => [`random #${i}`, randomCase(rng)]);

describe('conv2d reference kernels against the direct definition', () => {
  it.each([...namedCases, ...randomCases])('%s', (_name, t) => {
    const s = shapes(t);
    const r = new Rng(size(s.x) * 31 + size(s.w));
    const x = randomArray(r, size(s.x));
    const w = randomArray(r, size(s.w));
    const bias = randomArray(r, t.o);
    const dy = randomArray(r, size(s.y));
    for (const b of [bias, null]) {
      const out = poisoned(size(s.y));
      conv2dForward(x, s.x, w, s.w, b, t.params, out, s.y);
      expect(relativeError(out, naiveForward(x, w, b, t))).toBeLessThan(1e-5);
    }
    const dx = poisoned(size(s.x));
    conv2dBackwardInput(dy, s.y, w, s.w, t.params, dx, s.x);
    expect(relativeError(dx, naiveBackwardInput(dy, w, t, s.y[2]!, s.y[3]!))).toBeLessThan(1e-5);
    const dw = poisoned(size(s.w));
    conv2dBackwardWeight(x, s.x, dy, s.y, t.params, dw, s.w);
    expect(relativeError(dw, naiveBackwardWeight(x, dy, t))).toBeLessThan(1e-5);
  });

  it('transposed convolution: backward input fills an output_padding-enlarged dx; untouched positions are 0', () => {
    // ConvTranspose2d output size: (in − 1)·stride − 2·padding + dilation·(k − 1) + 1 + output_padding.
    const transposedSize = (size: number, k: number, s: number, p: number, op: number, d = 1): number => (size - 1) * s - 2 * p + d * (k - 1) + 1 + op;
    const r = new Rng(7);
    // k=3, stride 2, padding 1, output_padding 1: 4x5 → 8x10 (PyTorch's usual 2x upsampling).
    expect([transposedSize(4, 3, 2, 1, 1), transposedSize(5, 3, 2, 1, 1)]).toEqual([8, 10]);
    const t: Case = { n: 2, c: 3, h: 8, w: 10, o: 4, kh: 3, kw: 3, params: conv(2, 1) };
    const dy = randomArray(r, 2 * 4 * 4 * 5);
    const w = randomArray(r, 4 * 3 * 9);
    const dx = poisoned(2 * 3 * 8 * 10);
    conv2dBackwardInput(dy, [2, 4, 4, 5], w, [4, 3, 3, 3], t.params, dx, [2, 3, 8, 10]);
    expect(relativeError(dx, naiveBackwardInput(dy, w, t, 4, 5))).toBeLessThan(1e-5);
    // k=2, stride 3, output_padding 2: 3x3 → 10x10. Rows/cols 2 and 5 fall between windows and
    // 8, 9 lie past the last one: all must be exactly 0 although dx started as NaN.
    const size10 = transposedSize(3, 2, 3, 0, 2);
    expect(size10).toBe(10);
    const gap: Case = { n: 1, c: 1, h: 10, w: 10, o: 1, kh: 2, kw: 2, params: conv(3, 0) };
    const gapDy = randomArray(r, 9);
    const gapW = randomArray(r, 4);
    const gapDx = poisoned(100);
    conv2dBackwardInput(gapDy, [1, 1, 3, 3], gapW, [1, 1, 2, 2], gap.params, gapDx, [1, 1, 10, 10]);
    expect(relativeError(gapDx, naiveBackwardInput(gapDy, gapW, gap, 3, 3))).toBeLessThan(1e-5);
    for (const line of [2, 5, 8, 9]) {
      for (let i = 0; i < 10; i++) {
        expect(gapDx[line * 10 + i]).toBe(0);
        expect(gapDx[i * 10 + line]).toBe(0);
      }
    }
    expect(gapDx.some((v) => v !== 0)).toBe(true);
    // Stride 1, dilation 2, output_padding 1 (allowed since output_padding < dilation): 4x5 → 7x8,
    // one more than the exact inverse size, so the flipped-weight shortcut must not be taken.
    expect([transposedSize(4, 3, 1, 1, 1, 2), transposedSize(5, 3, 1, 1, 1, 2)]).toEqual([7, 8]);
    const dilated: Case = { n: 2, c: 2, h: 7, w: 8, o: 3, kh: 3, kw: 3, params: conv(1, 1, 2) };
    const dilatedDy = randomArray(r, 2 * 3 * 4 * 5);
    const dilatedW = randomArray(r, 3 * 2 * 9);
    const dilatedDx = poisoned(2 * 2 * 7 * 8);
    conv2dBackwardInput(dilatedDy, [2, 3, 4, 5], dilatedW, [3, 2, 3, 3], dilated.params, dilatedDx, [2, 2, 7, 8]);
    expect(relativeError(dilatedDx, naiveBackwardInput(dilatedDy, dilatedW, dilated, 4, 5))).toBeLessThan(1e-5);
  });

  it('output sizes come from the given shapes: ConvTranspose2d backward asks for fewer rows than the conv arithmetic', () => {
    // The transposed conv above (4x5 → 7x8, stride 1, dilation 2) differentiates through
    // conv2dForward / conv2dBackwardWeight on its 7x8 output, whose conv arithmetic gives 5x6;
    // only the first 4x5 positions exist.
    const r = new Rng(8);
    const t: Case = { n: 2, c: 3, h: 7, w: 8, o: 2, kh: 3, kw: 3, params: conv(1, 1, 2) };
    expect(shapes(t).y).toEqual([2, 2, 5, 6]);
    const x = randomArray(r, 2 * 3 * 7 * 8);
    const w = randomArray(r, 2 * 3 * 9);
    const out = poisoned(2 * 2 * 4 * 5);
    conv2dForward(x, [2, 3, 7, 8], w, [2, 3, 3, 3], null, t.params, out, [2, 2, 4, 5]);
    expect(relativeError(out, naiveForward(x, w, null, t, 4, 5))).toBeLessThan(1e-5);
    const dy = randomArray(r, 2 * 2 * 4 * 5);
    const dw = poisoned(w.length);
    conv2dBackwardWeight(x, [2, 3, 7, 8], dy, [2, 2, 4, 5], t.params, dw, [2, 3, 3, 3]);
    expect(relativeError(dw, naiveBackwardWeight(x, dy, t, 4, 5))).toBeLessThan(1e-5);
  });

  const gradientCases: Array<[string, Case]> = [
    ['3x3 pad 1', namedCases[0]![1]],
    ['stride 2 dilation 2 groups 2', { n: 2, c: 4, h: 7, w: 6, o: 4, kh: 3, kw: 2, params: conv(2, 2, 2, 2) }],
    ['depthwise', namedCases[12]![1]],
    ['1x1 fast path', namedCases[1]![1]],
  ];
  it.each(gradientCases)('backward kernels match finite differences of Σ conv(x, w)·R: %s', (_name, t) => {
    const s = shapes(t);
    const r = new Rng(99);
    const x = randomArray(r, size(s.x));
    const w = randomArray(r, size(s.w));
    const weights = randomArray(r, size(s.y));
    const out = new Float32Array(size(s.y));
    const loss = (): number => {
      conv2dForward(x, s.x, w, s.w, null, t.params, out, s.y);
      return dot(out, weights);
    };
    const dx = new Float32Array(size(s.x));
    conv2dBackwardInput(weights, s.y, w, s.w, t.params, dx, s.x);
    expect(relativeError(dx, numericGradient(x, loss, 0.05))).toBeLessThan(1e-3);
    const dw = new Float32Array(size(s.w));
    conv2dBackwardWeight(x, s.x, weights, s.y, t.params, dw, s.w);
    expect(relativeError(dw, numericGradient(w, loss, 0.05))).toBeLessThan(1e-3);
  });
});
