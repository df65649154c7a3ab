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
  /** Plane columns [j0, j1) of phase column px whose input column j·sw + px − pw lies in [0, W). */
  std::pair<int64_t, int64_t> columnsInside(int64_t px) const {
    int64_t j0 = 0, j1 = wq;
    while (j0 < wq && j0 * s.sw + px - s.pw < 0) j0++;
    while (j1 > j0 && (j1 - 1) * s.sw + px - s.pw >= s.w) j1--;
    return {j0, j1};
  }

  void fill(const float* image, float* buffer) const {
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

}  // namespace skiplab::direct
