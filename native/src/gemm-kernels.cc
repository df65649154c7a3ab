// Register-tiled SGEMM micro-kernels, one family per instruction set (the BLIS design: Van Zee &
// van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", 2015, §3).
// Each computes a tile of C with rows = the template's ROWS (1..MR) and NR columns, from a
// packed A micro-panel (k steps of ROWS values) and a packed B micro-panel (k steps of NR
// values), keeping the whole C tile in registers across the k loop. The AVX2 / AVX-512 code is
// compiled per function with target attributes and chosen at run time, never -march=native.
#include "common.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SKIPLAB_X86 1
#endif

namespace skiplab {
namespace {

// ---- portable: plain C++ the compiler vectorises for the baseline target ----------------------
constexpr int kPortableMr = 4;
constexpr int kPortableNr = 16;

template <int ROWS>
void kernelPortable(int64_t k, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  float acc[ROWS][kPortableNr] = {};
  for (int64_t p = 0; p < k; p++) {
    for (int i = 0; i < ROWS; i++) {
      const float ai = a[i];
      for (int j = 0; j < kPortableNr; j++) acc[i][j] += ai * b[j];
    }
    a += ROWS;
    b += kPortableNr;
  }
  for (int i = 0; i < ROWS; i++) {
    float* ci = c + i * ldc;
    if (accumulate) {
      for (int j = 0; j < kPortableNr; j++) ci[j] += acc[i][j];
    } else {
      for (int j = 0; j < kPortableNr; j++) ci[j] = acc[i][j];
    }
  }
}

#ifdef SKIPLAB_X86
// ---- AVX2 + FMA: 6 × 16 tile, 12 ymm accumulators ----------------------------------------------
constexpr int kAvx2Mr = 6;
constexpr int kAvx2Nr = 16;

template <int ROWS>
__attribute__((target("avx2,fma"))) void kernelAvx2(int64_t k, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m256 acc0[ROWS], acc1[ROWS];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++) acc0[i] = acc1[i] = _mm256_setzero_ps();
  for (int64_t p = 0; p < k; p++) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; i++) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
    }
    a += ROWS;
    b += kAvx2Nr;
  }
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++) {
    float* ci = c + i * ldc;
    if (accumulate) {
      acc0[i] = _mm256_add_ps(_mm256_loadu_ps(ci), acc0[i]);
      acc1[i] = _mm256_add_ps(_mm256_loadu_ps(ci + 8), acc1[i]);
    }
    _mm256_storeu_ps(ci, acc0[i]);
    _mm256_storeu_ps(ci + 8, acc1[i]);
  }
}

// ---- AVX-512: 12 × 32 tile, 24 zmm accumulators ------------------------------------------------
// Per k step: 2 B loads and 12 broadcasts feed 24 FMAs, so the two FMA ports, not the load
// ports, are the bottleneck.
constexpr int kAvx512Mr = 12;
constexpr int kAvx512Nr = 32;

template <int ROWS>
__attribute__((target("avx512f,avx2,fma"))) void kernelAvx512(int64_t k, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m512 acc0[ROWS], acc1[ROWS];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++) acc0[i] = acc1[i] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; p++) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * kAvx512Nr), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; i++) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += ROWS;
    b += kAvx512Nr;
  }
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; i++) {
    float* ci = c + i * ldc;
    if (accumulate) {
      acc0[i] = _mm512_add_ps(_mm512_loadu_ps(ci), acc0[i]);
      acc1[i] = _mm512_add_ps(_mm512_loadu_ps(ci + 16), acc1[i]);
    }
    _mm512_storeu_ps(ci, acc0[i]);
    _mm512_storeu_ps(ci + 16, acc1[i]);
  }
}

// ---- FMA loops to measure the peak: independent accumulators, no memory traffic ------------------
__attribute__((target("avx512f,avx2,fma"))) double fmaLoopAvx512(int64_t iterations) {
  __m512 acc[16];
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iterations; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < 16; i++) sum = _mm512_add_ps(sum, acc[i]);
  volatile float sink = _mm512_reduce_add_ps(sum);
  (void)sink;
  return static_cast<double>(iterations) * 16 * 16 * 2;
}

__attribute__((target("avx2,fma"))) double fmaLoopAvx2(int64_t iterations) {
  __m256 acc[12];
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iterations; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < 12; i++) sum = _mm256_add_ps(sum, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  volatile float sink = lanes[0];
  (void)sink;
  return static_cast<double>(iterations) * 12 * 8 * 2;
}
#endif

double fmaLoopPortable(int64_t iterations) {
  float acc[32];
  for (int i = 0; i < 32; i++) acc[i] = static_cast<float>(i);
  for (int64_t it = 0; it < iterations; it++) {
    for (int i = 0; i < 32; i++) acc[i] = acc[i] * 0.999999f + 1e-7f;
  }
  volatile float sink = acc[0] + acc[31];
  (void)sink;
  return static_cast<double>(iterations) * 32 * 2;
}


KernelSet makePortable() {
  KernelSet s{kPortableMr, kPortableNr, 256, 128, 4096, {}};
  s.byRows[1] = kernelPortable<1>;
  s.byRows[2] = kernelPortable<2>;
  s.byRows[3] = kernelPortable<3>;
  s.byRows[4] = kernelPortable<4>;
  return s;
}

#ifdef SKIPLAB_X86
KernelSet makeAvx2() {
  KernelSet s{kAvx2Mr, kAvx2Nr, 256, 120, 4096, {}};
  s.byRows[1] = kernelAvx2<1>;
  s.byRows[2] = kernelAvx2<2>;
  s.byRows[3] = kernelAvx2<3>;
  s.byRows[4] = kernelAvx2<4>;
  s.byRows[5] = kernelAvx2<5>;
  s.byRows[6] = kernelAvx2<6>;
  return s;
}

KernelSet makeAvx512() {
  KernelSet s{kAvx512Mr, kAvx512Nr, 256, 144, 4096, {}};
  s.byRows[1] = kernelAvx512<1>;
  s.byRows[2] = kernelAvx512<2>;
  s.byRows[3] = kernelAvx512<3>;
  s.byRows[4] = kernelAvx512<4>;
  s.byRows[5] = kernelAvx512<5>;
  s.byRows[6] = kernelAvx512<6>;
  s.byRows[7] = kernelAvx512<7>;
  s.byRows[8] = kernelAvx512<8>;
  s.byRows[9] = kernelAvx512<9>;
  s.byRows[10] = kernelAvx512<10>;
  s.byRows[11] = kernelAvx512<11>;
  s.byRows[12] = kernelAvx512<12>;
  return s;
}
#endif

}  // namespace

const KernelSet& kernelSet(Isa isa) {
  static const KernelSet portable = makePortable();
#ifdef SKIPLAB_X86
  static const KernelSet avx2 = makeAvx2();
  static const KernelSet avx512 = makeAvx512();
  if (isa == Isa::Avx512) return avx512;
  if (isa == Isa::Avx2) return avx2;
#endif
  return portable;
}

double fmaLoop(Isa isa, int64_t iterations) {
#ifdef SKIPLAB_X86
  if (isa == Isa::Avx512) return fmaLoopAvx512(iterations);
  if (isa == Isa::Avx2) return fmaLoopAvx2(iterations);
#endif
  return fmaLoopPortable(iterations);
}

}  // namespace skiplab
