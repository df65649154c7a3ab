// The direct convolution's register-tiled loops with bf16 operands (see Bf16Kernels in
// conv-direct-internal.h for the pair layouts), compiled for AVX512-BF16 with target attributes
// and chosen at run time. Each VDPBF16PS does the work of two FP32 FMAs on the same vector
// width; accumulators stay FP32 for the whole reduction (Kalamkar et al. 2019, §3).
#include <algorithm>
#include <cstdint>

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
namespace {

#define BF16_ATTR __attribute__((target("avx512f,avx512bw,avx512bf16,avx2,fma")))

BF16_ATTR inline __m512bh loadPairs(const void* p) { return (__m512bh)_mm512_loadu_si512(p); }

/**
 * Forward tile: for OT output channels and QV vectors of 16 pixels, Σ_R wTile[R][i] · in[pairOffset[R] + q]
 * (each term a pair of channels), plus bias, stored into NCHW through the grid's segments.
 */
template <int OT, int QV>
BF16_ATTR void pairTile(const uint32_t* in, const int64_t* pairOffset, int64_t pairs, const uint32_t* wTile, float* const* out,
                        const float* bias, const StoreSegment* segments, const int* segmentCount) {
  __m512 acc[OT][QV];
#pragma GCC unroll 16
  for (int i = 0; i < OT; i++) {
#pragma GCC unroll 8
    for (int v = 0; v < QV; v++) acc[i][v] = _mm512_setzero_ps();
  }
  for (int64_t r = 0; r < pairs; r++) {
    const uint32_t* src = in + pairOffset[r];
    __m512bh xv[QV];
#pragma GCC unroll 8
    for (int v = 0; v < QV; v++) xv[v] = loadPairs(src + v * 16);
#pragma GCC unroll 16
    for (int i = 0; i < OT; i++) {
      const __m512bh wi = (__m512bh)_mm512_set1_epi32(static_cast<int>(wTile[i]));
#pragma GCC unroll 8
      for (int v = 0; v < QV; v++) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], wi, xv[v]);
    }
    wTile += OT;
  }
#pragma GCC unroll 16
  for (int i = 0; i < OT; i++) {
    if (!out[i]) continue;
    const __m512 b = _mm512_set1_ps(bias[i]);
#pragma GCC unroll 8
    for (int v = 0; v < QV; v++) {
      const __m512 value = _mm512_add_ps(acc[i][v], b);
      for (int k = 0; k < segmentCount[v]; k++) {
        const StoreSegment& seg = segments[v * kMaxSegments + k];
        _mm512_mask_storeu_ps(out[i] + seg.offset, static_cast<__mmask16>(seg.lanes), value);
      }
    }
  }
}

/** pairTile with QV = vectors, for the last, narrower block of pixels. */
template <int OT, int QV>
BF16_ATTR void pairTileOf(int64_t vectors, const uint32_t* in, const int64_t* pairOffset, int64_t pairs, const uint32_t* wTile,
                          float* const* out, const float* bias, const StoreSegment* segments, const int* segmentCount) {
  if constexpr (QV > 1) {
    if (vectors < QV) return pairTileOf<OT, QV - 1>(vectors, in, pairOffset, pairs, wTile, out, bias, segments, segmentCount);
  }
  pairTile<OT, QV>(in, pairOffset, pairs, wTile, out, bias, segments, segmentCount);
}

/** One image's forward: tiles [tileBegin, tileEnd) of OT channels over the Wq-wide grid, QT vectors at a time. */
template <int OT, int QT>
BF16_ATTR void pairImage(const uint32_t* in, const int64_t* pairOffset, int64_t pairs, const uint32_t* wPacked, int64_t tileBegin,
                         int64_t tileEnd, float* outImage, int64_t channels, int64_t plane, const float* bias, const GridShape& grid) {
  float* out[OT];
  float biasTile[OT];
  StoreSegment segments[QT * kMaxSegments];
  int segmentCount[QT];
  for (int64_t q0 = 0; q0 < grid.qPad; q0 += QT * 16) {
    const int64_t vectors = std::min<int64_t>(QT, (grid.qPad - q0) / 16);
    for (int64_t v = 0; v < vectors; v++) segmentCount[v] = gridSegments(grid, q0 + v * 16, 16, segments + v * kMaxSegments);
    for (int64_t tile = tileBegin; tile < tileEnd; tile++) {
      for (int j = 0; j < OT; j++) {
        const int64_t o = tile * OT + j;
        out[j] = o < channels ? outImage + o * plane : nullptr;
        biasTile[j] = bias && o < channels ? bias[o] : 0.0f;
      }
      pairTileOf<OT, QT>(vectors, in + q0, pairOffset, pairs, wPacked + tile * pairs * OT, out, biasTile, segments, segmentCount);
    }
  }
}

constexpr int kDwOut = 4;

/** dwPartial[o0 + i][r] += Σ over images and pixel pairs of dy[o0 + i][q] · x[rowOffset[r] + q], lanes summed once. */
template <int ROWS>
BF16_ATTR void weightTile(const uint16_t* const* dyImages, const uint16_t* const* xImages, int64_t images, int64_t qPad, int64_t o0,
                          const int64_t* rowOffset, float* dwPartial, int64_t rowsTotal) {
  __m512 acc[kDwOut][ROWS];
#pragma GCC unroll 8
  for (int i = 0; i < kDwOut; i++) {
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++) acc[i][r] = _mm512_setzero_ps();
  }
  for (int64_t n = 0; n < images; n++) {
    const uint16_t* dy = dyImages[n] + o0 * qPad;
    const uint16_t* src[ROWS];
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++) src[r] = xImages[n] + rowOffset[r];
    for (int64_t q = 0; q < qPad; q += 32) {
      __m512bh xv[ROWS];
#pragma GCC unroll 8
      for (int r = 0; r < ROWS; r++) xv[r] = loadPairs(src[r] + q);
#pragma GCC unroll 8
      for (int i = 0; i < kDwOut; i++) {
        const __m512bh d = loadPairs(dy + i * qPad + q);
#pragma GCC unroll 8
        for (int r = 0; r < ROWS; r++) acc[i][r] = _mm512_dpbf16_ps(acc[i][r], d, xv[r]);
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < kDwOut; i++) {
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++) dwPartial[(o0 + i) * rowsTotal + r] += _mm512_reduce_add_ps(acc[i][r]);
  }
}

BF16_ATTR void weightChunk(const uint16_t* const* dyImages, const uint16_t* const* xImages, int64_t images, int64_t qPad,
                           int64_t outTiles, const int64_t* rowOffset, int64_t rows, float* dwPartial) {
  constexpr int kRows = 6;  // 4 × 6 accumulators, 6 input vectors and one dy vector: 31 of 32 registers
  for (int64_t tile = 0; tile < outTiles; tile++) {
    int64_t r = 0;
    for (; r + kRows <= rows; r += kRows) weightTile<kRows>(dyImages, xImages, images, qPad, tile * kDwOut, rowOffset + r, dwPartial + r, rows);
    for (; r < rows; r++) weightTile<1>(dyImages, xImages, images, qPad, tile * kDwOut, rowOffset + r, dwPartial + r, rows);
  }
}

/**
 * Small planes, forward: outT[p][o0 + j·16 + l] (=|+=) Σ_R x[pairOffset[R] + pixel[p]] · wT[R][o]
 * for PB pixels and OV vectors of output channels, each term a pair of input channels; only real
 * pixels are computed (no unused grid columns).
 */
template <int PB, int OV>
BF16_ATTR void pixelTile(const uint32_t* x, const int64_t* pairOffset, int64_t pairs, const int64_t* pixel, const uint32_t* wT,
                         int64_t channels, float* outT, bool accumulate) {
  __m512 acc[PB][OV];
#pragma GCC unroll 16
  for (int p = 0; p < PB; p++) {
#pragma GCC unroll 4
    for (int j = 0; j < OV; j++) acc[p][j] = accumulate ? _mm512_loadu_ps(outT + p * channels + j * 16) : _mm512_setzero_ps();
  }
  for (int64_t r = 0; r < pairs; r++, wT += channels) {
    const uint32_t* src = x + pairOffset[r];
    __m512bh wv[OV];
#pragma GCC unroll 4
    for (int j = 0; j < OV; j++) wv[j] = loadPairs(wT + j * 16);
#pragma GCC unroll 16
    for (int p = 0; p < PB; p++) {
      const __m512bh b = (__m512bh)_mm512_set1_epi32(static_cast<int>(src[pixel[p]]));
#pragma GCC unroll 4
      for (int j = 0; j < OV; j++) acc[p][j] = _mm512_dpbf16_ps(acc[p][j], b, wv[j]);
    }
  }
#pragma GCC unroll 16
  for (int p = 0; p < PB; p++) {
#pragma GCC unroll 4
    for (int j = 0; j < OV; j++) _mm512_storeu_ps(outT + p * channels + j * 16, acc[p][j]);
  }
}

template <int PB, int OV>
BF16_ATTR void pixelTileOf(int64_t count, const uint32_t* x, const int64_t* pairOffset, int64_t pairs, const int64_t* pixel,
                           const uint32_t* wT, int64_t channels, float* outT, bool accumulate) {
  if constexpr (PB > 1) {
    if (count < PB) return pixelTileOf<PB - 1, OV>(count, x, pairOffset, pairs, pixel, wT, channels, outT, accumulate);
  }
  pixelTile<PB, OV>(x, pairOffset, pairs, pixel, wT, channels, outT, accumulate);
}

/** One image: pair rows in blocks of 64 (their weights stay in L1 while every pixel tile uses them), pixels PB at a time. */
template <int PB, int OV>
BF16_ATTR void forwardByChannels(const uint32_t* x, const int64_t* pairOffset, int64_t pairs, const int64_t* pixel, int64_t plane,
                                 const uint32_t* wT, int64_t channels, int64_t o0, float* outT) {
  for (int64_t r0 = 0; r0 < pairs; r0 += 64) {
    const int64_t block = std::min<int64_t>(64, pairs - r0);
    for (int64_t p0 = 0; p0 < plane; p0 += PB) {
      pixelTileOf<PB, OV>(std::min<int64_t>(PB, plane - p0), x, pairOffset + r0, block, pixel + p0, wT + r0 * channels + o0, channels,
                          outT + p0 * channels + o0, r0 > 0);
    }
  }
}

/**
 * Small planes, weight gradient: dwT[r][o] += Σ_n Σ_P x_n[rowOffset[r] + pixel[P] + (0, 1)] · dyPairs_n[P][o]
 * for RB input rows and OV vectors of output channels, each term a pair of neighbouring pixels
 * (2P, 2P + 1) of one output row; only real pixels, no lane sums.
 */
template <int OV, int RB>
BF16_ATTR void weightTileByChannels(const uint32_t* const* dyPairs, const uint16_t* const* xImages, int64_t images, const int64_t* pixel,
                                    int64_t pixelPairs, int64_t channels, int64_t o0, const int64_t* rowOffset, float* dwT) {
  __m512 acc[RB][OV];
#pragma GCC unroll 16
  for (int r = 0; r < RB; r++) {
#pragma GCC unroll 4
    for (int j = 0; j < OV; j++) acc[r][j] = _mm512_loadu_ps(dwT + r * channels + o0 + j * 16);
  }
  for (int64_t n = 0; n < images; n++) {
    const uint32_t* d = dyPairs[n] + o0;
    const uint16_t* src[RB];
#pragma GCC unroll 16
    for (int r = 0; r < RB; r++) src[r] = xImages[n] + rowOffset[r];
    for (int64_t q = 0; q < pixelPairs; q++, d += channels) {
      const int64_t g = pixel[q];
      __m512bh dv[OV];
#pragma GCC unroll 4
      for (int j = 0; j < OV; j++) dv[j] = loadPairs(d + j * 16);
#pragma GCC unroll 16
      for (int r = 0; r < RB; r++) {
        uint32_t pair;
        __builtin_memcpy(&pair, src[r] + g, sizeof pair);
        const __m512bh b = (__m512bh)_mm512_set1_epi32(static_cast<int>(pair));
#pragma GCC unroll 4
        for (int j = 0; j < OV; j++) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], b, dv[j]);
      }
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < RB; r++) {
#pragma GCC unroll 4
    for (int j = 0; j < OV; j++) _mm512_storeu_ps(dwT + r * channels + o0 + j * 16, acc[r][j]);
  }
}

template <int OV, int RB>
BF16_ATTR void weightByChannels(const uint32_t* const* dyPairs, const uint16_t* const* xImages, int64_t images, const int64_t* pixel,
                                int64_t pixelPairs, int64_t channels, int64_t o0, const int64_t* rowOffset, int64_t rows, float* dwT) {
  int64_t r = 0;
  for (; r + RB <= rows; r += RB) {
    weightTileByChannels<OV, RB>(dyPairs, xImages, images, pixel, pixelPairs, channels, o0, rowOffset + r, dwT + r * channels);
  }
  for (; r < rows; r++) weightTileByChannels<OV, 1>(dyPairs, xImages, images, pixel, pixelPairs, channels, o0, rowOffset + r, dwT + r * channels);
}

BF16_ATTR void toPairs(const float* a, const float* b, int64_t n, uint32_t* dst) {
  // cvtne2ps gives a's 16 values in the low half and b's in the high half; interleave them.
  alignas(64) static const uint16_t kInterleave[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                                       8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i index = _mm512_load_si512(kInterleave);
  for (int64_t j = 0; j < n; j += 16) {
    const __m512 high = b ? _mm512_loadu_ps(b + j) : _mm512_setzero_ps();
    const __m512i halves = (__m512i)_mm512_cvtne2ps_pbh(high, _mm512_loadu_ps(a + j));
    _mm512_storeu_si512(dst + j, _mm512_permutexvar_epi16(index, halves));
  }
}

BF16_ATTR void toBf16(const float* src, int64_t n, uint16_t* dst) {
  for (int64_t j = 0; j < n; j += 32) {
    _mm512_storeu_si512(dst + j, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + j + 16), _mm512_loadu_ps(src + j)));
  }
}

BF16_ATTR void roundFloats(const float* src, int64_t n, float* dst) {
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 mask = n - j >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - j)) - 1u);
    const __m256i bits = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, src + j));
    _mm512_mask_storeu_ps(dst + j, mask, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16)));
  }
}

BF16_ATTR double dotLoop(int64_t iterations) {
  __m512 acc[16];
  const __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f7f3f7f), y = (__m512bh)_mm512_set1_epi32(0x33d633d6);  // 0.996, 1e-7
  for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iterations; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) acc[i] = _mm512_dpbf16_ps(acc[i], x, y);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < 16; i++) sum = _mm512_add_ps(sum, acc[i]);
  volatile float sink = _mm512_reduce_add_ps(sum);
  (void)sink;
  return static_cast<double>(iterations) * 16 * 32 * 2;
}

}  // namespace

const Bf16Kernels* bf16Kernels() {
  static const Bf16Kernels kernels{8, pairImage<8, 3>,
                                   {forwardByChannels<12, 2>, forwardByChannels<8, 3>, forwardByChannels<6, 4>},
                                   kDwOut, weightChunk,
                                   {weightByChannels<2, 12>, weightByChannels<3, 8>, weightByChannels<4, 6>},
                                   toPairs, toBf16, roundFloats};
  return activeIsa() == Isa::Avx512Bf16 ? &kernels : nullptr;
}

#else

const Bf16Kernels* bf16Kernels() { return nullptr; }

#endif

}  // namespace skiplab::direct

namespace skiplab {

double bf16DotLoop(Isa isa, int64_t iterations) {
#ifdef SKIPLAB_X86
  if (isa == Isa::Avx512Bf16) return direct::dotLoop(iterations);
#endif
  return 0.0;
}

}  // namespace skiplab
