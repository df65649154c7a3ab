import { describe, expect, it } from 'vitest';
import type { GemmParams } from '../../../src/backend/backend.js';
import { gemm, gemmRowMajor } from '../../../src/backend/ts/gemm.js';
import { Rng } from '../../../src/tensor/rng.js';
import { poisoned, randomArray, relativeError } from '../../helpers/finite-difference.js';

/** C_t = op(A_t)·op(B_t) (+ C_t), element by element from the definition, in float64. */
function naiveGemm(p: GemmParams, a: Float32Array, b: Float32Array, c: Float32Array): Float64Array {
  const out = Float64Array.from(c);
  for (let t = 0; t < p.batch; t++) {
    for (let i = 0; i < p.m; i++) for (let j = 0; j < p.n; j++) {
      let sum = 0;
      for (let q = 0; q < p.k; q++) {
        const av = p.transA ? a[t * p.strideA + q * p.m + i]! : a[t * p.strideA + i * p.k + q]!;
        const bv = p.transB ? b[t * p.strideB + j * p.k + q]! : b[t * p.strideB + q * p.n + j]!;
        sum += av * bv;
      }
      const at = t * p.strideC + i * p.n + j;
      out[at] = (p.accumulate ? c[at]! : 0) + sum;
    }
  }
  return out;
}

function run(p: GemmParams, seed: number): void {
  const rng = new Rng(seed);
  // Operands sized for the largest batch offset; stride 0 broadcasts one matrix.
  const a = randomArray(rng, Math.max(1, (p.batch - 1) * p.strideA + p.m * p.k));
  const b = randomArray(rng, Math.max(1, (p.batch - 1) * p.strideB + p.k * p.n));
  const cLength = (p.batch - 1) * p.strideC + p.m * p.n;
  const c = randomArray(rng, cLength);
  // Without accumulate C must be overwritten, so its entries start as NaN; gaps between batch
  // entries (strideC > m·n) must keep their values either way.
  if (!p.accumulate) for (let t = 0; t < p.batch; t++) c.fill(Number.NaN, t * p.strideC, t * p.strideC + p.m * p.n);
  const expected = naiveGemm(p, a, b, c);
  gemm(p, a, b, c);
  expect(relativeError(c, expected)).toBeLessThan(2e-6 * Math.sqrt(p.k + 1));
}

const sizes: Array<[number, number, number]> = [
  [1, 1, 1], [1, 7, 3], [5, 1, 4], [3, 4, 1], [13, 17, 11], [4, 4, 4], [33, 65, 31], [64, 9, 144], [7, 130, 257], [9, 301, 20], [17, 260, 131],
];

describe('gemm against the definition', () => {
  const cases: Array<[string, GemmParams]> = [];
  for (const [m, n, k] of sizes) {
    for (const transA of [false, true]) for (const transB of [false, true]) {
      cases.push([`${m}x${n}x${k} transA=${transA} transB=${transB}`,
        { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0, strideC: 0, accumulate: false }]);
    }
  }
  it.each(cases)('%s', (_name, p) => run(p, p.m * 1000 + p.n * 10 + p.k));

  const batched: Array<[string, GemmParams]> = [];
  for (const accumulate of [false, true]) for (const transA of [false, true]) for (const transB of [false, true]) {
    const [m, n, k] = [6, 11, 7];
    batched.push(
      [`batch 3, contiguous, accumulate=${accumulate} transA=${transA} transB=${transB}`,
        { batch: 3, m, n, k, transA, transB, strideA: m * k, strideB: k * n, strideC: m * n, accumulate }],
      [`batch 4, A broadcast (stride 0), accumulate=${accumulate} transA=${transA} transB=${transB}`,
        { batch: 4, m, n, k, transA, transB, strideA: 0, strideB: k * n + 5, strideC: m * n, accumulate }],
      [`batch 3, B broadcast (stride 0), padded strides, accumulate=${accumulate} transA=${transA} transB=${transB}`,
        { batch: 3, m, n, k, transA, transB, strideA: m * k + 3, strideB: 0, strideC: m * n + 4, accumulate }],
    );
  }
  it.each(batched)('%s', (_name, p) => run(p, p.batch * 7 + p.strideA + p.strideB));

  it('gemmRowMajor honours offsets into all three arrays and leaves the rest alone', () => {
    const rng = new Rng(5);
    const [m, n, k] = [5, 9, 6];
    const a = randomArray(rng, 3 + m * k);
    const b = randomArray(rng, 7 + k * n);
    const c = randomArray(rng, 11 + m * n + 4);
    const before = Float32Array.from(c);
    for (const accumulate of [false, true]) {
      const start = Float32Array.from(c);
      gemmRowMajor(m, n, k, a, 3, b, 7, c, 11, accumulate);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let sum = accumulate ? start[11 + i * n + j]! : 0;
        for (let q = 0; q < k; q++) sum += a[3 + i * k + q]! * b[7 + q * n + j]!;
        expect(c[11 + i * n + j]).toBeCloseTo(sum, 4);
      }
    }
    expect(Array.from(c.subarray(0, 11))).toEqual(Array.from(before.subarray(0, 11)));
    expect(Array.from(c.subarray(11 + m * n))).toEqual(Array.from(before.subarray(11 + m * n)));
  });

  it('mostly-zero rows of A give exact results', () => {
    // C = A·B with A's row all zero except one entry: the result equals that entry times a B row.
    const a = new Float32Array([0, 0, 0, 2, 0, 0, 0, 0]);
    const b = Float32Array.from({ length: 4 * 3 }, (_, i) => i + 1);
    const c = poisoned(6);
    gemm({ batch: 1, m: 2, n: 3, k: 4, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false }, a, b, c);
    expect(Array.from(c)).toEqual([20, 22, 24, 0, 0, 0]);
  });
});
