import { describe, expect, it } from 'vitest';
import type { AvgPool2dParams, MaxPool2dParams } from '../../../src/backend/backend.js';
import {
  adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward,
} from '../../../src/backend/ts/pool.js';
import { Rng } from '../../../src/tensor/rng.js';
import { dot, numericGradient, poisoned, randomArray, relativeError, separatedArray } from '../../helpers/finite-difference.js';

type Dims = [number, number, number, number];
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const outSize = (n: number, k: number, s: number, p: number, d: number): number => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

interface MaxCase { x: Dims; params: MaxPool2dParams }
interface AvgCase { x: Dims; params: AvgPool2dParams }

function maxOutShape(t: MaxCase): Dims {
  const { kernelSize: k, stride: s, padding: p, dilation: d } = t.params;
  return [t.x[0], t.x[1], outSize(t.x[2], k[0], s[0], p[0], d[0]), outSize(t.x[3], k[1], s[1], p[1], d[1])];
}
function avgOutShape(t: AvgCase): Dims {
  const { kernelSize: k, stride: s, padding: p } = t.params;
  return [t.x[0], t.x[1], outSize(t.x[2], k[0], s[0], p[0], 1), outSize(t.x[3], k[1], s[1], p[1], 1)];
}

/** Scan each full window; out-of-range positions are padding (−∞), the first maximum wins. */
function naiveMaxPool(x: Float32Array, t: MaxCase): { out: Float64Array; argmax: Int32Array } {
  const [n, c, h, w] = t.x;
  const [, , oh, ow] = maxOutShape(t);
  const { kernelSize: k, stride: s, padding: p, dilation: d } = t.params;
  const out = new Float64Array(n * c * oh * ow);
  const argmax = new Int32Array(out.length);
  let o = 0;
  for (let plane = 0; plane < n * c; plane++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++, o++) {
    let best = -Infinity;
    let at = -1;
    for (let a = 0; a < k[0]; a++) for (let b = 0; b < k[1]; b++) {
      const ih = i * s[0] - p[0] + a * d[0];
      const iw = j * s[1] - p[1] + b * d[1];
      if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
      const index = (plane * h + ih) * w + iw;
      if (x[index]! > best) {
        best = x[index]!;
        at = index;
      }
    }
    out[o] = best;
    argmax[o] = at;
  }
  return { out, argmax };
}

/** Average over the window; the divisor counts positions inside the padded input (or only real ones). */
function naiveAvgPool(x: Float32Array, t: AvgCase): Float64Array {
  const [n, c, h, w] = t.x;
  const [, , oh, ow] = avgOutShape(t);
  const { kernelSize: k, stride: s, padding: p, countIncludePad } = t.params;
  const out = new Float64Array(n * c * oh * ow);
  let o = 0;
  for (let plane = 0; plane < n * c; plane++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++, o++) {
    let sum = 0;
    let real = 0;
    let padded = 0;
    for (let a = 0; a < k[0]; a++) for (let b = 0; b < k[1]; b++) {
      const ih = i * s[0] - p[0] + a;
      const iw = j * s[1] - p[1] + b;
      if (ih < h + p[0] && iw < w + p[1]) padded++;
      if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
      sum += x[(plane * h + ih) * w + iw]!;
      real++;
    }
    out[o] = sum / (countIncludePad ? padded : real);
  }
  return out;
}

function naiveAdaptiveAvgPool(x: Float32Array, xs: Dims, oh: number, ow: number): Float64Array {
  const [n, c, h, w] = xs;
  const out = new Float64Array(n * c * oh * ow);
  let o = 0;
  for (let plane = 0; plane < n * c; plane++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++, o++) {
    // Integer floor/ceil, independent of the kernel's floating-point ones.
    const r0 = Math.trunc((i * h) / oh);
    const r1 = Math.trunc(((i + 1) * h + oh - 1) / oh);
    const c0 = Math.trunc((j * w) / ow);
    const c1 = Math.trunc(((j + 1) * w + ow - 1) / ow);
    let sum = 0;
    for (let a = r0; a < r1; a++) for (let b = c0; b < c1; b++) sum += x[(plane * h + a) * w + b]!;
    out[o] = sum / ((r1 - r0) * (c1 - c0));
  }
  return out;
}

const pair = (v: number): [number, number] => [v, v];
const maxParams = (k: number, s: number, p: number, d = 1): MaxPool2dParams => ({ kernelSize: pair(k), stride: pair(s), padding: pair(p), dilation: pair(d) });

const maxCases: Array<[string, MaxCase]> = [
  ['2x2 stride 2', { x: [2, 3, 8, 8], params: maxParams(2, 2, 0) }],
  ['3x3 stride 2 pad 1 (ResNet stem)', { x: [2, 2, 11, 9], params: maxParams(3, 2, 1) }],
  ['overlapping stride 1', { x: [1, 2, 5, 7], params: maxParams(3, 1, 1) }],
  ['dilation 2 with padding', { x: [1, 3, 9, 10], params: maxParams(3, 1, 1, 2) }],
  ['dilation 3 stride 2', { x: [2, 1, 13, 11], params: maxParams(2, 2, 1, 3) }],
  ['size-1 input', { x: [1, 1, 1, 1], params: maxParams(1, 1, 0) }],
  ['rectangular', { x: [1, 2, 7, 6], params: { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2] } }],
];

const avgCases: Array<[string, AvgCase]> = [];
for (const countIncludePad of [true, false]) {
  const avg = (k: number, s: number, p: number): AvgPool2dParams => ({ kernelSize: pair(k), stride: pair(s), padding: pair(p), countIncludePad });
  avgCases.push(
    [`2x2 stride 2, countIncludePad=${countIncludePad}`, { x: [2, 3, 8, 8], params: avg(2, 2, 0) }],
    [`3x3 stride 2 pad 1, countIncludePad=${countIncludePad}`, { x: [2, 2, 7, 8], params: avg(3, 2, 1) }],
    // Odd input, stride 2: the last window is clipped by the padded edge (divisor < k²).
    [`3x3 stride 2 pad 1 odd, countIncludePad=${countIncludePad}`, { x: [1, 2, 6, 5], params: avg(3, 2, 1) }],
    [`5x5 stride 3 pad 2, countIncludePad=${countIncludePad}`, { x: [1, 1, 13, 11], params: avg(5, 3, 2) }],
    [`size-1 input pad 0, countIncludePad=${countIncludePad}`, { x: [2, 1, 1, 1], params: avg(1, 1, 0) }],
    [`rectangular, countIncludePad=${countIncludePad}`, { x: [1, 2, 7, 6], params: { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], countIncludePad } }],
  );
}

describe('max pooling', () => {
  it.each(maxCases)('forward and argmax match the direct scan: %s', (_name, t) => {
    const x = randomArray(new Rng(size(t.x)), size(t.x));
    const ys = maxOutShape(t);
    const out = poisoned(size(ys));
    const argmax = new Int32Array(size(ys)).fill(-7);
    maxPool2dForward(x, t.x, t.params, out, ys, argmax);
    const expected = naiveMaxPool(x, t);
    expect(relativeError(out, expected.out)).toBe(0);
    expect(Array.from(argmax)).toEqual(Array.from(expected.argmax));
  });

  it('ties go to the first element of the window in row-major order', () => {
    const t: MaxCase = { x: [1, 1, 5, 5], params: maxParams(3, 2, 1) };
    const x = new Float32Array(25).fill(2);
    const ys = maxOutShape(t);
    const out = new Float32Array(size(ys));
    const argmax = new Int32Array(size(ys));
    maxPool2dForward(x, t.x, t.params, out, ys, argmax);
    expect(Array.from(argmax)).toEqual(Array.from(naiveMaxPool(x, t).argmax));
    expect(argmax[0]).toBe(0); // window rows −1..1, cols −1..1: first real element is (0, 0)
  });

  it('NaN propagates like PyTorch', () => {
    const x = new Float32Array([1, Number.NaN, 3, 4]);
    const out = new Float32Array(1);
    const argmax = new Int32Array(1);
    maxPool2dForward(x, [1, 1, 2, 2], maxParams(2, 2, 0), out, [1, 1, 1, 1], argmax);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(argmax[0]).toBe(1);
  });

  it.each(maxCases)('backward matches finite differences: %s', (_name, t) => {
    const rng = new Rng(3);
    const x = separatedArray(rng, size(t.x));
    const ys = maxOutShape(t);
    const weights = randomArray(rng, size(ys));
    const out = new Float32Array(size(ys));
    const argmax = new Int32Array(size(ys));
    const loss = (): number => {
      maxPool2dForward(x, t.x, t.params, out, ys, argmax);
      return dot(out, weights);
    };
    loss();
    const dx = poisoned(size(t.x));
    maxPool2dBackward(weights, argmax, dx);
    expect(relativeError(dx, numericGradient(x, loss, 1e-3))).toBeLessThan(1e-3);
  });
});

describe('average pooling', () => {
  it.each(avgCases)('forward matches the direct average: %s', (_name, t) => {
    const x = randomArray(new Rng(size(t.x) + 1), size(t.x));
    const ys = avgOutShape(t);
    const out = poisoned(size(ys));
    avgPool2dForward(x, t.x, t.params, out, ys);
    expect(relativeError(out, naiveAvgPool(x, t))).toBeLessThan(1e-6);
  });

  it('divisors follow PyTorch on a hand-worked example', () => {
    // x = 1..9 in a 3x3 plane, k=2, stride 2, pad 1 → windows at rows/cols {−1,0} and {1,2}.
    const x = Float32Array.from({ length: 9 }, (_, i) => i + 1);
    const include = new Float32Array(4);
    const exclude = new Float32Array(4);
    const params = { kernelSize: pair(2), stride: pair(2), padding: pair(1) };
    avgPool2dForward(x, [1, 1, 3, 3], { ...params, countIncludePad: true }, include, [1, 1, 2, 2]);
    avgPool2dForward(x, [1, 1, 3, 3], { ...params, countIncludePad: false }, exclude, [1, 1, 2, 2]);
    expect(Array.from(include)).toEqual([1 / 4, (2 + 3) / 4, (4 + 7) / 4, (5 + 6 + 8 + 9) / 4].map(Math.fround));
    expect(Array.from(exclude)).toEqual([1, (2 + 3) / 2, (4 + 7) / 2, (5 + 6 + 8 + 9) / 4].map(Math.fround));
  });

  it.each(avgCases)('backward matches finite differences: %s', (_name, t) => {
    const rng = new Rng(5);
    const x = randomArray(rng, size(t.x));
    const ys = avgOutShape(t);
    const weights = randomArray(rng, size(ys));
    const out = new Float32Array(size(ys));
    const loss = (): number => {
      avgPool2dForward(x, t.x, t.params, out, ys);
      return dot(out, weights);
    };
    const dx = poisoned(size(t.x));
    avgPool2dBackward(weights, ys, t.params, dx, t.x);
    expect(relativeError(dx, numericGradient(x, loss, 0.05))).toBeLessThan(1e-3);
  });
});

describe('adaptive average pooling', () => {
  const cases: Array<[Dims, number, number]> = [
    [[2, 3, 8, 8], 1, 1], // global average pooling (ResNet head)
    [[1, 2, 5, 7], 3, 3], // overlapping windows
    [[1, 1, 7, 5], 2, 4],
    [[2, 2, 6, 6], 6, 6], // identity
    [[1, 2, 3, 2], 5, 4], // upsampling: windows of one element, repeated
    [[1, 1, 1, 1], 1, 1],
    [[1, 1, 13, 11], 7, 5],
  ];

  it.each(cases)('forward matches the PyTorch windows: %j → %i x %i', (xs, oh, ow) => {
    const x = randomArray(new Rng(11), size(xs));
    const out = poisoned(xs[0] * xs[1] * oh * ow);
    adaptiveAvgPool2dForward(x, xs, out, [xs[0], xs[1], oh, ow]);
    expect(relativeError(out, naiveAdaptiveAvgPool(x, xs, oh, ow))).toBeLessThan(1e-6);
  });

  it('windows on a hand-worked example: 5 → 3 covers [0,2), [1,4), [3,5)', () => {
    const x = new Float32Array([1, 2, 3, 4, 5]);
    const out = new Float32Array(3);
    adaptiveAvgPool2dForward(x, [1, 1, 1, 5], out, [1, 1, 1, 3]);
    expect(Array.from(out)).toEqual([1.5, 3, 4.5]);
  });

  it.each(cases)('backward matches finite differences: %j → %i x %i', (xs, oh, ow) => {
    const rng = new Rng(13);
    const x = randomArray(rng, size(xs));
    const ys = [xs[0], xs[1], oh, ow];
    const weights = randomArray(rng, size(ys));
    const out = new Float32Array(size(ys));
    const loss = (): number => {
      adaptiveAvgPool2dForward(x, xs, out, ys);
      return dot(out, weights);
    };
    const dx = poisoned(size(xs));
    adaptiveAvgPool2dBackward(weights, ys, dx, xs);
    expect(relativeError(dx, numericGradient(x, loss, 0.05))).toBeLessThan(1e-3);
  });
});
