import type { GemmParams } from '../backend.js';

/**
 * Reference batched GEMM: C = op(A)·op(B) (or C += with `accumulate`).
 *
 * Transposed operands are first packed into row-major scratch so the inner loop is always the
 * i-k-j order, whose innermost loop streams one row of B into one row of C (contiguous, no
 * per-element allocation). Blocking over k and n keeps the B panel in cache.
 */
const K_BLOCK = 128;
const N_BLOCK = 512;

let scratchA: Float32Array = new Float32Array(0);
let scratchB: Float32Array = new Float32Array(0);

function grow(buffer: Float32Array, length: number): Float32Array {
  return buffer.length >= length ? buffer : new Float32Array(Math.max(length, buffer.length * 2));
}

/** Transpose a (rows, cols) matrix at `offset` into `out` as (cols, rows). */
function transposeInto(src: Float32Array, offset: number, rows: number, cols: number, out: Float32Array): void {
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const base = offset + r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[base + c]!;
      }
    }
  }
}

/** C (m, n) (+)= A (m, k) · B (k, n), all row-major with the given offsets. */
export function gemmRowMajor(
  m: number, n: number, k: number,
  a: Float32Array, aOffset: number, b: Float32Array, bOffset: number,
  c: Float32Array, cOffset: number, accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, cOffset, cOffset + m * n);
  for (let j0 = 0; j0 < n; j0 += N_BLOCK) {
    const j1 = Math.min(n, j0 + N_BLOCK);
    for (let p0 = 0; p0 < k; p0 += K_BLOCK) {
      const p1 = Math.min(k, p0 + K_BLOCK);
      for (let i = 0; i < m; i++) {
        const cRow = cOffset + i * n;
        const aRow = aOffset + i * k;
        let p = p0;
        // Four rows of B per pass: fewer passes over the C row.
        for (; p + 3 < p1; p += 4) {
          const a0 = a[aRow + p]!;
          const a1 = a[aRow + p + 1]!;
          const a2 = a[aRow + p + 2]!;
          const a3 = a[aRow + p + 3]!;
          if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
          const b0 = bOffset + p * n;
          const b1 = b0 + n;
          const b2 = b1 + n;
          const b3 = b2 + n;
          for (let j = j0; j < j1; j++) {
            c[cRow + j] = c[cRow + j]! + a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!;
          }
        }
        for (; p < p1; p++) {
          const av = a[aRow + p]!;
          if (av === 0) continue;
          const bRow = bOffset + p * n;
          for (let j = j0; j < j1; j++) c[cRow + j] = c[cRow + j]! + av * b[bRow + j]!;
        }
      }
    }
  }
}

export function gemm(params: GemmParams, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const { batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate } = params;
  if (transA) scratchA = grow(scratchA, m * k);
  if (transB) scratchB = grow(scratchB, k * n);
  let packedA = -1;
  let packedB = -1;
  for (let t = 0; t < batch; t++) {
    let aArr = a;
    let aOff = t * strideA;
    if (transA) {
      // Broadcast operands (stride 0) are packed once.
      if (packedA !== aOff) transposeInto(a, aOff, k, m, scratchA);
      packedA = aOff;
      aArr = scratchA;
      aOff = 0;
    }
    let bArr = b;
    let bOff = t * strideB;
    if (transB) {
      if (packedB !== bOff) transposeInto(b, bOff, n, k, scratchB);
      packedB = bOff;
      bArr = scratchB;
      bOff = 0;
    }
    gemmRowMajor(m, n, k, aArr, aOff, bArr, bOff, c, t * strideC, accumulate);
  }
}
