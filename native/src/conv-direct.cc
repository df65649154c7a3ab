// Direct convolution for stride-1, undilated, ungrouped convolutions (the 3×3 layers that
// dominate ResNet, DenseNet and U-Net), without an im2col matrix.
//
// The trick: pad each input channel into a buffer whose rows are Wq ≥ W + pw wide and compute
// the output on the same row width (OH rows of Wq pixels, the last Wq − OW of each row unused).
// Then output pixel q and tap (ky, kx) read input element q + ky·Wq + kx — one fixed offset per
// tap — so a vector of consecutive output pixels is a plain (unaligned) load of the padded input,
// and a register tile of output channels × pixel vectors accumulates over channels and taps with
// no gathering at all. im2col writes KH·KW copies of the input and reads them back for every
// output-channel tile; for the narrow layers of CIFAR networks (16–64 channels) that traffic,
// not arithmetic, was the bound (conv.cc's header). Strides are handled by splitting the padded
// input into its sh·sw phases (pixels (i·sh + py, j·sw + px)), each tap reading one phase at a
// fixed offset: a strided convolution becomes a sum of stride-1 ones. The same layout serves:
//   forward          out = Σ_c,t w[o][c][t] · xp[c][q + offset(t)]
//   backward input   stride 1: the forward of dy with the weights flipped and in/out swapped,
//                    padding (K − 1)·d − p; otherwise buffer[c][q + offset(t)] += Σ_o w[o][c][t] ·
//                    dyExt[o][q], then the buffer is gathered back to NCHW
//   backward weight  dw[o][c][t] = Σ_n,q dyExt[o][q] · xp[c][q + offset(t)], dyExt being dy on
//                    the Wq-wide grid with zeros in the unused columns
// Every output element is summed by one thread in an order fixed by the shape alone, so results
// are bit-identical run to run and at any thread count.
#include "conv-direct.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SKIPLAB_X86 1
// GCC 12's AVX-512 headers trip -Wuninitialized on their own _mm512_undefined_* (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace skiplab {

#ifdef SKIPLAB_X86
namespace {

/** Lanes [first, first + count) of a pixel vector, stored at channel + offset + lane. */
struct StoreSegment {
  int64_t offset;
  uint32_t lanes;  // bit l set: lane l is stored
};
constexpr int kMaxSegments = 17;  // a vector of at most 16 lanes crosses at most 16 row ends

/** Where the direct kernels' results go (rowTile's store phase). */
struct TileStore {
  float* const* out;  // per tile row: its first pixel (plain / accumulate), or its NCHW channel (null: skip)
  bool accumulate;
  const StoreSegment* segments;  // non-null: NCHW mode, kMaxSegments per pixel vector
  const int* segmentCount;
  const float* bias;  // NCHW mode: per tile row
};

/** The output grid: OH rows of Wq pixels of which the first OW are real, padded to qPad. */
struct GridShape {
  int64_t wq, ow, qValid, qPad;
};

/** The runs of real pixels among grid pixels [q0, q0 + lanes): one per output row touched. */
int gridSegments(const GridShape& g, int64_t q0, int64_t lanes, StoreSegment* out) {
  int count = 0;
  for (int64_t y = q0 / g.wq; y * g.wq < q0 + lanes && y * g.wq < g.qValid; y++) {
    const int64_t a = std::max(q0, y * g.wq), b = std::min(q0 + lanes, y * g.wq + g.ow);
    if (a >= b) continue;
    const uint32_t lanesMask = ((b - q0 >= 32 ? 0u : (1u << (b - q0))) - 1u) & ~((1u << (a - q0)) - 1u);
    out[count++] = {q0 - y * (g.wq - g.ow), lanesMask};  // grid pixel q lands at q − y·(Wq − OW)
  }
  return count;
}

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
#define SK_STORE(p, v) _mm512_storeu_ps(p, v)
#define SK_HSUM(v) _mm512_reduce_add_ps(v)
#define SK_LOAD_PART(p, n) _mm512_maskz_loadu_ps(lowLanes512(n), p)
#define SK_STORE_PART(p, v, n) _mm512_mask_storeu_ps(p, lowLanes512(n), v)
#define SK_STORE_LANES(p, v, bits) _mm512_mask_storeu_ps(p, static_cast<__mmask16>(bits), v)
#define SK_GATHER(p, stride, n) gather512(p, stride, n)
#define SK_EVENS(p) evens512(p)
#define SK_DW_OUT 4
#define SK_DW_ROWS 6
#include "conv-direct-kernels.inc"
#undef SK_NS
#undef SK_ATTR
#undef SK_VEC
#undef SK_LANES
#undef SK_ZERO
#undef SK_LOAD
#undef SK_SET1
#undef SK_FMA
#undef SK_ADD
#undef SK_STORE
#undef SK_HSUM
#undef SK_LOAD_PART
#undef SK_STORE_PART
#undef SK_STORE_LANES
#undef SK_GATHER
#undef SK_EVENS
#undef SK_DW_OUT
#undef SK_DW_ROWS

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
#define SK_STORE(p, v) _mm256_storeu_ps(p, v)
#define SK_HSUM(v) horizontalSum256(v)
#define SK_LOAD_PART(p, n) _mm256_maskload_ps(p, lowLanes256(n))
#define SK_STORE_PART(p, v, n) _mm256_maskstore_ps(p, lowLanes256(n), v)
#define SK_STORE_LANES(p, v, bits) _mm256_maskstore_ps(p, laneBits256(bits), v)
#define SK_GATHER(p, stride, n) gather256(p, stride, n)
#define SK_EVENS(p) evens256(p)
#define SK_DW_OUT 4
#define SK_DW_ROWS 3
#include "conv-direct-kernels.inc"

using ImageRows = void (*)(const float*, const int64_t*, int64_t, const float*, int64_t, int64_t, float*, const int64_t*,
                           int64_t, float*, int64_t);
using ImageChannels = void (*)(const float*, const int64_t*, int64_t, const float*, int64_t, int64_t, float*, int64_t, int64_t,
                               const float*, const GridShape&);
/** A register tile of output rows × pixel vectors, and the loops that sweep an image with it. */
struct RowTiling {
  int outTile, qTile;
  ImageRows imageRows;          // scatter-add into buffer rows
  ImageChannels imageChannels;  // forward into NCHW channels
};

using WeightByChannels = void (*)(const float* const*, const float* const*, int64_t, const int64_t*, int64_t, int64_t,
                                  int64_t, const int64_t*, int64_t, int64_t, float*);
/** The weight gradient with `vectors` vectors of output channels in registers, `rows` input rows at a time. */
struct ChannelTiling {
  int vectors, rows;
  WeightByChannels run;
};

using ForwardByChannels = void (*)(const float*, const int64_t*, int64_t, const int64_t*, int64_t, const float*, int64_t, int64_t,
                                   float*);

struct DirectKernels {
  int lanes;
  RowTiling wide, narrow;  // narrow: half the rows, twice the pixels (for row counts like 12)
  ChannelTiling byChannels[3];  // weight gradient with 2, 3 and 4 vectors of output channels
  ForwardByChannels forwardByChannels[3];  // forward with 2, 3 and 4 vectors of output channels
  int dwOut, dwRows;
  void (*weightChunk)(const float* const*, const float* const*, int64_t, int64_t, int64_t, const int64_t*, int64_t, int64_t,
                      float*, int64_t);
  void (*copyRow)(float*, const float*, int64_t, float);
  void (*zeroRow)(float*, int64_t);
  void (*stridedRow)(float*, const float*, int64_t, int64_t);
};

const DirectKernels* directKernels() {
  static const DirectKernels k512{16, {8, 3, avx512::imageRows<8, 3>, avx512::imageChannels<8, 3>},
                                  {4, 6, avx512::imageRows<4, 6>, avx512::imageChannels<4, 6>},
                                  {{2, 12, avx512::weightChunkByChannels<2, 12>}, {3, 8, avx512::weightChunkByChannels<3, 8>},
                                   {4, 6, avx512::weightChunkByChannels<4, 6>}},
                                  {avx512::imageByChannels<12, 2>, avx512::imageByChannels<8, 3>, avx512::imageByChannels<6, 4>},
                                  4, 6,
                                  avx512::weightChunk, avx512::copyRow, avx512::zeroRow, avx512::stridedRow};
  static const DirectKernels k256{8, {4, 3, avx2::imageRows<4, 3>, avx2::imageChannels<4, 3>},
                                  {2, 6, avx2::imageRows<2, 6>, avx2::imageChannels<2, 6>},
                                  {{2, 6, avx2::weightChunkByChannels<2, 6>}, {3, 4, avx2::weightChunkByChannels<3, 4>},
                                   {4, 3, avx2::weightChunkByChannels<4, 3>}},
                                  {avx2::imageByChannels<6, 2>, avx2::imageByChannels<4, 3>, avx2::imageByChannels<3, 4>},
                                  4, 3,
                                  avx2::weightChunk, avx2::copyRow, avx2::zeroRow, avx2::stridedRow};
  switch (activeIsa()) {
    case Isa::Avx512: return &k512;
    case Isa::Avx2: return &k256;
    default: return nullptr;
  }
}

int64_t roundUp(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

/** The tiling that wastes fewer padded rows on `rows` outputs (the wide one on a tie). */
const RowTiling& tilingFor(const DirectKernels& k, int64_t rows) {
  return roundUp(rows, k.narrow.outTile) < roundUp(rows, k.wide.outTile) ? k.narrow : k.wide;
}

/**
 * The polyphase, padded layout of one convolution's input (see the file comment). Phase (py, px)
 * holds padded pixels (i·sh + py, j·sw + px) as a Hq × Wq plane; tap (ky, kx) reads phase
 * ((ky·dh) mod sh, (kx·dw) mod sw) at offset ⌊ky·dh / sh⌋·Wq + ⌊kx·dw / sw⌋ from the output pixel.
 * With stride 1 there is one phase: the zero-padded image itself.
 */
struct DirectLayout {
  const ConvShape& s;
  const DirectKernels& k;
  int64_t wq, hq, qValid, qPad, channelStride;
  std::vector<int> phaseIndex;  // per phase py·sw + px: its slot in the buffer, or −1 if no tap reads it
  std::vector<int> phaseOf;     // per slot: the phase
  std::vector<int64_t> rowOffset;  // per input row r = c·KH·KW + t: where its values start

  DirectLayout(const ConvShape& shape, const DirectKernels& kernels) : s(shape), k(kernels) {
    const int lanes = k.lanes;
    wq = s.ow + ((s.kw - 1) * s.dw) / s.sw;
    if (s.sh == 1 && s.sw == 1) {
      // One run of pw zeros serves as the right padding of a row and the left padding of the
      // next: a tap reading past the row's end wraps into those zeros. That narrows the grid
      // from W + 2·pw to W + pw columns, so fewer unused outputs are computed (1 in 9 instead of
      // 2 in 10 on an 8-wide image).
      wq = std::max({s.w + s.pw, s.ow + (s.kw - 1) * s.dw - s.pw, s.ow});
    }
    hq = s.oh + ((s.kh - 1) * s.dh) / s.sh;
    qValid = s.oh * wq;
    qPad = roundUp(qValid, lanes);
    const int64_t maxOffset = ((s.kh - 1) * s.dh / s.sh) * wq + ((s.kw - 1) * s.dw) / s.sw;
    channelStride = roundUp(std::max(qPad + maxOffset, hq * wq), lanes);
    phaseIndex.assign(static_cast<size_t>(s.sh * s.sw), -1);
    const int64_t taps = s.kh * s.kw;
    std::vector<int64_t> tapSlot(static_cast<size_t>(taps)), tapOffset(static_cast<size_t>(taps));
    for (int64_t t = 0; t < taps; t++) {
      const int64_t dy = (t / s.kw) * s.dh, dx = (t % s.kw) * s.dw;
      const int64_t phase = (dy % s.sh) * s.sw + dx % s.sw;
      if (phaseIndex[phase] < 0) {
        phaseIndex[phase] = static_cast<int>(phaseOf.size());
        phaseOf.push_back(static_cast<int>(phase));
      }
      tapSlot[t] = phaseIndex[phase];
      tapOffset[t] = (dy / s.sh) * wq + dx / s.sw;
    }
    rowOffset.resize(static_cast<size_t>(s.c * taps));
    for (int64_t c = 0; c < s.c; c++) {
      for (int64_t t = 0; t < taps; t++) rowOffset[c * taps + t] = (tapSlot[t] * s.c + c) * channelStride + tapOffset[t];
    }
  }
  int64_t rows() const { return static_cast<int64_t>(rowOffset.size()); }
  int64_t bufferFloats() const { return static_cast<int64_t>(phaseOf.size()) * s.c * channelStride; }

  /** Fill the buffer from one NCHW image: zeros wherever the padded pixel lies outside it. */
  void fill(const float* image, float* buffer) const {
    // Strided phases have short rows (17 floats for a 32-wide image at stride 2): one bulk clear
    // is cheaper there than clearing each row's padding; at stride 1 only the padding is cleared.
    const bool bulkClear = s.sw > 1;
    if (bulkClear) k.zeroRow(buffer, bufferFloats());
    for (size_t slot = 0; slot < phaseOf.size(); slot++) {
      const int64_t py = phaseOf[slot] / s.sw, px = phaseOf[slot] % s.sw;
      // Plane columns j whose input column j·sw + px − pw lies in [0, W).
      int64_t j0 = 0, j1 = wq;
      while (j0 < wq && j0 * s.sw + px - s.pw < 0) j0++;
      while (j1 > j0 && (j1 - 1) * s.sw + px - s.pw >= s.w) j1--;
      for (int64_t c = 0; c < s.c; c++) {
        float* plane = buffer + (static_cast<int64_t>(slot) * s.c + c) * channelStride;
        const float* channel = image + c * s.h * s.w + px - s.pw + j0 * s.sw;
        for (int64_t i = 0; i < hq; i++) {
          float* dst = plane + i * wq;
          const int64_t y = i * s.sh + py - s.ph;
          if (y < 0 || y >= s.h) {
            if (!bulkClear) k.zeroRow(dst, wq);
            continue;
          }
          if (!bulkClear) k.zeroRow(dst, j0);
          if (s.sw == 1) {
            k.copyRow(dst + j0, channel + y * s.w, j1 - j0, 0.0f);
          } else {
            k.stridedRow(dst + j0, channel + y * s.w, j1 - j0, s.sw);
          }
          if (!bulkClear) k.zeroRow(dst + j1, wq - j1);
        }
        if (!bulkClear) k.zeroRow(plane + hq * wq, channelStride - hq * wq);
      }
    }
  }

  /** The adjoint of fill: each image pixel takes its buffer value (zero if no tap reads it). */
  void gather(const float* buffer, float* image) const {
    if (phaseOf.size() < static_cast<size_t>(s.sh * s.sw) || hq * s.sh < s.h + s.ph || wq * s.sw < s.w + s.pw) {
      std::memset(image, 0, sizeof(float) * s.c * s.h * s.w);  // some pixels are read by no tap
    }
    for (size_t slot = 0; slot < phaseOf.size(); slot++) {
      const int64_t py = phaseOf[slot] / s.sw, px = phaseOf[slot] % s.sw;
      int64_t j0 = 0, j1 = wq;
      while (j0 < wq && j0 * s.sw + px - s.pw < 0) j0++;
      while (j1 > j0 && (j1 - 1) * s.sw + px - s.pw >= s.w) j1--;
      for (int64_t c = 0; c < s.c; c++) {
        const float* plane = buffer + (static_cast<int64_t>(slot) * s.c + c) * channelStride;
        float* channel = image + c * s.h * s.w;
        for (int64_t i = 0; i < hq; i++) {
          const int64_t y = i * s.sh + py - s.ph;
          if (y < 0 || y >= s.h) continue;
          const float* src = plane + i * wq;
          float* dst = channel + y * s.w + px - s.pw;
          if (s.sw == 1) {
            k.copyRow(dst + j0, src + j0, j1 - j0, 0.0f);
          } else {
            for (int64_t j = j0; j < j1; j++) dst[j * s.sw] = src[j];
          }
        }
      }
    }
  }

  /** dy of one image on the Wq-wide grid (rows of qPad), zeros in the unused columns and tail. */
  void extendGradient(const float* dyImage, float* dyExt) const {
    for (int64_t o = 0; o < s.o; o++) {
      float* row = dyExt + o * qPad;
      for (int64_t y = 0; y < s.oh; y++) {
        k.copyRow(row + y * wq, dyImage + (o * s.oh + y) * s.ow, s.ow, 0.0f);
        k.zeroRow(row + y * wq + s.ow, wq - s.ow);
      }
      k.zeroRow(row + qValid, qPad - qValid);
    }
  }
};

/** packed[tile][k][i] = m(tile·T + i, k) for a rows × cols matrix with the given strides; zero past the last row. */
void packTiles(const float* m, int64_t rows, int64_t cols, int64_t rowStride, int64_t colStride, int tile, float* packed) {
  const int64_t tiles = (rows + tile - 1) / tile;
  for (int64_t t0 = 0; t0 < tiles; t0++) {
    float* dst = packed + t0 * cols * tile;
    for (int64_t k = 0; k < cols; k++) {
      for (int i = 0; i < tile; i++) {
        const int64_t row = t0 * tile + i;
        dst[k * tile + i] = row < rows ? m[row * rowStride + k * colStride] : 0.0f;
      }
    }
  }
}

/** Rows 0, stride, 2·stride, …: the output rows of a dense (rows × qPad) matrix. */
std::vector<int64_t> denseRows(int64_t rows, int64_t stride) {
  std::vector<int64_t> offsets(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; r++) offsets[r] = r * stride;
  return offsets;
}

/** Forward with the weights already packed as [tile][row][channel in tile]. */
void forwardPacked(const DirectKernels& k, const RowTiling& tiling, const ConvShape& s, const float* x, const float* packed,
                   const float* bias, float* out) {
  const DirectLayout l(s, k);
  const GridShape grid{l.wq, s.ow, l.qValid, l.qPad};
  const int64_t tiles = (s.o + tiling.outTile - 1) / tiling.outTile;
  const int64_t imageIn = s.c * s.h * s.w, plane = s.oh * s.ow, imageOut = s.o * plane;
  const size_t bufferFloats = static_cast<size_t>(l.bufferFloats());
  const auto image = [&](int64_t n, const float* buffer, int64_t t0, int64_t t1) {
    tiling.imageChannels(buffer, l.rowOffset.data(), l.rows(), packed, t0, t1, out + n * imageOut, s.o, plane, bias, grid);
  };
  const int threads = threadCount();
  if (s.n >= threads || inParallelRegion()) {
    parallelParts(threads, [&](int part) {
      float* buffer = scratch(ScratchSlot::ConvInput, bufferFloats);
      for (int64_t n = s.n * part / threads; n < s.n * (part + 1) / threads; n++) {
        l.fill(x + n * imageIn, buffer);
        image(n, buffer, 0, tiles);
      }
    });
    return;
  }
  // Fewer images than threads: fill each image's buffer once, split its output-channel tiles.
  float* buffer = scratch(ScratchSlot::ConvInput, bufferFloats);
  for (int64_t n = 0; n < s.n; n++) {
    l.fill(x + n * imageIn, buffer);
    const int parts = static_cast<int>(std::min<int64_t>(threads, tiles));
    parallelParts(parts, [&](int part) { image(n, buffer, tiles * part / parts, tiles * (part + 1) / parts); });
  }
}

/** Channel groups of up to 4 vectors; the last two share what is left so none has fewer than 2 (5: 3 + 2). */
std::vector<std::pair<int64_t, int>> channelGroups(int64_t channels, int lanes) {
  std::vector<std::pair<int64_t, int>> groups;  // (first channel, vectors)
  for (int64_t v = 0, vectors = channels / lanes; v < vectors;) {
    const int64_t left = vectors - v, take = left <= 4 ? left : left < 6 ? left - 2 : 4;
    groups.emplace_back(v * lanes, static_cast<int>(take));
    v += take;
  }
  return groups;
}

/** Weight gradients of planes up to 16 × 16 use output-channel vectors when the channels fill at least two. */
bool channelVectorsApply(const DirectKernels& k, const ConvShape& s) {
  return s.o % k.lanes == 0 && s.o >= 2 * k.lanes && s.oh * s.ow <= 256;
}

/**
 * Forwards too, but only on planes of about 8 × 8 with at least 4 channel vectors, where the
 * Wq-wide grid wastes a fifth of the FMAs (measured: 13 % faster on ResNet's 64-channel 8 × 8
 * layers; slower on 16 × 16 and on 4 × 4, where pixel tiles are mostly tail).
 */
bool channelVectorsForwardApply(const DirectKernels& k, const ConvShape& s) {
  return s.o % k.lanes == 0 && s.o >= 4 * k.lanes && s.oh * s.ow > 32 && s.oh * s.ow <= 64;
}

/**
 * Forward on small planes with output channels in registers (imageByChannels): only the real
 * pixels are computed, into [pixel][channel] per image, then transposed into NCHW.
 */
void forwardByChannels(const DirectKernels& k, const ConvShape& s, const float* x, const float* w, const float* bias, float* out) {
  const DirectLayout l(s, k);
  const int64_t rows = l.rows(), plane = s.oh * s.ow;
  const int64_t imageIn = s.c * s.h * s.w, imageOut = s.o * plane;
  float* wT = scratch(ScratchSlot::ConvWeights, static_cast<size_t>(rows * s.o));  // [row][output channel]
  for (int64_t o = 0; o < s.o; o++) {
    for (int64_t r = 0; r < rows; r++) wT[r * s.o + o] = w[o * rows + r];
  }
  std::vector<int64_t> pixel(static_cast<size_t>(plane));
  for (int64_t p = 0; p < plane; p++) pixel[p] = (p / s.ow) * l.wq + p % s.ow;
  const auto groups = channelGroups(s.o, k.lanes);
  const int parts = static_cast<int>(std::min<int64_t>(inParallelRegion() ? 1 : threadCount(), s.n));
  parallelParts(parts, [&](int part) {
    float* buffer = scratch(ScratchSlot::ConvInput, static_cast<size_t>(l.bufferFloats()));
    float* outT = scratch(ScratchSlot::ConvOutput, static_cast<size_t>(imageOut));
    for (int64_t n = s.n * part / parts; n < s.n * (part + 1) / parts; n++) {
      l.fill(x + n * imageIn, buffer);
      for (const auto& [o0, vectors] : groups) {
        k.forwardByChannels[vectors - 2](buffer, l.rowOffset.data(), rows, pixel.data(), plane, wT, s.o, o0, outT);
      }
      float* image = out + n * imageOut;
      for (int64_t o = 0; o < s.o; o++) {
        const float b = bias ? bias[o] : 0.0f;
        float* dst = image + o * plane;
        for (int64_t p = 0; p < plane; p++) dst[p] = outT[p * s.o + o] + b;
      }
    }
  });
}

/** Forward of weights w (O × C·KH·KW): output-channel vectors on small planes, else row tiles. */
void forwardDirect(const DirectKernels& k, const ConvShape& s, const float* x, const float* w, const float* bias, float* out) {
  if (channelVectorsForwardApply(k, s)) return forwardByChannels(k, s, x, w, bias, out);
  const RowTiling& tiling = tilingFor(k, s.o);
  const int64_t rows = s.c * s.kh * s.kw, tiles = (s.o + tiling.outTile - 1) / tiling.outTile;
  float* packed = scratch(ScratchSlot::ConvWeights, static_cast<size_t>(tiles * tiling.outTile * rows));
  packTiles(w, s.o, rows, rows, 1, tiling.outTile, packed);
  forwardPacked(k, tiling, s, x, packed, bias, out);
}

/**
 * Input gradient by scattering: for each image, buffer[row r] += Σ_o w[o][r] · dyExt[o] (tiles of
 * rows r in registers), then gather the buffer back to NCHW. Any stride and dilation.
 */
void backwardInputScatter(const DirectKernels& k, const ConvShape& s, const float* dy, const float* w, float* dx) {
  const DirectLayout l(s, k);
  const int64_t rows = l.rows();
  const RowTiling& tiling = tilingFor(k, rows);
  const int64_t tiles = (rows + tiling.outTile - 1) / tiling.outTile;
  float* packed = scratch(ScratchSlot::ConvWeights, static_cast<size_t>(tiles * tiling.outTile * s.o));
  packTiles(w, rows, s.o, 1, rows, tiling.outTile, packed);  // packed[tile][o][i] = w[o][tile·T + i]
  const std::vector<int64_t> dyRows = denseRows(s.o, l.qPad);
  const int64_t imageIn = s.c * s.h * s.w, imageOut = s.o * s.oh * s.ow;
  const size_t bufferFloats = static_cast<size_t>(l.bufferFloats()), dyFloats = static_cast<size_t>(s.o * l.qPad);
  const int threads = inParallelRegion() ? 1 : static_cast<int>(std::min<int64_t>(threadCount(), s.n));
  parallelParts(threads, [&](int part) {
    float* buffer = scratch(ScratchSlot::ConvInput, bufferFloats);
    float* dyExt = scratch(ScratchSlot::ConvOutput, dyFloats + tiling.qTile * k.lanes);
    float* sink = dyExt + dyFloats;
    for (int64_t n = s.n * part / threads; n < s.n * (part + 1) / threads; n++) {
      l.extendGradient(dy + n * imageOut, dyExt);
      std::memset(buffer, 0, sizeof(float) * bufferFloats);
      tiling.imageRows(dyExt, dyRows.data(), s.o, packed, 0, tiles, buffer, l.rowOffset.data(), rows, sink, l.qPad);
      l.gather(buffer, dx + n * imageIn);
    }
  });
}

}  // namespace

bool directConvApplies(const ConvShape& s) {
  if (!directKernels()) return false;
  // A 1×1, stride-1, unpadded convolution is a plain GEMM (conv.cc).
  const bool plainPointwise = s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0;
  return !plainPointwise && s.groups == 1 && s.sh * s.sw <= 64 && s.oh > 0 && s.ow > 0;
}

void directConvForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* out) {
  forwardDirect(*directKernels(), s, x, w, bias, out);
}

void directConvBackwardInput(const ConvShape& s, const float* dy, const float* w, float* dx) {
  const DirectKernels& k = *directKernels();
  const int64_t padY = (s.kh - 1) * s.dh - s.ph, padX = (s.kw - 1) * s.dw - s.pw;
  if (s.sh != 1 || s.sw != 1 || padY < 0 || padX < 0) return backwardInputScatter(k, s, dy, w, dx);
  // Stride 1: dx is the convolution of dy with w'[c][o][ky][kx] = w[o][c][KH−1−ky][KW−1−kx] and
  // padding (K − 1)·d − p, which keeps whole tiles of dx in registers (no scatter).
  const ConvShape t{s.n, s.o, s.oh, s.ow, s.c, s.h, s.w, s.kh, s.kw, 1, 1, padY, padX, s.dh, s.dw, 1};
  const int64_t taps = s.kh * s.kw;
  float* flipped = scratch(ScratchSlot::Column, static_cast<size_t>(s.o * s.c * taps));
  for (int64_t o = 0; o < s.o; o++) {
    for (int64_t c = 0; c < s.c; c++) {
      const float* src = w + (o * s.c + c) * taps;
      float* dst = flipped + (c * s.o + o) * taps;
      for (int64_t i = 0; i < taps; i++) dst[i] = src[taps - 1 - i];
    }
  }
  forwardDirect(k, t, dy, flipped, nullptr, dx);
}

namespace {

/**
 * The weight gradient is a sum over images. They are split into kWeightGroups fixed groups, each
 * summed into its own partial by one thread (a thread takes every threads-th group), and the
 * partials are added in group order: a thread works only on images it prepared itself, with no
 * barrier until the end, and the sums are the same at any thread count.
 */
constexpr int64_t kWeightGroups = 4;

/**
 * Runs the groups. `prepare(n, buffer)` lays image n out in `perImage` floats of buffer;
 * `accumulate(buffers, count, partial)` adds `count` prepared images into a partial.
 * Returns the total, `partialFloats` floats in the calling thread's scratch.
 */
template <class Prepare, class Accumulate>
const float* sumOverImageGroups(const ConvShape& s, int64_t perImage, int64_t partialFloats, Prepare&& prepare,
                                Accumulate&& accumulate) {
  const int64_t groups = std::min(kWeightGroups, s.n);
  float* partials = scratch(ScratchSlot::Partial, static_cast<size_t>(groups * partialFloats));
  std::memset(partials, 0, sizeof(float) * groups * partialFloats);
  // Images per chunk: about 1.5 MB of prepared data, so a chunk stays in L2 while it is swept.
  const int64_t chunk = std::clamp<int64_t>((int64_t{1} << 20) * 3 / 8 / perImage, 1, s.n);
  const int parts = static_cast<int>(std::min<int64_t>(inParallelRegion() ? 1 : threadCount(), groups));
  parallelParts(parts, [&](int part) {
    float* buffers = scratch(ScratchSlot::ConvInput, static_cast<size_t>(std::min(chunk, s.n) * perImage));
    for (int64_t g = part; g < groups; g += parts) {
      const int64_t end = s.n * (g + 1) / groups;
      for (int64_t n0 = s.n * g / groups; n0 < end; n0 += chunk) {
        const int64_t count = std::min(chunk, end - n0);
        for (int64_t i = 0; i < count; i++) prepare(n0 + i, buffers + i * perImage);
        accumulate(buffers, count, partials + g * partialFloats);
      }
    }
  });
  for (int64_t g = 1; g < groups; g++) {
    const float* p = partials + g * partialFloats;
    for (int64_t i = 0; i < partialFloats; i++) partials[i] += p[i];
  }
  return partials;
}

/**
 * Weight gradient for small planes whose output channels fill at least two vectors
 * (weightTileByChannels), in groups of 4 vectors; the last two groups share what is left so
 * that none has fewer than 2 (5 vectors: 3 + 2).
 */
void weightByChannels(const DirectKernels& k, const ConvShape& s, const DirectLayout& l, const float* x, const float* dy,
                      float* dw) {
  const int64_t rows = l.rows(), plane = s.oh * s.ow;
  const int64_t imageIn = s.c * s.h * s.w, imageOut = s.o * plane, bufferFloats = l.bufferFloats();
  const auto groups = channelGroups(s.o, k.lanes);
  std::vector<int64_t> pixel(static_cast<size_t>(plane));
  for (int64_t p = 0; p < plane; p++) pixel[p] = (p / s.ow) * l.wq + p % s.ow;
  const auto prepare = [&](int64_t n, float* buffer) {
    l.fill(x + n * imageIn, buffer);
    const float* src = dy + n * imageOut;
    float* dst = buffer + bufferFloats;  // dyT[p][o]
    for (int64_t o = 0; o < s.o; o++) {
      for (int64_t p = 0; p < plane; p++) dst[p * s.o + o] = src[o * plane + p];
    }
  };
  const auto accumulate = [&](const float* buffers, int64_t count, float* partial) {
    std::vector<const float*> dyT(static_cast<size_t>(count)), xs(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; i++) {
      xs[i] = buffers + i * (bufferFloats + imageOut);
      dyT[i] = xs[i] + bufferFloats;
    }
    for (const auto& [o0, vectors] : groups) {
      k.byChannels[vectors - 2].run(dyT.data(), xs.data(), count, pixel.data(), plane, s.o, o0, l.rowOffset.data(), 0, rows, partial);
    }
  };
  const float* sum = sumOverImageGroups(s, bufferFloats + imageOut, rows * s.o, prepare, accumulate);  // [row][output channel]
  for (int64_t o = 0; o < s.o; o++) {
    for (int64_t r = 0; r < rows; r++) dw[o * rows + r] = sum[r * s.o + o];
  }
}

/** Weight gradient with pixel vectors in registers (weightTile): any plane, any channel count. */
void weightByPixels(const DirectKernels& k, const ConvShape& s, const DirectLayout& l, const float* x, const float* dy,
                    float* dw) {
  const int64_t rows = l.rows();
  const int64_t outTiles = (s.o + k.dwOut - 1) / k.dwOut, outPadded = outTiles * k.dwOut;
  const int64_t imageIn = s.c * s.h * s.w, imageOut = s.o * s.oh * s.ow;
  const int64_t bufferFloats = l.bufferFloats(), dyFloats = outPadded * l.qPad;
  // Sub-chunks of images whose dy rows for one channel tile (SK_DW_OUT rows) fit in about half
  // of L1, so they stay there while every row tile sweeps them.
  const int64_t subChunk = std::max<int64_t>(1, 6 * 1024 / (k.dwOut * l.qPad));
  const auto prepare = [&](int64_t n, float* buffer) {
    l.fill(x + n * imageIn, buffer);
    float* d = buffer + bufferFloats;
    l.extendGradient(dy + n * imageOut, d);
    std::memset(d + s.o * l.qPad, 0, sizeof(float) * (outPadded - s.o) * l.qPad);
  };
  const auto accumulate = [&](const float* buffers, int64_t count, float* partial) {
    std::vector<const float*> dys(static_cast<size_t>(count)), xs(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; i++) {
      xs[i] = buffers + i * (bufferFloats + dyFloats);
      dys[i] = xs[i] + bufferFloats;
    }
    for (int64_t i = 0; i < count; i += subChunk) {
      k.weightChunk(dys.data() + i, xs.data() + i, std::min(subChunk, count - i), l.qPad, outTiles, l.rowOffset.data(), 0, rows,
                    partial, rows);
    }
  };
  const float* sum = sumOverImageGroups(s, bufferFloats + dyFloats, outPadded * rows, prepare, accumulate);
  std::memcpy(dw, sum, sizeof(float) * s.o * rows);
}

}  // namespace

void directConvBackwardWeight(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const DirectKernels& k = *directKernels();
  const DirectLayout l(s, k);
  if (channelVectorsApply(k, s)) return weightByChannels(k, s, l, x, dy, dw);
  weightByPixels(k, s, l, x, dy, dw);
}

#else

bool directConvApplies(const ConvShape&) { return false; }
void directConvForward(const ConvShape&, const float*, const float*, const float*, float*) {}
void directConvBackwardInput(const ConvShape&, const float*, const float*, float*) {}
void directConvBackwardWeight(const ConvShape&, const float*, const float*, float*) {}

#endif

}  // namespace skiplab
