// Packed, cache-blocked SGEMM driver (BLIS loop order, Van Zee & van de Geijn 2015, Fig. 2):
//   for jc (NC columns of C)      B panel kc × nc packed once, stays in L3/L2
//     for pc (KC of the k sum)
//       for ic (MC rows of C)     A block mc × kc packed, stays in L2
//         for jr (NR columns)     B micro-panel kc × NR stays in L1
//           for ir (MR rows)      micro-kernel: MR × NR tile of C in registers
// or, where KernelSet::rowTilesOuter says so, ir outside jr (see common.h).
// Packing makes both operands unit-stride in the order the micro-kernel reads them, which also
// absorbs the transposes. Edge tiles narrower than NR go through a small scratch tile.
#include <algorithm>
#include <cstring>

#include "common.h"

namespace skiplab {

namespace {

/** Pack rows [i0, i0+mc) × cols [p0, p0+kc) of op(A) into MR-row micro-panels. */
void packA(const GemmProblem& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += mr) {
    const int rows = static_cast<int>(std::min<int64_t>(mr, mc - ir));
    float* panel = dst + ir * kc;
    if (g.transA) {
      // A(i, p) = a[p*lda + i]: each k step is a contiguous run of rows.
      const float* src = g.a + p0 * g.lda + i0 + ir;
      for (int64_t p = 0; p < kc; p++) {
        const float* s = src + p * g.lda;
        float* d = panel + p * rows;
        for (int i = 0; i < rows; i++) d[i] = s[i];
      }
    } else {
      // A(i, p) = a[i*lda + p]: each row is a contiguous run of k steps, transposed in registers.
      const float* src = g.a + (i0 + ir) * g.lda + p0;
      const TransposePack transpose = kernelSet(activeIsa()).transposePack;
      if (transpose) {
        transpose(src, g.lda, kc, rows, rows, panel);
        continue;
      }
      for (int i = 0; i < rows; i++) {
        const float* s = src + i * g.lda;
        float* d = panel + i;
        for (int64_t p = 0; p < kc; p++) d[p * rows] = s[p];
      }
    }
  }
}

/** Pack rows [p0, p0+kc) × cols [j0, j0+nc) of op(B) into NR-column micro-panels, zero-padded. */
void packB(const GemmProblem& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += nr) {
    const int cols = static_cast<int>(std::min<int64_t>(nr, nc - jr));
    float* panel = dst + jr * kc;
    if (!g.transB) {
      const float* src = g.b + p0 * g.ldb + j0 + jr;
      for (int64_t p = 0; p < kc; p++) {
        const float* s = src + p * g.ldb;
        float* d = panel + p * nr;
        int j = 0;
        for (; j < cols; j++) d[j] = s[j];
        for (; j < nr; j++) d[j] = 0.0f;
      }
    } else {
      // B(p, j) = b[j*ldb + p]
      const float* src = g.b + (j0 + jr) * g.ldb + p0;
      const TransposePack transpose = kernelSet(activeIsa()).transposePack;
      if (transpose) {
        transpose(src, g.ldb, kc, cols, nr, panel);
        continue;
      }
      if (cols < nr) {
        for (int64_t p = 0; p < kc; p++) std::memset(panel + p * nr, 0, sizeof(float) * nr);
      }
      for (int j = 0; j < cols; j++) {
        const float* s = src + j * g.ldb;
        float* d = panel + j;
        for (int64_t p = 0; p < kc; p++) d[p * nr] = s[p];
      }
    }
  }
}

}  // namespace

void gemmSerial(const GemmProblem& g) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    if (!g.accumulate) {
      for (int64_t i = 0; i < g.m; i++) std::memset(g.c + i * g.ldc, 0, sizeof(float) * g.n);
    }
    return;
  }
  const KernelSet& ks = kernelSet(activeIsa());
  const int mr = ks.mr, nr = ks.nr;
  const int64_t kcMax = ks.kc, mcMax = ks.mc, ncMax = ks.nc;
  const int64_t ncAlloc = std::min<int64_t>(ncMax, (g.n + nr - 1) / nr * nr);
  float* bufB = g.packedB ? nullptr : scratch(ScratchSlot::PackB, static_cast<size_t>(kcMax * ncAlloc));
  float* bufA = scratch(ScratchSlot::PackA, static_cast<size_t>(kcMax * mcMax));
  float* edge = scratch(ScratchSlot::EdgeTile, static_cast<size_t>(mr * nr));

  for (int64_t jc = 0; jc < g.n; jc += ncMax) {
    const int64_t nc = std::min(ncMax, g.n - jc);
    for (int64_t pc = 0; pc < g.k; pc += kcMax) {
      const int64_t kc = std::min(kcMax, g.k - pc);
      const bool accumulate = g.accumulate || pc > 0;
      if (!g.packedB) packB(g, pc, kc, jc, nc, nr, bufB);
      for (int64_t ic = 0; ic < g.m; ic += mcMax) {
        const int64_t mc = std::min(mcMax, g.m - ic);
        // Balanced tile heights: 16 rows run as 8 + 8 rather than 12 + 4 (the short tile
        // would starve the FMA units; every row's sum is the same either way).
        const int64_t tiles = (mc + mr - 1) / mr;
        const int height = static_cast<int>((mc + tiles - 1) / tiles);
        packA(g, ic, mc, pc, kc, height, bufA);
        auto tile = [&](int64_t ir, int64_t jr) {
          const int rows = static_cast<int>(std::min<int64_t>(height, mc - ir));
          const int cols = static_cast<int>(std::min<int64_t>(nr, nc - jr));
          const float* panelA = bufA + ir * kc;
          // Pre-packed panels hold all k rows: panel j starts at j·k, its block pc at pc·NR.
          const float* panelB = g.packedB ? g.packedB + (jc + jr) * g.k + pc * nr : bufB + jr * kc;
          float* c = g.c + (ic + ir) * g.ldc + jc + jr;
          if (cols == nr) {
            ks.byRows[rows](kc, panelA, panelB, c, g.ldc, accumulate);
            return;
          }
          ks.byRows[rows](kc, panelA, panelB, edge, nr, false);
          for (int i = 0; i < rows; i++) {
            float* ci = c + i * g.ldc;
            const float* ei = edge + i * nr;
            if (accumulate) {
              for (int j = 0; j < cols; j++) ci[j] += ei[j];
            } else {
              for (int j = 0; j < cols; j++) ci[j] = ei[j];
            }
          }
        };
        if (ks.rowTilesOuter) {
          for (int64_t ir = 0; ir < mc; ir += height) {
            for (int64_t jr = 0; jr < nc; jr += nr) tile(ir, jr);
          }
        } else {
          for (int64_t jr = 0; jr < nc; jr += nr) {
            for (int64_t ir = 0; ir < mc; ir += height) tile(ir, jr);
          }
        }
      }
    }
  }
}

int gemmPanelWidth() { return kernelSet(activeIsa()).nr; }

void gemmParallel(const GemmProblem& g) {
  const int threads = threadCount();
  const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  if (threads <= 1 || inParallelRegion() || flops < 4e5) {
    gemmSerial(g);
    return;
  }
  const KernelSet& ks = kernelSet(activeIsa());
  // Split C into one block of whole register tiles per thread, along whichever dimension has
  // more tiles. Every C element is still summed by one thread in the same order, so the result
  // is the same at any thread count.
  const int64_t tilesN = (g.n + ks.nr - 1) / ks.nr;
  const int64_t tilesM = (g.m + ks.mr - 1) / ks.mr;
  const bool splitN = tilesN >= tilesM;
  const int64_t tiles = splitN ? tilesN : tilesM;
  const int parts = static_cast<int>(std::min<int64_t>(threads, tiles));
  if (parts <= 1) {
    gemmSerial(g);
    return;
  }
  parallelParts(parts, [&](int part) {
    const int64_t t0 = tiles * part / parts, t1 = tiles * (part + 1) / parts;
    GemmProblem sub = g;
    if (splitN) {
      const int64_t j0 = t0 * ks.nr, j1 = std::min(g.n, t1 * ks.nr);
      sub.n = j1 - j0;
      sub.b = g.transB ? g.b + j0 * g.ldb : g.b + j0;
      if (g.packedB) sub.packedB = g.packedB + j0 * g.k;
      sub.c = g.c + j0;
    } else {
      const int64_t i0 = t0 * ks.mr, i1 = std::min(g.m, t1 * ks.mr);
      sub.m = i1 - i0;
      sub.a = g.transA ? g.a + i0 : g.a + i0 * g.lda;
      sub.c = g.c + i0 * g.ldc;
    }
    gemmSerial(sub);
  });
}

}  // namespace skiplab
