// SIMD128 SGEMM: C (m, n) (+)= A (m, k) · B (k, n).
//
// The loop structure is Goto & van de Geijn's ("Anatomy of High-Performance Matrix
// Multiplication", 2008, §4 / BLIS): B is packed a KC×NC block at a time into NR-wide column
// panels, A an MC×KC block at a time into MR-tall row panels, and a register-tiled micro-kernel
// multiplies one A panel by one B panel, keeping the MR×NR tile of C in f32x4 registers for the
// whole KC loop. The B panel (KC·NR·4 bytes = 8 KiB) stays in L1, the A block in L2.
//
// A and B are read through (row stride, column stride) pairs, so transposed operands cost
// nothing extra: the packing step absorbs the transpose. C is row-major with leading dimension n.
// A B whose rows are contiguous is read in place when at most four A panels (m ≤ 16) would use
// a packed copy, too few to repay it: a convolution with 4 to 16 output channels, whose B is its
// im2col columns, ran 4–23 % faster so. The micro-kernel does the same arithmetic either way.
// Baseline SIMD128 has no fused multiply-add, so each update is f32x4.mul then f32x4.add.

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 2048;

/** Floats of scratch `gemm` needs at `work`: packed A block, packed B block, one edge tile. */
export function gemmWorkspaceFloats(): i32 {
  return MC * KC + KC * NC + MR * NR;
}

/** Pack an mc×kc block of A into MR-tall panels: panel i holds, per p, MR consecutive rows. */
function packA(mc: i32, kc: i32, a: usize, rowStride: usize, colStride: usize, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const panel = dst + (<usize>(ir * kc) << 2);
    const rowBase = a + ((<usize>ir * rowStride) << 2);
    if (mr == MR && rowStride == 1) {
      // A used transposed: the MR rows of one column are contiguous.
      for (let p = 0; p < kc; p++) {
        v128.store(panel + (<usize>p << 4), v128.load(rowBase + ((<usize>p * colStride) << 2)));
      }
      continue;
    }
    let p0 = 0;
    if (mr == MR && colStride == 1) {
      // Row-major A: four rows × four columns at a time, transposed in registers.
      const rowBytes = <usize>rowStride << 2;
      for (; p0 + 4 <= kc; p0 += 4) {
        const src = rowBase + (<usize>p0 << 2);
        transposeStore(
          v128.load(src), v128.load(src + rowBytes), v128.load(src + 2 * rowBytes), v128.load(src + 3 * rowBytes),
          panel + (<usize>p0 << 4), 16,
        );
      }
    }
    for (let r = 0; r < MR; r++) {
      if (r < mr) {
        const src = rowBase + ((<usize>r * rowStride) << 2);
        for (let p = p0; p < kc; p++) {
          store<f32>(panel + (<usize>(p * MR + r) << 2), load<f32>(src + ((<usize>p * colStride) << 2)));
        }
      } else {
        for (let p = p0; p < kc; p++) store<f32>(panel + (<usize>(p * MR + r) << 2), 0);
      }
    }
  }
}

/** Pack a kc×nc block of B into NR-wide panels: panel j holds, per p, NR consecutive columns. */
function packB(kc: i32, nc: i32, b: usize, rowStride: usize, colStride: usize, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const panel = dst + (<usize>(jr * kc) << 2);
    const colBase = b + ((<usize>jr * colStride) << 2);
    if (nr == NR && colStride == 1) {
      for (let p = 0; p < kc; p++) {
        const src = colBase + ((<usize>p * rowStride) << 2);
        const to = panel + (<usize>p << 5);
        v128.store(to, v128.load(src));
        v128.store(to, v128.load(src, 16), 16);
      }
      continue;
    }
    let p0 = 0;
    if (nr == NR && rowStride == 1) {
      // B used transposed: each column is contiguous; transpose 4×4 blocks in registers.
      const colBytes = <usize>colStride << 2;
      for (; p0 + 4 <= kc; p0 += 4) {
        for (let half = 0; half < 2; half++) {
          const src = colBase + <usize>(half * 4) * colBytes + (<usize>p0 << 2);
          transposeStore(
            v128.load(src), v128.load(src + colBytes), v128.load(src + 2 * colBytes), v128.load(src + 3 * colBytes),
            panel + (<usize>(p0 * NR + half * 4) << 2), <usize>NR << 2,
          );
        }
      }
    }
    for (let j = 0; j < NR; j++) {
      if (j < nr) {
        const src = colBase + ((<usize>j * colStride) << 2);
        for (let p = p0; p < kc; p++) {
          store<f32>(panel + (<usize>(p * NR + j) << 2), load<f32>(src + ((<usize>p * rowStride) << 2)));
        }
      } else {
        for (let p = p0; p < kc; p++) store<f32>(panel + (<usize>(p * NR + j) << 2), 0);
      }
    }
  }
}

/**
 * Store the transpose of the 4×4 block whose rows are r0..r3: row i of the result (lane i of
 * every r) goes to dst + i·step bytes.
 */
// @ts-ignore: decorator
@inline
function transposeStore(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * The 4×8 micro-kernel: C tile (+)= A panel · B panel over kc steps; B's rows of 8 are bStep
 * bytes apart (32 packed, the row stride in place); ldc in bytes.
 */
// @ts-ignore: decorator
@inline
function microKernel(kc: i32, ap: usize, bp: usize, bStep: usize, c: usize, ldc: usize, overwrite: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    ap += 16;
    bp += bStep;
  }
  if (!overwrite) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc));
    c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc));
    c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc));
    c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

/**
 * C (m, n) (+)= A · B where A(i, p) is at a[i·aRowStride + p·aColStride] and B(p, j) at
 * b[p·bRowStride + j·bColStride]. `work` holds gemmWorkspaceFloats() floats, 16-byte aligned.
 */
export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: i32, aColStride: i32,
  b: usize, bRowStride: i32, bColStride: i32,
  c: usize, accumulate: bool, work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) memory.fill(c, 0, <usize>(m * n) << 2);
    return;
  }
  const packedA = work;
  const packedB = work + (<usize>(MC * KC) << 2);
  const edge = packedB + (<usize>(KC * NC) << 2);
  const ldc = <usize>n << 2;
  const inPlace = m <= 4 * MR && bColStride == 1;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const bBlock = b + ((<usize>pc * bRowStride + <usize>jc * bColStride) << 2);
      if (!inPlace) packB(kc, nc, bBlock, bRowStride, bColStride, packedB);
      const overwrite = pc == 0 && !accumulate;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, a + ((<usize>ic * aRowStride + <usize>pc * aColStride) << 2), aRowStride, aColStride, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          let bp = packedB + (<usize>(jr * kc) << 2);
          let bStep: usize = <usize>NR << 2;
          if (inPlace && nr == NR) {
            bp = bBlock + (<usize>jr << 2);
            bStep = <usize>bRowStride << 2;
          } else if (inPlace) {
            // The last, narrower panel is packed (zero-padded to NR columns) as usual.
            packB(kc, nr, bBlock + (<usize>jr << 2), bRowStride, 1, packedB);
            bp = packedB;
          }
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = packedA + (<usize>(ir * kc) << 2);
            const cp = c + <usize>(ic + ir) * ldc + (<usize>(jc + jr) << 2);
            if (mr == MR && nr == NR) {
              microKernel(kc, ap, bp, bStep, cp, ldc, overwrite);
            } else {
              // Partial tile at the right or bottom edge: compute the full tile aside, copy part.
              microKernel(kc, ap, bp, bStep, edge, <usize>NR << 2, true);
              for (let r = 0; r < mr; r++) {
                const row = cp + <usize>r * ldc;
                for (let j = 0; j < nr; j++) {
                  const t = load<f32>(edge + (<usize>(r * NR + j) << 2));
                  const to = row + (<usize>j << 2);
                  store<f32>(to, overwrite ? t : load<f32>(to) + t);
                }
              }
            }
          }
        }
      }
    }
  }
}
