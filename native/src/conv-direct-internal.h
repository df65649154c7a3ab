// Shared by the direct-convolution files (conv-direct.cc, conv-direct-weight.cc and
// conv-direct-kernels.cc, which compiles the register-tiled loops per instruction set): where the
// kernels store their results, the table of per-ISA kernels, and the padded polyphase layout.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "common.h"
#include "conv.h"

namespace skiplab::direct {

/** Lanes [first, first + count) of a pixel vector, stored at channel + offset + lane. */
struct StoreSegment {
  int64_t offset;
  uint32_t lanes;  // bit l set: lane l is stored
};
constexpr int kMaxSegments = 17;  // a vector of at most 16 lanes crosses at most 16 row ends

/**
 * One grid vector's real pixels for an ISA without cheap masked stores (AVX2's VMASKMOVPS store
 * costs about six plain stores here): its lanes are permuted so the real ones come first, in
 * order, and stored as one run at channel + offset — contiguous in NCHW, since only the grid's
 * unused columns lie between them.
 */
struct PackedVector {
  int64_t offset;  // output pixel of its first real lane
  int32_t count;   // real lanes (0: nothing to store)
  // A full-width store is allowed: the lanes past `count` land on pixels of the same output
  // plane that later vectors of the same channel store (a channel's plane is written by one
  // thread in ascending pixel order), so they are overwritten; else only `count` lanes are stored.
  bool wide;
  int32_t index[16];  // lane holding the j-th real pixel (identity past count)
};

/** Where the direct kernels' results go (rowTile's store phase). */
struct TileStore {
  float* const* out;  // per tile row: its first pixel (plain / accumulate), or its NCHW channel (null: skip)
  bool accumulate;
  const StoreSegment* segments;  // non-null: NCHW mode, kMaxSegments per pixel vector
  const int* segmentCount;
  const float* bias;  // NCHW mode: per tile row
  const PackedVector* packed;  // NCHW mode without cheap masked stores: per pixel vector (instead of segments)
};

/** The output grid: OH rows of Wq pixels of which the first OW are real, padded to qPad. */
struct GridShape {
  int64_t wq, ow, qValid, qPad;
};

/** The runs of real pixels among grid pixels [q0, q0 + lanes): one per output row touched. */
inline int gridSegments(const GridShape& g, int64_t q0, int64_t lanes, StoreSegment* out) {
  int count = 0;
  for (int64_t y = q0 / g.wq; y * g.wq < q0 + lanes && y * g.wq < g.qValid; y++) {
    const int64_t a = std::max(q0, y * g.wq), b = std::min(q0 + lanes, y * g.wq + g.ow);
    if (a >= b) continue;
    const uint32_t lanesMask = ((b - q0 >= 32 ? 0u : (1u << (b - q0))) - 1u) & ~((1u << (a - q0)) - 1u);
    out[count++] = {q0 - y * (g.wq - g.ow), lanesMask};  // grid pixel q lands at q − y·(Wq − OW)
  }
  return count;
}

/** The PackedVector of grid pixels [q0, q0 + lanes) on an output plane of `plane` pixels. */
inline PackedVector gridPacking(const GridShape& g, int64_t q0, int lanes, int64_t plane) {
  PackedVector p{0, 0, false, {}};
  for (int l = 0; l < lanes; l++) {
    p.index[l] = l;
    const int64_t q = q0 + l;
    if (q >= g.qValid || q % g.wq >= g.ow) continue;
    if (p.count == 0) p.offset = (q / g.wq) * g.ow + q % g.wq;
    p.index[p.count++] = l;
  }
  p.wide = p.count == lanes || p.offset + lanes <= plane;
  return p;
}

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
  // dst[j] = relu?((src[j] − mean)·scale + shift): batch norm's forward arithmetic (channelAffineRow), inlined per ISA
  void (*mapRow)(float*, const float*, int64_t, float, float, float, bool);
  void (*zeroRow)(float*, int64_t);
  void (*stridedRow)(float*, const float*, int64_t, int64_t);
  // a whole channel of a stride-1 layout, and of dy on the grid (the row moves above, inlined)
  void (*fillPlane)(float* plane, const float* channel, int64_t hq, int64_t wq, int64_t j0, int64_t j1, int64_t ph, int64_t h, int64_t w,
                    int64_t tail, const float* map, bool relu);
  void (*extendChannel)(float* dst, const float* src, int64_t rows, int64_t ow, int64_t wq, int64_t qPad);
};

/** The kernels of the active instruction set, or null on the portable path (conv.cc uses im2col there). */
const DirectKernels* directKernels();

inline int64_t roundUp(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

/** The tiling that wastes fewer padded rows on `rows` outputs (the wide one on a tie). */
inline const RowTiling& tilingFor(const DirectKernels& k, int64_t rows) {
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
  std::vector<int64_t> tapSlot, tapOffset;  // per tap: its phase's slot, and its offset within a channel plane

  /** `vectorLanes`: the pixels one vector holds (the ISA's float lanes unless given; bf16 pairs of pixels hold 32). */
  DirectLayout(const ConvShape& shape, const DirectKernels& kernels, int vectorLanes = 0) : s(shape), k(kernels) {
    const int lanes = vectorLanes > 0 ? vectorLanes : k.lanes;
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
    tapSlot.resize(static_cast<size_t>(taps));
    tapOffset.resize(static_cast<size_t>(taps));
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

  /** Plane columns [j0, j1) of phase column px whose input column j·sw + px − pw lies in [0, W). */
  std::pair<int64_t, int64_t> columnsInside(int64_t px) const {
    int64_t j0 = 0, j1 = wq;
    while (j0 < wq && j0 * s.sw + px - s.pw < 0) j0++;
    while (j1 > j0 && (j1 - 1) * s.sw + px - s.pw >= s.w) j1--;
    return {j0, j1};
  }

  /**
   * Fill the buffer from one NCHW image: zeros wherever the padded pixel lies outside it. With
   * `map`, the image is map(image) (a batch norm and ReLU whose output is never stored); the
   * padding stays zero, as it is the padding of the mapped tensor.
   */
  void fill(const float* image, float* buffer, const ChannelMap* map = nullptr) const {
    if (s.sh == 1 && s.sw == 1) {
      const auto [j0, j1] = columnsInside(0);
      for (int64_t c = 0; c < s.c; c++) {
        const float params[3] = {map ? map->mean[c] : 0.0f, map ? map->scale[c] : 1.0f, map ? map->shift[c] : 0.0f};
        k.fillPlane(buffer + c * channelStride, image + c * s.h * s.w - s.pw + j0, hq, wq, j0, j1, s.ph, s.h, s.w, channelStride - hq * wq,
                    map ? params : nullptr, map && map->relu);
      }
      return;
    }
    // Strided phases have short rows (17 floats for a 32-wide image at stride 2): one bulk clear
    // is cheaper there than clearing each row's padding; at stride 1 only the padding is cleared.
    const bool bulkClear = s.sw > 1;
    if (bulkClear) k.zeroRow(buffer, bufferFloats());
    for (size_t slot = 0; slot < phaseOf.size(); slot++) {
      const int64_t py = phaseOf[slot] / s.sw, px = phaseOf[slot] % s.sw;
      const auto [j0, j1] = columnsInside(px);
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
          if (s.sw == 1 && map) {
            k.mapRow(dst + j0, channel + y * s.w, j1 - j0, map->mean[c], map->scale[c], map->shift[c], map->relu);
          } else if (s.sw == 1) {
            k.copyRow(dst + j0, channel + y * s.w, j1 - j0, 0.0f);
          } else {
            k.stridedRow(dst + j0, channel + y * s.w, j1 - j0, s.sw);
            if (map) k.mapRow(dst + j0, dst + j0, j1 - j0, map->mean[c], map->scale[c], map->shift[c], map->relu);
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
      const auto [j0, j1] = columnsInside(px);
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
    for (int64_t o = 0; o < s.o; o++) k.extendChannel(dyExt + o * qPad, dyImage + o * s.oh * s.ow, s.oh, s.ow, wq, qPad);
  }
};

/** Channel groups of up to 4 vectors; the last two share what is left so none has fewer than 2 (5: 3 + 2). */
inline std::vector<std::pair<int64_t, int>> channelGroups(int64_t channels, int lanes) {
  std::vector<std::pair<int64_t, int>> groups;  // (first channel, vectors)
  for (int64_t v = 0, vectors = channels / lanes; v < vectors;) {
    const int64_t left = vectors - v, take = left <= 4 ? left : left < 6 ? left - 2 : 4;
    groups.emplace_back(v * lanes, static_cast<int>(take));
    v += take;
  }
  return groups;
}

/** Weight gradients of planes up to 16 × 16 use output-channel vectors when the channels fill at least two. */
inline bool channelVectorsApply(const DirectKernels& k, const ConvShape& s) {
  return s.o % k.lanes == 0 && s.o >= 2 * k.lanes && s.oh * s.ow <= 256;
}

/**
 * The direct kernels with bf16 operands (conv-bf16-kernels.cc, AVX512-BF16). VDPBF16PS adds to each
 * FP32 lane the products of a pair of bf16 values, so the reduction runs over pairs:
 * - forward: pairs of input channels. Word j of pair plane p holds pixel j of channels 2p and 2p + 1
 *   (low and high half), so a vector is 16 pixels × 2 channels and pair row R = p·taps + t reads
 *   it at pairOffset[R]; the packed weights hold the matching pairs (w[o][2p][t], w[o][2p + 1][t]).
 * - weight gradient: pairs of neighbouring pixels, which plain bf16 planes already are: a vector is
 *   32 pixels, of dy on the grid and of the padded input at a tap's offset.
 */
using PairImage = void (*)(const uint32_t* in, const int64_t* pairOffset, int64_t pairs, const uint32_t* wPacked, int64_t tileBegin,
                           int64_t tileEnd, float* outImage, int64_t channels, int64_t plane, const float* bias, const GridShape& grid);
using Bf16WeightChunk = void (*)(const uint16_t* const* dyImages, const uint16_t* const* xImages, int64_t images, int64_t qPad,
                                 int64_t outTiles, const int64_t* rowOffset, int64_t rows, float* dwPartial);
/** Small planes, channels in registers (as forwardByChannels): outT[p][o] for vectors of 16 output channels from o0. */
using PairForwardByChannels = void (*)(const uint32_t* x, const int64_t* pairOffset, int64_t pairs, const int64_t* pixel, int64_t plane,
                                       const uint32_t* wT, int64_t channels, int64_t o0, float* outT);
/** Small planes, channels in registers (as weightByChannels): dwT[r][o] += Σ over images and pixel pairs, channels from o0. */
using PairWeightByChannels = void (*)(const uint32_t* const* dyPairs, const uint16_t* const* xImages, int64_t images, const int64_t* pixel,
                                      int64_t pixelPairs, int64_t channels, int64_t o0, const int64_t* rowOffset, int64_t rows, float* dwT);
struct Bf16Kernels {
  int outTile;  // forward: output channels per register tile
  PairImage image;  // forward of one image, tiles [tileBegin, tileEnd), into NCHW plus bias
  PairForwardByChannels forwardByChannels[3];  // 2, 3 and 4 vectors of output channels
  int dwOut;  // weight gradient: output channels per register tile
  Bf16WeightChunk weightChunk;  // dwPartial[o][r] += Σ over images and pixels, every channel tile and row
  PairWeightByChannels weightByChannels[3];  // 2, 3 and 4 vectors of output channels
  void (*toPairs)(const float* a, const float* b, int64_t n, uint32_t* dst);  // interleave; b null: zeros; n % 16 == 0
  void (*toBf16)(const float* src, int64_t n, uint16_t* dst);  // n % 32 == 0
  void (*round)(const float* src, int64_t n, float* dst);  // bf16Bits as floats, any n
};

/** The bf16 kernels when the active instruction set has AVX512-BF16, else null. */
const Bf16Kernels* bf16Kernels();

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

}  // namespace skiplab::direct
