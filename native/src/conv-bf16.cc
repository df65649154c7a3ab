// Convolutions with bf16 operands and FP32 sums: mixed precision with FP32 master weights
// (Kalamkar et al. 2019, §3). Defined as the FP32 convolution of operands rounded to bfloat16
// (src/backend/bf16.ts). With AVX512-BF16 the direct convolution (conv-direct.cc's padded,
// polyphase layout) runs on pairs of bf16 values (Bf16Kernels): forward, and the input gradient
// at stride 1 as the forward of dy with flipped weights, reduce over pairs of input channels; the
// weight gradient over pairs of neighbouring pixels. Everything else — other instruction sets,
// strided input gradients, grouped and 1×1 convolutions — rounds copies of the operands and runs
// the FP32 kernels, which is the definition itself.
#include "conv-bf16.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common.h"
#include "conv-direct-internal.h"
#include "conv-direct.h"

namespace skiplab {

using namespace direct;

void roundToBf16(const float* src, int64_t n, float* dst) {
  const Bf16Kernels* b = bf16Kernels();
  parallelRange(n, 1 << 16, [&](int64_t i0, int64_t i1) {
    if (b) return b->round(src + i0, i1 - i0, dst + i0);
    for (int64_t i = i0; i < i1; i++) {
      const uint32_t bits = static_cast<uint32_t>(bf16Bits(src[i])) << 16;
      std::memcpy(dst + i, &bits, sizeof bits);
    }
  });
}

namespace {

/** A rounded copy of n floats in the calling thread's scratch `slot`. */
const float* rounded(const float* src, int64_t n, ScratchSlot slot) {
  float* dst = scratch(slot, static_cast<size_t>(n));
  roundToBf16(src, n, dst);
  return dst;
}

bool pairsApply(const ConvShape& s) { return bf16Kernels() != nullptr && directConvApplies(s); }

/** packed[tile][R = p·taps + t][i] = (w[o][2p][t], w[o][2p + 1][t]) as a bf16 pair, o = tile·T + i; zero past O and C. */
void packWeightPairs(const float* w, int64_t o, int64_t c, int64_t taps, int tile, uint32_t* packed) {
  const int64_t pairs = (c + 1) / 2 * taps, tiles = (o + tile - 1) / tile;
  for (int64_t t0 = 0; t0 < tiles; t0++) {
    for (int64_t r = 0; r < pairs; r++) {
      const int64_t p = r / taps, t = r % taps;
      for (int i = 0; i < tile; i++) {
        const int64_t row = t0 * tile + i;
        uint32_t low = 0, high = 0;
        if (row < o) {
          low = bf16Bits(w[(row * c + 2 * p) * taps + t]);
          if (2 * p + 1 < c) high = bf16Bits(w[(row * c + 2 * p + 1) * taps + t]);
        }
        packed[(t0 * pairs + r) * tile + i] = low | (high << 16);
      }
    }
  }
}

/** conv-direct.cc's padded layout of one image with its channels interleaved in pairs (see Bf16Kernels). */
struct PairLayout {
  DirectLayout l;
  int64_t taps, channelPairs, pairs, slots;
  std::vector<int64_t> pairOffset;  // per pair row R = p·taps + t: where its words start

  explicit PairLayout(const ConvShape& s) : l(s, *directKernels()) {
    taps = s.kh * s.kw;
    channelPairs = (s.c + 1) / 2;
    pairs = channelPairs * taps;
    slots = static_cast<int64_t>(l.phaseOf.size());
    pairOffset.resize(static_cast<size_t>(pairs));
    for (int64_t p = 0; p < channelPairs; p++) {
      for (int64_t t = 0; t < taps; t++) pairOffset[p * taps + t] = (l.tapSlot[t] * channelPairs + p) * l.channelStride + l.tapOffset[t];
    }
  }
  size_t words() const { return static_cast<size_t>(slots * channelPairs * l.channelStride); }

  /** Lay out map(image) in FP32 (the calling thread's staging scratch), then interleave its channels in bf16 pairs. */
  void prepare(const Bf16Kernels& b, const float* image, const ChannelMap* map, uint32_t* pairBuffer) const {
    const ConvShape& s = l.s;
    const int64_t stride = l.channelStride;
    float* buffer = scratch(ScratchSlot::Bf16Input, static_cast<size_t>(l.bufferFloats()));
    l.fill(image, buffer, map);
    for (int64_t slot = 0; slot < slots; slot++) {
      for (int64_t p = 0; p < channelPairs; p++) {
        const float* low = buffer + (slot * s.c + 2 * p) * stride;
        b.toPairs(low, 2 * p + 1 < s.c ? low + stride : nullptr, stride, pairBuffer + (slot * channelPairs + p) * stride);
      }
    }
  }
};

/** Forward on channel pairs with row tiles over the Wq-wide grid (pairImage). */
void forwardPairs(const Bf16Kernels& b, const ConvShape& s, const float* x, const float* w, const float* bias, float* out,
                  const ChannelMap* map) {
  const PairLayout pl(s);
  const int64_t tiles = (s.o + b.outTile - 1) / b.outTile;
  auto* packed = reinterpret_cast<uint32_t*>(scratch(ScratchSlot::ConvWeights, static_cast<size_t>(tiles * b.outTile * pl.pairs)));
  packWeightPairs(w, s.o, s.c, pl.taps, b.outTile, packed);
  const GridShape grid{pl.l.wq, s.ow, pl.l.qValid, pl.l.qPad};
  const int64_t imageIn = s.c * s.h * s.w, plane = s.oh * s.ow, imageOut = s.o * plane;
  const auto image = [&](int64_t n, const uint32_t* pairBuffer, int64_t t0, int64_t t1) {
    b.image(pairBuffer, pl.pairOffset.data(), pl.pairs, packed, t0, t1, out + n * imageOut, s.o, plane, bias, grid);
  };
  const int threads = threadCount();
  if (s.n >= threads || inParallelRegion()) {
    parallelParts(threads, [&](int part) {
      auto* pairBuffer = reinterpret_cast<uint32_t*>(scratch(ScratchSlot::ConvInput, pl.words()));
      for (int64_t n = s.n * part / threads; n < s.n * (part + 1) / threads; n++) {
        pl.prepare(b, x + n * imageIn, map, pairBuffer);
        image(n, pairBuffer, 0, tiles);
      }
    });
    return;
  }
  // Fewer images than threads: prepare each image once, split its output-channel tiles.
  auto* pairBuffer = reinterpret_cast<uint32_t*>(scratch(ScratchSlot::ConvInput, pl.words()));
  for (int64_t n = 0; n < s.n; n++) {
    pl.prepare(b, x + n * imageIn, map, pairBuffer);
    const int parts = static_cast<int>(std::min<int64_t>(threads, tiles));
    parallelParts(parts, [&](int part) { image(n, pairBuffer, tiles * part / parts, tiles * (part + 1) / parts); });
  }
}

/** Planes of about 8 × 8 with at least 4 channel vectors: output channels in registers, as the FP32 forward (conv-direct.cc). */
bool channelsForwardApply(const ConvShape& s) { return s.o % 16 == 0 && s.o >= 64 && s.oh * s.ow > 32 && s.oh * s.ow <= 64; }

/** Forward on small planes with output channels in registers: only real pixels, into [pixel][channel], then NCHW. */
void forwardPairsByChannels(const Bf16Kernels& b, const ConvShape& s, const float* x, const float* w, const float* bias, float* out,
                            const ChannelMap* map) {
  const PairLayout pl(s);
  const int64_t plane = s.oh * s.ow, imageIn = s.c * s.h * s.w, imageOut = s.o * plane;
  auto* wT = reinterpret_cast<uint32_t*>(scratch(ScratchSlot::ConvWeights, static_cast<size_t>(pl.pairs * s.o)));
  packWeightPairs(w, s.o, s.c, pl.taps, static_cast<int>(s.o), wT);  // one tile of all channels: wT[R][o]
  std::vector<int64_t> pixel(static_cast<size_t>(plane));
  for (int64_t p = 0; p < plane; p++) pixel[p] = (p / s.ow) * pl.l.wq + p % s.ow;
  const auto groups = channelGroups(s.o, 16);
  const int parts = static_cast<int>(std::min<int64_t>(inParallelRegion() ? 1 : threadCount(), s.n));
  parallelParts(parts, [&](int part) {
    auto* pairBuffer = reinterpret_cast<uint32_t*>(scratch(ScratchSlot::ConvInput, pl.words()));
    float* outT = scratch(ScratchSlot::ConvOutput, static_cast<size_t>(imageOut));
    for (int64_t n = s.n * part / parts; n < s.n * (part + 1) / parts; n++) {
      pl.prepare(b, x + n * imageIn, map, pairBuffer);
      for (const auto& [o0, vectors] : groups) {
        b.forwardByChannels[vectors - 2](pairBuffer, pl.pairOffset.data(), pl.pairs, pixel.data(), plane, wT, s.o, o0, outT);
      }
      float* image = out + n * imageOut;
      for (int64_t o = 0; o < s.o; o++) {
        const float bo = bias ? bias[o] : 0.0f;
        for (int64_t p = 0; p < plane; p++) image[o * plane + p] = outT[p * s.o + o] + bo;
      }
    }
  });
}

/** The bf16 forward of a direct-kernel shape. */
void forwardDirectPairs(const Bf16Kernels& b, const ConvShape& s, const float* x, const float* w, const float* bias, float* out,
                        const ChannelMap* map) {
  if (channelsForwardApply(s)) return forwardPairsByChannels(b, s, x, w, bias, out, map);
  forwardPairs(b, s, x, w, bias, out, map);
}

/** Weight gradient on pixel pairs: per image, the padded input and dy on the grid as plain bf16 planes. */
void weightPairs(const Bf16Kernels& b, const ConvShape& s, const float* x, const float* dy, float* dw, const ChannelMap* map) {
  const DirectLayout l(s, *directKernels(), 32);  // a vector holds 32 pixels
  const int64_t rows = l.rows();
  const int64_t outTiles = (s.o + b.dwOut - 1) / b.dwOut, outPadded = outTiles * b.dwOut;
  const int64_t imageIn = s.c * s.h * s.w, imageOut = s.o * s.oh * s.ow;
  const int64_t xValues = l.bufferFloats(), dyValues = outPadded * l.qPad;  // both multiples of 32
  const int64_t perImage = (xValues + dyValues) / 2;  // in floats: two bf16 values per float
  // Sub-chunks of images whose dy rows for one channel tile fill about half of L1.
  const int64_t subChunk = std::max<int64_t>(1, 12 * 1024 / (b.dwOut * l.qPad));
  const auto prepare = [&](int64_t n, float* buffer) {
    float* staging = scratch(ScratchSlot::Bf16Input, static_cast<size_t>(std::max(xValues, dyValues)));
    auto* values = reinterpret_cast<uint16_t*>(buffer);
    l.fill(x + n * imageIn, staging, map);
    b.toBf16(staging, xValues, values);
    l.extendGradient(dy + n * imageOut, staging);
    std::memset(staging + s.o * l.qPad, 0, sizeof(float) * (outPadded - s.o) * l.qPad);
    b.toBf16(staging, dyValues, values + xValues);
  };
  const auto accumulate = [&](const float* buffers, int64_t count, float* partial) {
    std::vector<const uint16_t*> dys(static_cast<size_t>(count)), xs(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; i++) {
      xs[i] = reinterpret_cast<const uint16_t*>(buffers + i * perImage);
      dys[i] = xs[i] + xValues;
    }
    for (int64_t i = 0; i < count; i += subChunk) {
      b.weightChunk(dys.data() + i, xs.data() + i, std::min(subChunk, count - i), l.qPad, outTiles, l.rowOffset.data(), rows, partial);
    }
  };
  const float* sum = sumOverImageGroups(s, perImage, outPadded * rows, prepare, accumulate);
  std::memcpy(dw, sum, sizeof(float) * s.o * rows);
}

/** Planes up to 16 × 16 with even rows and at least two channel vectors: output channels in registers, as the FP32 weight gradient. */
bool channelsWeightApply(const ConvShape& s) {
  return s.o % 16 == 0 && s.o >= 32 && s.oh * s.ow <= 256 && s.ow % 2 == 0;
}

/**
 * Weight gradient on small planes with output channels in registers: per image the padded input
 * as a plain bf16 plane (a pixel pair is one 32-bit load) and dy as pairs of neighbouring pixels
 * per channel, dyPairs[P][o] = (dy[o][2P], dy[o][2P + 1]); dwT[row][o] summed over real pixels only.
 */
void weightPairsByChannels(const Bf16Kernels& b, const ConvShape& s, const float* x, const float* dy, float* dw, const ChannelMap* map) {
  const DirectLayout l(s, *directKernels(), 32);
  const int64_t rows = l.rows(), plane = s.oh * s.ow, pixelPairs = plane / 2;
  const int64_t imageIn = s.c * s.h * s.w, imageOut = s.o * plane;
  const int64_t xValues = l.bufferFloats(), dyWords = pixelPairs * s.o;
  const int64_t perImage = xValues / 2 + dyWords;  // floats: two bf16 values or one pair word each
  std::vector<int64_t> pixel(static_cast<size_t>(pixelPairs));
  for (int64_t q = 0; q < pixelPairs; q++) pixel[q] = (2 * q / s.ow) * l.wq + (2 * q) % s.ow;
  const auto groups = channelGroups(s.o, 16);
  const auto prepare = [&](int64_t n, float* buffer) {
    float* staging = scratch(ScratchSlot::Bf16Input, static_cast<size_t>(std::max(xValues, imageOut)));
    l.fill(x + n * imageIn, staging, map);
    b.toBf16(staging, xValues, reinterpret_cast<uint16_t*>(buffer));
    const float* src = dy + n * imageOut;  // dy transposed to [pixel][channel], then pixel pairs interleaved
    for (int64_t o = 0; o < s.o; o++) {
      for (int64_t p = 0; p < plane; p++) staging[p * s.o + o] = src[o * plane + p];
    }
    auto* pairs = reinterpret_cast<uint32_t*>(buffer + xValues / 2);
    for (int64_t q = 0; q < pixelPairs; q++) b.toPairs(staging + 2 * q * s.o, staging + (2 * q + 1) * s.o, s.o, pairs + q * s.o);
  };
  const auto accumulate = [&](const float* buffers, int64_t count, float* partial) {
    std::vector<const uint16_t*> xs(static_cast<size_t>(count));
    std::vector<const uint32_t*> dys(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; i++) {
      xs[i] = reinterpret_cast<const uint16_t*>(buffers + i * perImage);
      dys[i] = reinterpret_cast<const uint32_t*>(buffers + i * perImage + xValues / 2);
    }
    for (const auto& [o0, vectors] : groups) {
      b.weightByChannels[vectors - 2](dys.data(), xs.data(), count, pixel.data(), pixelPairs, s.o, o0, l.rowOffset.data(), rows, partial);
    }
  };
  const float* sum = sumOverImageGroups(s, perImage, rows * s.o, prepare, accumulate);  // [row][output channel]
  for (int64_t o = 0; o < s.o; o++) {
    for (int64_t r = 0; r < rows; r++) dw[o * rows + r] = sum[r * s.o + o];
  }
}

}  // namespace

void bf16ConvForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* out, const ChannelMap* input) {
  if (pairsApply(s)) return forwardDirectPairs(*bf16Kernels(), s, x, w, bias, out, input);
  const int64_t weights = s.o * (s.c / s.groups) * s.kh * s.kw;
  if (input) x = mapInput(s, x, *input, ScratchSlot::Mapped);  // the operand is input(x), then rounded
  conv2dForward(s, rounded(x, s.n * s.c * s.h * s.w, ScratchSlot::RoundedA), rounded(w, weights, ScratchSlot::RoundedB), bias, out);
}

void bf16ConvBackwardInput(const ConvShape& s, const float* dy, const float* w, float* dx) {
  const int64_t padY = (s.kh - 1) * s.dh - s.ph, padX = (s.kw - 1) * s.dw - s.pw;
  if (pairsApply(s) && s.sh == 1 && s.sw == 1 && padY >= 0 && padX >= 0) {
    // As conv-direct.cc: the forward of dy with w'[c][o][ky][kx] = w[o][c][KH−1−ky][KW−1−kx].
    const ConvShape t{s.n, s.o, s.oh, s.ow, s.c, s.h, s.w, s.kh, s.kw, 1, 1, padY, padX, s.dh, s.dw, 1};
    const int64_t taps = s.kh * s.kw;
    float* flipped = scratch(ScratchSlot::Column, static_cast<size_t>(s.o * s.c * taps));
    for (int64_t o = 0; o < s.o; o++) {
      for (int64_t c = 0; c < s.c; c++) {
        for (int64_t i = 0; i < taps; i++) flipped[(c * s.o + o) * taps + i] = w[(o * s.c + c) * taps + taps - 1 - i];
      }
    }
    return forwardDirectPairs(*bf16Kernels(), t, dy, flipped, nullptr, dx, nullptr);
  }
  const int64_t weights = s.o * (s.c / s.groups) * s.kh * s.kw;
  conv2dBackwardInput(s, rounded(dy, s.n * s.o * s.oh * s.ow, ScratchSlot::RoundedA), rounded(w, weights, ScratchSlot::RoundedB), dx);
}

void bf16ConvBackwardWeight(const ConvShape& s, const float* x, const float* dy, float* dw, const ChannelMap* input) {
  if (pairsApply(s)) {
    if (channelsWeightApply(s)) return weightPairsByChannels(*bf16Kernels(), s, x, dy, dw, input);
    return weightPairs(*bf16Kernels(), s, x, dy, dw, input);
  }
  if (input) x = mapInput(s, x, *input, ScratchSlot::Mapped);
  conv2dBackwardWeight(s, rounded(x, s.n * s.c * s.h * s.w, ScratchSlot::RoundedA), rounded(dy, s.n * s.o * s.oh * s.ow, ScratchSlot::RoundedB), dw);
}

}  // namespace skiplab
