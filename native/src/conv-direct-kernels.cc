// The direct convolution's register-tiled loops (conv-direct-kernels.inc), compiled once per
// instruction set with target attributes (never -march=native), and the table that picks them.
#include <algorithm>

#include "conv-direct-internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SKIPLAB_X86 1
// GCC 12's AVX-512 headers trip -Wuninitialized on their own _mm512_undefined_* (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace skiplab::direct {

#ifdef SKIPLAB_X86
// ---- AVX-512: 8 rows × 3 vectors or 4 × 6 (24 zmm) forward, 4 × 6 weight gradient ----------
__attribute__((target("avx2,fma"))) inline float horizontalSum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
__attribute__((target("avx512f,avx2,fma"))) inline __mmask16 lowLanes512(int64_t n) {
  return static_cast<__mmask16>((1u << n) - 1);
}
/** n ≤ 16 floats p[0], p[stride], …; lanes past n are zero and read nothing. */
__attribute__((target("avx512f,avx2,fma"))) inline __m512 gather512(const float* p, int64_t stride, int64_t n) {
  const __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(static_cast<int>(stride)));
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lowLanes512(n), index, p, 4);
}
/** p[0], p[2], …, p[30]: reads 32 floats. */
__attribute__((target("avx512f,avx2,fma"))) inline __m512 evens512(const float* p) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return _mm512_permutex2var_ps(_mm512_loadu_ps(p), even, _mm512_loadu_ps(p + 16));
}
/** p[0], p[2], …, p[14]: reads 16 floats. */
__attribute__((target("avx2,fma"))) inline __m256 evens256(const float* p) {
  const __m256 pairs = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), 0x88);  // a0 a2 b0 b2 | a4 a6 b4 b6
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(pairs), 0xD8));
}
__attribute__((target("avx2,fma"))) inline __m256i lowLanes256(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
__attribute__((target("avx2,fma"))) inline __m256i laneBits256(uint32_t bits) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), bit), bit);
}
__attribute__((target("avx2,fma"))) inline __m256 gather256(const float* p, int64_t stride, int64_t n) {
  const __m256i index = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(static_cast<int>(stride)));
  return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, index, _mm256_castsi256_ps(lowLanes256(n)), 4);
}
#define SK_NS avx512
#define SK_ATTR __attribute__((target("avx512f,avx2,fma")))
#define SK_VEC __m512
#define SK_LANES 16
#define SK_ZERO() _mm512_setzero_ps()
#define SK_LOAD(p) _mm512_loadu_ps(p)
#define SK_SET1(x) _mm512_set1_ps(x)
#define SK_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define SK_ADD(a, b) _mm512_add_ps(a, b)
#define SK_SUB(a, b) _mm512_sub_ps(a, b)
#define SK_MAX(a, b) _mm512_max_ps(a, b)
#define SK_STORE(p, v) _mm512_storeu_ps(p, v)
#define SK_HSUM(v) _mm512_reduce_add_ps(v)
#define SK_LOAD_PART(p, n) _mm512_maskz_loadu_ps(lowLanes512(n), p)
#define SK_STORE_PART(p, v, n) _mm512_mask_storeu_ps(p, lowLanes512(n), v)
#define SK_STORE_LANES(p, v, bits) _mm512_mask_storeu_ps(p, static_cast<__mmask16>(bits), v)
#define SK_GATHER(p, stride, n) gather512(p, stride, n)
#define SK_EVENS(p) evens512(p)
#define SK_DW_OUT 4
#define SK_DW_ROWS 6
#define SK_CHEAP_MASKED_STORES 1
#include "conv-direct-kernels.inc"
#include "conv-direct-row-moves.inc"
#undef SK_NS
#undef SK_ATTR
#undef SK_VEC
#undef SK_LANES
#undef SK_ZERO
#undef SK_LOAD
#undef SK_SET1
#undef SK_FMA
#undef SK_ADD
#undef SK_SUB
#undef SK_MAX
#undef SK_STORE
#undef SK_HSUM
#undef SK_LOAD_PART
#undef SK_STORE_PART
#undef SK_STORE_LANES
#undef SK_GATHER
#undef SK_EVENS
#undef SK_DW_OUT
#undef SK_DW_ROWS
#undef SK_CHEAP_MASKED_STORES

// ---- AVX2 + FMA: 4 rows × 3 vectors or 2 × 6 (12 ymm) forward, 4 × 3 weight gradient ---------
#define SK_NS avx2
#define SK_ATTR __attribute__((target("avx2,fma")))
#define SK_VEC __m256
#define SK_LANES 8
#define SK_ZERO() _mm256_setzero_ps()
#define SK_LOAD(p) _mm256_loadu_ps(p)
#define SK_SET1(x) _mm256_set1_ps(x)
#define SK_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define SK_ADD(a, b) _mm256_add_ps(a, b)
#define SK_SUB(a, b) _mm256_sub_ps(a, b)
#define SK_MAX(a, b) _mm256_max_ps(a, b)
#define SK_STORE(p, v) _mm256_storeu_ps(p, v)
#define SK_HSUM(v) horizontalSum256(v)
#define SK_LOAD_PART(p, n) _mm256_maskload_ps(p, lowLanes256(n))
#define SK_STORE_PART(p, v, n) _mm256_maskstore_ps(p, lowLanes256(n), v)
#define SK_STORE_LANES(p, v, bits) _mm256_maskstore_ps(p, laneBits256(bits), v)
#define SK_GATHER(p, stride, n) gather256(p, stride, n)
#define SK_EVENS(p) evens256(p)
#define SK_DW_OUT 4
#define SK_DW_ROWS 3
// VMASKMOVPS stores cost about six plain ones on AMD Zen: NCHW stores and row moves avoid them.
#define SK_CHEAP_MASKED_STORES 0
#define SK_PERMUTE(v, index) _mm256_permutevar8x32_ps(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(index)))
#include "conv-direct-kernels.inc"
#include "conv-direct-row-moves.inc"

const DirectKernels* directKernels() {
  static const DirectKernels k512{16, {8, 3, avx512::imageRows<8, 3>, avx512::imageChannels<8, 3>},
                                  {4, 6, avx512::imageRows<4, 6>, avx512::imageChannels<4, 6>},
                                  {{2, 12, avx512::weightChunkByChannels<2, 12>}, {3, 8, avx512::weightChunkByChannels<3, 8>},
                                   {4, 6, avx512::weightChunkByChannels<4, 6>}},
                                  {avx512::imageByChannels<12, 2>, avx512::imageByChannels<8, 3>, avx512::imageByChannels<6, 4>},
                                  4, 6,
                                  avx512::weightChunk, avx512::copyRow, avx512::mapRow, avx512::zeroRow, avx512::stridedRow,
                                  avx512::fillPlane, avx512::extendChannel};
  static const DirectKernels k256{8, {4, 3, avx2::imageRows<4, 3>, avx2::imageChannels<4, 3>},
                                  {2, 6, avx2::imageRows<2, 6>, avx2::imageChannels<2, 6>},
                                  {{2, 6, avx2::weightChunkByChannels<2, 6>}, {3, 4, avx2::weightChunkByChannels<3, 4>},
                                   {4, 3, avx2::weightChunkByChannels<4, 3>}},
                                  {avx2::imageByChannels<6, 2>, avx2::imageByChannels<4, 3>, avx2::imageByChannels<3, 4>},
                                  4, 3,
                                  avx2::weightChunk, avx2::copyRow, avx2::mapRow, avx2::zeroRow, avx2::stridedRow,
                                  avx2::fillPlane, avx2::extendChannel};
  switch (fp32Isa(activeIsa())) {
    case Isa::Avx512: return &k512;
    case Isa::Avx2: return &k256;
    default: return nullptr;
  }
}

#else

const DirectKernels* directKernels() { return nullptr; }

#endif

}  // namespace skiplab::direct
