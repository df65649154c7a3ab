import type { GemmParams } from '../backend.js';

/**
 * Reference batched GEMM: C = op(A)·op(B) (or C += with `accumulate`).
 *
 * Transposed operands are first packed into row-major scratch so the core is always the
 * row-major i-k-j order, whose innermost loop streams rows of B into rows of C (contiguous, no
 * per-element allocation). JavaScript has no SIMD, so speed comes from register blocking: the
 * core updates 8 rows of C with 8 rows of B per pass, holding the 8x8 block of A in locals. Each
 * B element loaded then feeds 8 multiply-adds and each C element is read and written once per 8
 * steps of k, instead of once per step (about 3x the throughput of the one-row loop in V8).
 * Blocking over k and n keeps the B panel (K_BLOCK x N_BLOCK floats) in L2 across row blocks.
 */
const K_BLOCK = 128;
const N_BLOCK = 256;

let scratchA: Float32Array = new Float32Array(0);
let scratchB: Float32Array = new Float32Array(0);

function grow(buffer: Float32Array, length: number): Float32Array {
  return buffer.length >= length ? buffer : new Float32Array(Math.max(length, buffer.length * 2));
}

/**
 * Transpose a (rows, cols) matrix at `offset` into `out` as (cols, rows). Four source rows per
 * pass turn each column step into four adjacent writes; column blocks of 256 keep the written
 * lines in cache for large matrices (about 2.5x a 32x32-tiled loop in V8).
 */
function transposeInto(src: Float32Array, offset: number, rows: number, cols: number, out: Float32Array): void {
  const COLUMN_BLOCK = 256;
  for (let c0 = 0; c0 < cols; c0 += COLUMN_BLOCK) {
    const c1 = Math.min(cols, c0 + COLUMN_BLOCK);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const s0 = offset + r * cols, s1 = s0 + cols, s2 = s1 + cols, s3 = s2 + cols;
      for (let c = c0, o = c0 * rows + r; c < c1; c++, o += rows) {
        out[o] = src[s0 + c]!;
        out[o + 1] = src[s1 + c]!;
        out[o + 2] = src[s2 + c]!;
        out[o + 3] = src[s3 + c]!;
      }
    }
    for (; r < rows; r++) {
      const s0 = offset + r * cols;
      for (let c = c0, o = c0 * rows + r; c < c1; c++, o += rows) out[o] = src[s0 + c]!;
    }
  }
}

/*
 * Row-block kernels: C rows starting at cRow (stride n) += A rows starting at aRow (stride k),
 * restricted to k-range [p0, p1) and column range [j0, j1). Local `aRQ` holds A[row R][p + Q].
 */

function rows8(
  a: Float32Array, aRow: number, k: number, b: Float32Array, bOffset: number, n: number,
  c: Float32Array, cRow: number, p0: number, p1: number, j0: number, j1: number,
): void {
  const r0 = aRow, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k, r4 = r3 + k, r5 = r4 + k, r6 = r5 + k, r7 = r6 + k;
  const c0 = cRow, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n, c4 = c3 + n, c5 = c4 + n, c6 = c5 + n, c7 = c6 + n;
  let p = p0;
  for (; p + 8 <= p1; p += 8) {
    const a00 = a[r0 + p]!, a01 = a[r0 + p + 1]!, a02 = a[r0 + p + 2]!, a03 = a[r0 + p + 3]!, a04 = a[r0 + p + 4]!, a05 = a[r0 + p + 5]!, a06 = a[r0 + p + 6]!, a07 = a[r0 + p + 7]!;
    const a10 = a[r1 + p]!, a11 = a[r1 + p + 1]!, a12 = a[r1 + p + 2]!, a13 = a[r1 + p + 3]!, a14 = a[r1 + p + 4]!, a15 = a[r1 + p + 5]!, a16 = a[r1 + p + 6]!, a17 = a[r1 + p + 7]!;
    const a20 = a[r2 + p]!, a21 = a[r2 + p + 1]!, a22 = a[r2 + p + 2]!, a23 = a[r2 + p + 3]!, a24 = a[r2 + p + 4]!, a25 = a[r2 + p + 5]!, a26 = a[r2 + p + 6]!, a27 = a[r2 + p + 7]!;
    const a30 = a[r3 + p]!, a31 = a[r3 + p + 1]!, a32 = a[r3 + p + 2]!, a33 = a[r3 + p + 3]!, a34 = a[r3 + p + 4]!, a35 = a[r3 + p + 5]!, a36 = a[r3 + p + 6]!, a37 = a[r3 + p + 7]!;
    const a40 = a[r4 + p]!, a41 = a[r4 + p + 1]!, a42 = a[r4 + p + 2]!, a43 = a[r4 + p + 3]!, a44 = a[r4 + p + 4]!, a45 = a[r4 + p + 5]!, a46 = a[r4 + p + 6]!, a47 = a[r4 + p + 7]!;
    const a50 = a[r5 + p]!, a51 = a[r5 + p + 1]!, a52 = a[r5 + p + 2]!, a53 = a[r5 + p + 3]!, a54 = a[r5 + p + 4]!, a55 = a[r5 + p + 5]!, a56 = a[r5 + p + 6]!, a57 = a[r5 + p + 7]!;
    const a60 = a[r6 + p]!, a61 = a[r6 + p + 1]!, a62 = a[r6 + p + 2]!, a63 = a[r6 + p + 3]!, a64 = a[r6 + p + 4]!, a65 = a[r6 + p + 5]!, a66 = a[r6 + p + 6]!, a67 = a[r6 + p + 7]!;
    const a70 = a[r7 + p]!, a71 = a[r7 + p + 1]!, a72 = a[r7 + p + 2]!, a73 = a[r7 + p + 3]!, a74 = a[r7 + p + 4]!, a75 = a[r7 + p + 5]!, a76 = a[r7 + p + 6]!, a77 = a[r7 + p + 7]!;
    const b0 = bOffset + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n, b4 = b3 + n, b5 = b4 + n, b6 = b5 + n, b7 = b6 + n;
    for (let j = j0; j < j1; j++) {
      const x0 = b[b0 + j]!, x1 = b[b1 + j]!, x2 = b[b2 + j]!, x3 = b[b3 + j]!, x4 = b[b4 + j]!, x5 = b[b5 + j]!, x6 = b[b6 + j]!, x7 = b[b7 + j]!;
      c[c0 + j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3 + a04 * x4 + a05 * x5 + a06 * x6 + a07 * x7;
      c[c1 + j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3 + a14 * x4 + a15 * x5 + a16 * x6 + a17 * x7;
      c[c2 + j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3 + a24 * x4 + a25 * x5 + a26 * x6 + a27 * x7;
      c[c3 + j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3 + a34 * x4 + a35 * x5 + a36 * x6 + a37 * x7;
      c[c4 + j] += a40 * x0 + a41 * x1 + a42 * x2 + a43 * x3 + a44 * x4 + a45 * x5 + a46 * x6 + a47 * x7;
      c[c5 + j] += a50 * x0 + a51 * x1 + a52 * x2 + a53 * x3 + a54 * x4 + a55 * x5 + a56 * x6 + a57 * x7;
      c[c6 + j] += a60 * x0 + a61 * x1 + a62 * x2 + a63 * x3 + a64 * x4 + a65 * x5 + a66 * x6 + a67 * x7;
      c[c7 + j] += a70 * x0 + a71 * x1 + a72 * x2 + a73 * x3 + a74 * x4 + a75 * x5 + a76 * x6 + a77 * x7;
    }
  }
  for (; p < p1; p++) {
    const a0 = a[r0 + p]!, a1 = a[r1 + p]!, a2 = a[r2 + p]!, a3 = a[r3 + p]!, a4 = a[r4 + p]!, a5 = a[r5 + p]!, a6 = a[r6 + p]!, a7 = a[r7 + p]!;
    const bRow = bOffset + p * n;
    for (let j = j0; j < j1; j++) {
      const x = b[bRow + j]!;
      c[c0 + j] += a0 * x;
      c[c1 + j] += a1 * x;
      c[c2 + j] += a2 * x;
      c[c3 + j] += a3 * x;
      c[c4 + j] += a4 * x;
      c[c5 + j] += a5 * x;
      c[c6 + j] += a6 * x;
      c[c7 + j] += a7 * x;
    }
  }
}

/** The same for 4 rows of C (the remainder when m is not a multiple of 8, e.g. 12 channels). */
function rows4(
  a: Float32Array, aRow: number, k: number, b: Float32Array, bOffset: number, n: number,
  c: Float32Array, cRow: number, p0: number, p1: number, j0: number, j1: number,
): void {
  const r0 = aRow, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
  const c0 = cRow, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
  let p = p0;
  for (; p + 8 <= p1; p += 8) {
    const a00 = a[r0 + p]!, a01 = a[r0 + p + 1]!, a02 = a[r0 + p + 2]!, a03 = a[r0 + p + 3]!, a04 = a[r0 + p + 4]!, a05 = a[r0 + p + 5]!, a06 = a[r0 + p + 6]!, a07 = a[r0 + p + 7]!;
    const a10 = a[r1 + p]!, a11 = a[r1 + p + 1]!, a12 = a[r1 + p + 2]!, a13 = a[r1 + p + 3]!, a14 = a[r1 + p + 4]!, a15 = a[r1 + p + 5]!, a16 = a[r1 + p + 6]!, a17 = a[r1 + p + 7]!;
    const a20 = a[r2 + p]!, a21 = a[r2 + p + 1]!, a22 = a[r2 + p + 2]!, a23 = a[r2 + p + 3]!, a24 = a[r2 + p + 4]!, a25 = a[r2 + p + 5]!, a26 = a[r2 + p + 6]!, a27 = a[r2 + p + 7]!;
    const a30 = a[r3 + p]!, a31 = a[r3 + p + 1]!, a32 = a[r3 + p + 2]!, a33 = a[r3 + p + 3]!, a34 = a[r3 + p + 4]!, a35 = a[r3 + p + 5]!, a36 = a[r3 + p + 6]!, a37 = a[r3 + p + 7]!;
    const b0 = bOffset + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n, b4 = b3 + n, b5 = b4 + n, b6 = b5 + n, b7 = b6 + n;
    for (let j = j0; j < j1; j++) {
      const x0 = b[b0 + j]!, x1 = b[b1 + j]!, x2 = b[b2 + j]!, x3 = b[b3 + j]!, x4 = b[b4 + j]!, x5 = b[b5 + j]!, x6 = b[b6 + j]!, x7 = b[b7 + j]!;
      c[c0 + j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3 + a04 * x4 + a05 * x5 + a06 * x6 + a07 * x7;
      c[c1 + j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3 + a14 * x4 + a15 * x5 + a16 * x6 + a17 * x7;
      c[c2 + j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3 + a24 * x4 + a25 * x5 + a26 * x6 + a27 * x7;
      c[c3 + j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3 + a34 * x4 + a35 * x5 + a36 * x6 + a37 * x7;
    }
  }
  for (; p < p1; p++) {
    const a0 = a[r0 + p]!, a1 = a[r1 + p]!, a2 = a[r2 + p]!, a3 = a[r3 + p]!;
    const bRow = bOffset + p * n;
    for (let j = j0; j < j1; j++) {
      const x = b[bRow + j]!;
      c[c0 + j] += a0 * x;
      c[c1 + j] += a1 * x;
      c[c2 + j] += a2 * x;
      c[c3 + j] += a3 * x;
    }
  }
}

/** The same for one row of C: 8 steps of k per pass over the row. */
function rows1(
  a: Float32Array, aRow: number, b: Float32Array, bOffset: number, n: number,
  c: Float32Array, cRow: number, p0: number, p1: number, j0: number, j1: number,
): void {
  let p = p0;
  for (; p + 8 <= p1; p += 8) {
    const a0 = a[aRow + p]!, a1 = a[aRow + p + 1]!, a2 = a[aRow + p + 2]!, a3 = a[aRow + p + 3]!;
    const a4 = a[aRow + p + 4]!, a5 = a[aRow + p + 5]!, a6 = a[aRow + p + 6]!, a7 = a[aRow + p + 7]!;
    const b0 = bOffset + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n, b4 = b3 + n, b5 = b4 + n, b6 = b5 + n, b7 = b6 + n;
    for (let j = j0; j < j1; j++) {
      c[cRow + j] += a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]! +
        a4 * b[b4 + j]! + a5 * b[b5 + j]! + a6 * b[b6 + j]! + a7 * b[b7 + j]!;
    }
  }
  for (; p < p1; p++) {
    const av = a[aRow + p]!;
    const bRow = bOffset + p * n;
    for (let j = j0; j < j1; j++) c[cRow + j] += av * b[bRow + j]!;
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
      let i = 0;
      for (; i + 8 <= m; i += 8) rows8(a, aOffset + i * k, k, b, bOffset, n, c, cOffset + i * n, p0, p1, j0, j1);
      if (i + 4 <= m) {
        rows4(a, aOffset + i * k, k, b, bOffset, n, c, cOffset + i * n, p0, p1, j0, j1);
        i += 4;
      }
      for (; i < m; i++) rows1(a, aOffset + i * k, b, bOffset, n, c, cOffset + i * n, p0, p1, j0, j1);
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
