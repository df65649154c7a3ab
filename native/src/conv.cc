// Convolution as GEMM over an im2col matrix built in per-thread scratch (Chellapilla et al.,
// "High Performance Convolutional Neural Networks for Document Processing", 2006, §2).
// For group g of image n, with K = C/groups · KH · KW and P = OH · OW:
//   forward          out (O/g, P)  = W_g (O/g, K) · col (K, P)
//   backward input   col (K, P)    = W_gᵀ · dy_g (O/g, P), then col2im adds col into dx
//   backward weight  dW_g (O/g, K) += dy_g · colᵀ, summed over images
// A 1×1, stride-1, unpadded convolution needs no col matrix: x itself is (C, H·W).
// Work is split over images when there are at least as many as threads (each thread runs
// whole single-threaded GEMMs), otherwise the GEMMs themselves are split over output tiles.
#include "conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "conv-bf16.h"
#include "conv-direct.h"

#include "common.h"

namespace skiplab {

namespace {

bool isPointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0 && s.oh == s.h && s.ow == s.w;
}

/** col (C/groups · KH · KW, OH · OW) for channels [c0, c0 + cg) of one image. */
void im2col(const ConvShape& s, const float* image, int64_t c0, int64_t cg, float* col) {
  const int64_t plane = s.oh * s.ow;
  for (int64_t c = 0; c < cg; c++) {
    const float* xc = image + (c0 + c) * s.h * s.w;
    for (int64_t ki = 0; ki < s.kh; ki++) {
      for (int64_t kj = 0; kj < s.kw; kj++) {
        float* row = col + ((c * s.kh + ki) * s.kw + kj) * plane;
        for (int64_t y = 0; y < s.oh; y++) {
          const int64_t iy = y * s.sh - s.ph + ki * s.dh;
          float* r = row + y * s.ow;
          if (iy < 0 || iy >= s.h) {
            std::memset(r, 0, sizeof(float) * s.ow);
            continue;
          }
          const float* xr = xc + iy * s.w;
          const int64_t offset = kj * s.dw - s.pw;
          if (s.sw == 1) {
            // Unit stride: a zero prefix, a contiguous copy, a zero suffix.
            int64_t x0 = 0;
            while (x0 < s.ow && x0 + offset < 0) r[x0++] = 0.0f;
            int64_t x1 = s.ow;
            while (x1 > x0 && x1 - 1 + offset >= s.w) r[--x1] = 0.0f;
            if (x1 > x0) std::memcpy(r + x0, xr + x0 + offset, sizeof(float) * (x1 - x0));
          } else {
            for (int64_t x = 0; x < s.ow; x++) {
              const int64_t ix = x * s.sw + offset;
              r[x] = (ix >= 0 && ix < s.w) ? xr[ix] : 0.0f;
            }
          }
        }
      }
    }
  }
}

/**
 * im2col written straight into the GEMM's packed-B layout (panels of `nr` output pixels, each
 * panel holding all k rows of nr values, zero-padded past the last pixel), so the forward GEMM
 * skips its own packing pass: one write of the patch matrix instead of two.
 */
void im2colPacked(const ConvShape& s, const float* image, int64_t c0, int64_t cg, int nr, float* packed) {
  const int64_t plane = s.oh * s.ow, k = cg * s.kh * s.kw;
  for (int64_t j0 = 0; j0 < plane; j0 += nr) {
    const int64_t width = std::min<int64_t>(nr, plane - j0);
    float* panel = packed + j0 * k;
    for (int64_t c = 0; c < cg; c++) {
      const float* xc = image + (c0 + c) * s.h * s.w;
      for (int64_t ki = 0; ki < s.kh; ki++) {
        for (int64_t kj = 0; kj < s.kw; kj++) {
          float* dst = panel + ((c * s.kh + ki) * s.kw + kj) * nr;
          const int64_t offset = kj * s.dw - s.pw;
          // Walk the panel's pixels output row by output row (a segment per row).
          int64_t j = j0;
          while (j < j0 + width) {
            const int64_t y = j / s.ow, x0 = j % s.ow;
            const int64_t len = std::min<int64_t>(s.ow - x0, j0 + width - j);
            float* d = dst + (j - j0);
            const int64_t iy = y * s.sh - s.ph + ki * s.dh;
            if (iy < 0 || iy >= s.h) {
              for (int64_t t = 0; t < len; t++) d[t] = 0.0f;
            } else {
              const float* xr = xc + iy * s.w;
              // Valid pixels t in [t0, t1): 0 <= (x0 + t)·sw + offset < w; zeros outside.
              int64_t t0 = 0, t1 = len;
              while (t0 < len && (x0 + t0) * s.sw + offset < 0) d[t0++] = 0.0f;
              while (t1 > t0 && (x0 + t1 - 1) * s.sw + offset >= s.w) d[--t1] = 0.0f;
              const float* src = xr + x0 * s.sw + offset;
              if (s.sw == 1) {
                for (int64_t t = t0; t < t1; t++) d[t] = src[t];
              } else {
                for (int64_t t = t0; t < t1; t++) d[t] = src[t * s.sw];
              }
            }
            j += len;
          }
          for (int64_t t = width; t < nr; t++) dst[t] = 0.0f;
        }
      }
    }
  }
}

/**
 * The transposed patch matrix colᵀ (pixels × k rows) in packed-B layout for the weight
 * gradient dW = dy · colᵀ: panels of `nr` patch rows, each holding every pixel's nr values.
 */
void im2colTransposedPacked(const ConvShape& s, const float* image, int64_t c0, int64_t cg, int nr, float* packed) {
  const int64_t plane = s.oh * s.ow, k = cg * s.kh * s.kw;
  for (int64_t r0 = 0; r0 < k; r0 += nr) {
    float* panel = packed + (r0 / nr) * plane * nr;
    // One output row at a time, all nr lanes: the ow·nr floats written stay in L1 while every
    // lane fills its column (lane-by-lane over the whole panel would thrash L1 with strided writes).
    for (int64_t y = 0; y < s.oh; y++) {
      float* rowDst = panel + y * s.ow * nr;
      for (int lane = 0; lane < nr; lane++) {
        float* d = rowDst + lane;
        const int64_t r = r0 + lane;
        const int64_t c = r / (s.kh * s.kw), ki = (r / s.kw) % s.kh, kj = r % s.kw;
        const int64_t iy = y * s.sh - s.ph + ki * s.dh;
        if (r >= k || iy < 0 || iy >= s.h) {
          for (int64_t x = 0; x < s.ow; x++) d[x * nr] = 0.0f;
          continue;
        }
        const float* xr = image + ((c0 + c) * s.h + iy) * s.w;
        const int64_t offset = kj * s.dw - s.pw;
        for (int64_t x = 0; x < s.ow; x++) {
          const int64_t ix = x * s.sw + offset;
          d[x * nr] = (ix >= 0 && ix < s.w) ? xr[ix] : 0.0f;
        }
      }
    }
  }
}

/** Add col back into channels [c0, c0 + cg) of one image (the adjoint of im2col). */
void col2imAdd(const ConvShape& s, const float* col, int64_t c0, int64_t cg, float* image) {
  const int64_t plane = s.oh * s.ow;
  for (int64_t c = 0; c < cg; c++) {
    float* xc = image + (c0 + c) * s.h * s.w;
    for (int64_t ki = 0; ki < s.kh; ki++) {
      for (int64_t kj = 0; kj < s.kw; kj++) {
        const float* row = col + ((c * s.kh + ki) * s.kw + kj) * plane;
        for (int64_t y = 0; y < s.oh; y++) {
          const int64_t iy = y * s.sh - s.ph + ki * s.dh;
          if (iy < 0 || iy >= s.h) continue;
          float* xr = xc + iy * s.w;
          const float* r = row + y * s.ow;
          const int64_t offset = kj * s.dw - s.pw;
          int64_t x0 = 0;
          while (x0 < s.ow && x0 * s.sw + offset < 0) x0++;
          int64_t x1 = s.ow;
          while (x1 > x0 && (x1 - 1) * s.sw + offset >= s.w) x1--;
          if (s.sw == 1) {
            for (int64_t x = x0; x < x1; x++) xr[x + offset] += r[x];
          } else {
            for (int64_t x = x0; x < x1; x++) xr[x * s.sw + offset] += r[x];
          }
        }
      }
    }
  }
}

/** Run body(imageBegin, imageEnd, serialGemm, part) over images: by images when there are enough. */
template <class F>
void overImages(int64_t images, F&& body) {
  const int threads = threadCount();
  if (threads > 1 && images >= threads && !inParallelRegion()) {
    parallelParts(threads, [&](int part) {
      body(images * part / threads, images * (part + 1) / threads, true, part);
    });
  } else {
    body(int64_t{0}, images, false, 0);
  }
}

/** The direct kernels (conv-direct.cc) where they apply; SKIPLAB_NATIVE_CONV=im2col turns them off for comparisons. */
bool useDirect(const ConvShape& s) {
  static const bool disabled = [] {
    const char* v = std::getenv("SKIPLAB_NATIVE_CONV");
    return v != nullptr && std::strcmp(v, "im2col") == 0;
  }();
  return !disabled && directConvApplies(s);
}

void runGemm(const GemmProblem& g, bool serial) {
  if (serial) gemmSerial(g);
  else gemmParallel(g);
}

}  // namespace

const float* mapInput(const ConvShape& s, const float* x, const ChannelMap& input, ScratchSlot slot) {
  const int64_t plane = s.h * s.w;
  float* mapped = scratch(slot, static_cast<size_t>(s.n * s.c * plane));
  parallelRange(s.n * s.c, std::max<int64_t>(1, 8192 / std::max<int64_t>(plane, 1)), [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) {
      const int64_t c = q % s.c;
      channelAffineRow(x + q * plane, plane, input.mean[c], input.scale[c], input.shift[c], input.relu, mapped + q * plane);
    }
  });
  return mapped;
}

void conv2dForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* out, Precision precision,
                   const ChannelMap* input) {
  if (precision == Precision::Bf16) return bf16ConvForward(s, x, w, bias, out, input);
  if (useDirect(s)) return directConvForward(s, x, w, bias, out, input);
  if (input) x = mapInput(s, x, *input, ScratchSlot::Mapped);
  const int64_t cg = s.c / s.groups, og = s.o / s.groups;
  const int64_t k = cg * s.kh * s.kw, plane = s.oh * s.ow;
  const bool pointwise = isPointwise(s);
  const int nr = gemmPanelWidth();
  const int64_t panels = (plane + nr - 1) / nr;
  overImages(s.n, [&](int64_t n0, int64_t n1, bool serial, int part) {
    float* packed = pointwise ? nullptr : scratch(ScratchSlot::Column, static_cast<size_t>(k * panels * nr));
    for (int64_t n = n0; n < n1; n++) {
      const float* image = x + n * s.c * s.h * s.w;
      float* outImage = out + n * s.o * plane;
      for (int64_t g = 0; g < s.groups; g++) {
        GemmProblem problem{og, plane, k, w + g * og * k, k, false, image + g * cg * plane, plane, false, outImage + g * og * plane, plane, false};
        if (!pointwise) {
          im2colPacked(s, image, g * cg, cg, nr, packed);
          problem.packedB = packed;
        }
        runGemm(problem, serial);
      }
      if (bias) {
        for (int64_t o = 0; o < s.o; o++) {
          float* r = outImage + o * plane;
          const float bo = bias[o];
          for (int64_t p = 0; p < plane; p++) r[p] += bo;
        }
      }
    }
  });
}

void conv2dBackwardInput(const ConvShape& s, const float* dy, const float* w, float* dx, Precision precision) {
  if (precision == Precision::Bf16) return bf16ConvBackwardInput(s, dy, w, dx);
  if (useDirect(s)) return directConvBackwardInput(s, dy, w, dx);
  const int64_t cg = s.c / s.groups, og = s.o / s.groups;
  const int64_t k = cg * s.kh * s.kw, plane = s.oh * s.ow;
  const bool pointwise = isPointwise(s);
  overImages(s.n, [&](int64_t n0, int64_t n1, bool serial, int part) {
    float* col = pointwise ? nullptr : scratch(ScratchSlot::Column, static_cast<size_t>(k * plane));
    for (int64_t n = n0; n < n1; n++) {
      float* dxImage = dx + n * s.c * s.h * s.w;
      const float* dyImage = dy + n * s.o * plane;
      if (!pointwise) std::memset(dxImage, 0, sizeof(float) * s.c * s.h * s.w);
      for (int64_t g = 0; g < s.groups; g++) {
        float* target = pointwise ? dxImage + g * cg * plane : col;
        runGemm({k, plane, og, w + g * og * k, k, true, dyImage + g * og * plane, plane, false, target, plane, false}, serial);
        if (!pointwise) col2imAdd(s, col, g * cg, cg, dxImage);
      }
    }
  });
}

void conv2dBackwardWeight(const ConvShape& s, const float* x, const float* dy, float* dw, Precision precision,
                          const ChannelMap* input) {
  if (precision == Precision::Bf16) return bf16ConvBackwardWeight(s, x, dy, dw, input);
  if (useDirect(s)) return directConvBackwardWeight(s, x, dy, dw, input);
  if (input) x = mapInput(s, x, *input, ScratchSlot::Mapped);
  const int64_t cg = s.c / s.groups, og = s.o / s.groups;
  const int64_t k = cg * s.kh * s.kw, plane = s.oh * s.ow;
  const int64_t weights = s.o * k;
  const bool pointwise = isPointwise(s);
  const int threads = threadCount();
  const bool byImages = threads > 1 && s.n >= threads && !inParallelRegion();
  // By images, each thread sums its own images into a private partial dW; the partials are
  // then added in thread order, so the result is fixed for a fixed thread count.
  float* partials[256] = {};
  const int nr = gemmPanelWidth();
  overImages(s.n, [&](int64_t n0, int64_t n1, bool serial, int part) {
    float* packed = pointwise ? nullptr : scratch(ScratchSlot::Column, static_cast<size_t>((k + nr - 1) / nr * nr * plane));
    float* target = serial ? scratch(ScratchSlot::Partial, static_cast<size_t>(weights)) : dw;
    partials[part] = target;
    std::memset(target, 0, sizeof(float) * weights);
    for (int64_t n = n0; n < n1; n++) {
      const float* image = x + n * s.c * s.h * s.w;
      const float* dyImage = dy + n * s.o * plane;
      for (int64_t g = 0; g < s.groups; g++) {
        GemmProblem problem{og, k, plane, dyImage + g * og * plane, plane, false, image + g * cg * plane, plane, true, target + g * og * k, k, true};
        if (!pointwise) {
          im2colTransposedPacked(s, image, g * cg, cg, nr, packed);
          problem.packedB = packed;
        }
        runGemm(problem, serial);
      }
    }
  });
  if (byImages) {
    std::memcpy(dw, partials[0], sizeof(float) * weights);
    for (int t = 1; t < threads; t++) {
      const float* p = partials[t];
      for (int64_t i = 0; i < weights; i++) dw[i] += p[i];
    }
  }
}

}  // namespace skiplab
