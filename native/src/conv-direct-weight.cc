// The direct convolution's weight gradient (the layout and kernels are conv-direct.cc's):
//   dw[o][c][t] = Σ_n,q dyExt[o][q] · xp[c][q + offset(t)]
// with either pixel vectors or output-channel vectors in registers.
#include <algorithm>
#include <cstring>
#include <vector>

#include "common.h"
#include "conv-direct-internal.h"
#include "conv-direct.h"

namespace skiplab {

using namespace direct;

namespace {

/**
 * Weight gradient for small planes whose output channels fill at least two vectors
 * (weightTileByChannels), in groups of 4 vectors; the last two groups share what is left so
 * that none has fewer than 2 (5 vectors: 3 + 2).
 */
void weightByChannels(const DirectKernels& k, const ConvShape& s, const DirectLayout& l, const float* x, const float* dy,
                      float* dw, const ChannelMap* map) {
  const int64_t rows = l.rows(), plane = s.oh * s.ow;
  const int64_t imageIn = s.c * s.h * s.w, imageOut = s.o * plane, bufferFloats = l.bufferFloats();
  const auto groups = channelGroups(s.o, k.lanes);
  std::vector<int64_t> pixel(static_cast<size_t>(plane));
  for (int64_t p = 0; p < plane; p++) pixel[p] = (p / s.ow) * l.wq + p % s.ow;
  const auto prepare = [&](int64_t n, float* buffer) {
    l.fill(x + n * imageIn, buffer, map);
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
                    float* dw, const ChannelMap* map) {
  const int64_t rows = l.rows();
  const int64_t outTiles = (s.o + k.dwOut - 1) / k.dwOut, outPadded = outTiles * k.dwOut;
  const int64_t imageIn = s.c * s.h * s.w, imageOut = s.o * s.oh * s.ow;
  const int64_t bufferFloats = l.bufferFloats(), dyFloats = outPadded * l.qPad;
  // Sub-chunks of images whose dy rows for one channel tile (SK_DW_OUT rows) fit in about half
  // of L1, so they stay there while every row tile sweeps them.
  const int64_t subChunk = std::max<int64_t>(1, 6 * 1024 / (k.dwOut * l.qPad));
  const auto prepare = [&](int64_t n, float* buffer) {
    l.fill(x + n * imageIn, buffer, map);
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

void directConvBackwardWeight(const ConvShape& s, const float* x, const float* dy, float* dw, const ChannelMap* input) {
  const DirectKernels& k = *directKernels();
  const DirectLayout l(s, k);
  if (channelVectorsApply(k, s)) return weightByChannels(k, s, l, x, dy, dw, input);
  weightByPixels(k, s, l, x, dy, dw, input);
}

}  // namespace skiplab
