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
//                    the Wq-wide grid with zeros in the unused columns (conv-direct-weight.cc)
// Every output element is summed by one thread in an order fixed by the shape alone, so results
// are bit-identical run to run and at any thread count.
#include "conv-direct.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common.h"
#include "conv-direct-internal.h"

namespace skiplab {

using namespace direct;

namespace {

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
                   const float* bias, float* out, const ChannelMap* map) {
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
        l.fill(x + n * imageIn, buffer, map);
        image(n, buffer, 0, tiles);
      }
    });
    return;
  }
  // Fewer images than threads: fill each image's buffer once, split its output-channel tiles.
  float* buffer = scratch(ScratchSlot::ConvInput, bufferFloats);
  for (int64_t n = 0; n < s.n; n++) {
    l.fill(x + n * imageIn, buffer, map);
    const int parts = static_cast<int>(std::min<int64_t>(threads, tiles));
    parallelParts(parts, [&](int part) { image(n, buffer, tiles * part / parts, tiles * (part + 1) / parts); });
  }
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
void forwardByChannels(const DirectKernels& k, const ConvShape& s, const float* x, const float* w, const float* bias, float* out,
                       const ChannelMap* map) {
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
      l.fill(x + n * imageIn, buffer, map);
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

/** Forward of weights w (O × C·KH·KW) on map(x): output-channel vectors on small planes, else row tiles. */
void forwardDirect(const DirectKernels& k, const ConvShape& s, const float* x, const float* w, const float* bias, float* out,
                   const ChannelMap* map = nullptr) {
  if (channelVectorsForwardApply(k, s)) return forwardByChannels(k, s, x, w, bias, out, map);
  const RowTiling& tiling = tilingFor(k, s.o);
  const int64_t rows = s.c * s.kh * s.kw, tiles = (s.o + tiling.outTile - 1) / tiling.outTile;
  float* packed = scratch(ScratchSlot::ConvWeights, static_cast<size_t>(tiles * tiling.outTile * rows));
  packTiles(w, s.o, rows, rows, 1, tiling.outTile, packed);
  forwardPacked(k, tiling, s, x, packed, bias, out, map);
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

void directConvForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* out, const ChannelMap* input) {
  forwardDirect(*directKernels(), s, x, w, bias, out, input);
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

}  // namespace skiplab
