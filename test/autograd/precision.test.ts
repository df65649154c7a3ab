import { describe, expect, it } from 'vitest';
import '../../src/autograd/index.js';
import { conv2d } from '../../src/autograd/functions/conv2d.js';
import { linear } from '../../src/autograd/functions/linear.js';
import { sum } from '../../src/autograd/functions/reduce.js';
import { operandPrecision, withPrecision } from '../../src/autograd/precision.js';
import { roundArrayToBf16 } from '../../src/backend/bf16.js';
import { typescriptBackend as ts } from '../../src/backend/ts/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';
import { backendsUnderTest, withBackend } from '../helpers/backends.js';

/**
 * withPrecision('bf16'): convolutions and matrix products recorded in the scope take bf16
 * operands forward and backward — the backward runs after the scope has closed, as a training
 * step's does — while the weights and every gradient stay FP32.
 */
const p = { stride: [1, 1] as const, padding: [1, 1] as const, dilation: [1, 1] as const, groups: 1 };

describe('withPrecision', () => {
  it('restores the previous precision, also when the scope throws', () => {
    expect(operandPrecision()).toBe('fp32');
    expect(() => withPrecision('bf16', () => {
      expect(operandPrecision()).toBe('bf16');
      throw new Error('inside');
    })).toThrow('inside');
    expect(operandPrecision()).toBe('fp32');
  });

  for (const backend of backendsUnderTest()) {
    it(`conv2d on ${backend.name}: forward, input and weight gradients on bf16 operands, the backward outside the scope`, () => {
      withBackend(backend, () => {
        const rng = new Rng(3);
        const x = randn([2, 3, 6, 5], { rng, requiresGrad: true }), w = randn([4, 3, 3, 3], { rng, requiresGrad: true });
        const weights = w.f32.slice();
        const y = withPrecision('bf16', () => conv2d(x, w, null, { padding: 1 }));
        sum(y).backward(); // dy = 1, exactly representable
        const xs = x.shape, ws = w.shape, ys = y.shape;
        const rx = roundArrayToBf16(x.f32), rw = roundArrayToBf16(w.f32), ones = new Float32Array(y.size).fill(1);
        const out = new Float32Array(y.size), dx = new Float32Array(x.size), dw = new Float32Array(w.size);
        ts.conv2dForward(rx, xs, rw, ws, null, p, out, ys);
        ts.conv2dBackwardInput(ones, ys, rw, ws, p, dx, xs);
        ts.conv2dBackwardWeight(rx, xs, ones, ys, p, dw, ws);
        const close = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - b[i]!) <= 1e-5 * (1 + Math.abs(b[i]!)));
        expect(close(y.f32, out)).toBe(true);
        expect(close(x.grad!.f32, dx)).toBe(true);
        expect(close(w.grad!.f32, dw)).toBe(true);
        expect(w.f32).toEqual(weights); // master weights untouched
        // Outside the scope the same op is FP32 again, and measurably different.
        const fp32 = conv2d(x, w, null, { padding: 1 });
        expect(close(fp32.f32, out)).toBe(false);
      });
    });
  }

  it('linear in a bf16 scope multiplies rounded operands', () => {
    withBackend(ts, () => {
      const rng = new Rng(4);
      const x = randn([5, 7], { rng }), w = randn([3, 7], { rng });
      const y = withPrecision('bf16', () => linear(x, w));
      const rx = roundArrayToBf16(x.f32), rw = roundArrayToBf16(w.f32);
      for (let i = 0; i < 5; i++) {
        for (let o = 0; o < 3; o++) {
          let s = 0;
          for (let k = 0; k < 7; k++) s += rx[i * 7 + k]! * rw[o * 7 + k]!;
          expect(y.f32[i * 3 + o]).toBeCloseTo(s, 5);
        }
      }
    });
  });
});
