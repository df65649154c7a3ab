// Batch norm (Ioffe & Szegedy 2015, Alg. 1 and §3 for the backward pass), optionally fused with
// the ReLU that follows it, and layer norm (Ba et al. 2016). Batch norm is split over channels:
// each channel's planes are read by one thread, in two passes (statistics, then the affine map;
// or the gradient sums, then dx), the second of which can hit that core's L2 cache (a channel of
// ResNet-20's first stage at batch 128 is 512 KB), and each channel's sums run in a fixed order —
// results do not depend on the thread count. Layer norm is split over rows (its dgamma/dbeta
// over columns), likewise. Measured (bench/batch-norm.bench.ts) these passes run at the memory
// bandwidth of one core: an out array's first touch and write-allocate dominate, not arithmetic.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common.h"
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SKIPLAB_X86 1
#endif

namespace skiplab {

#include "batch-norm-kernels.inc"

namespace {
/** Channels per parallel part: about 32 K values each, so tiny tensors stay on one thread. */
int64_t channelGrain(int64_t planeValues) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, planeValues)); }

/**
 * A channel's planes lie C·S values apart, so each starts on a new page, where the hardware
 * prefetcher starts cold. The first pass over a channel (the one that reads memory; later
 * passes hit L2) asks for the plane `planesAhead(s)` further on, about 8 KB ahead, into L2.
 */
int64_t planesAhead(int64_t s) { return std::max<int64_t>(1, 2048 / std::max<int64_t>(1, s)); }
inline void prefetchPlane(const float* plane, int64_t s) {
  for (int64_t j = 0; j < s; j += 16) __builtin_prefetch(plane + j, 0, 2);
}
}  // namespace

void channelAffineRow(const float* x, int64_t n, float mean, float scale, float shift, bool relu, float* out) {
  planeKernels().affine(x, n, mean, scale, shift, relu, out);
}

namespace {
/**
 * The statistics of batch norm (and the running-statistics update), and the per-channel map
 * bn(x) = (x − saveMean)·scales + shifts. With `out`, also the normalised output (then the ReLU if
 * `relu`): with batch statistics a channel is normalised right after its statistics, while its
 * planes are still in L2.
 */
void statisticsAndMaybeNormalize(const float* x, int64_t n, int64_t c, int64_t s, const float* gamma, const float* beta,
                                 float* runningMean, float* runningVar, bool training, double momentum, double eps, bool relu,
                                 float* out, const float* residual, float* saveMean, float* saveInvStd, float* scales, float* shifts) {
  const int64_t count = n * s;
  const bool useBatch = training || !runningMean || !runningVar;
  const BatchNormPlaneKernels& k = planeKernels();
  parallelRange(c, useBatch ? channelGrain(count) : c, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ch++) {
      double mean, invStd;
      if (useBatch) {
        // One pass over memory: each plane's sum, then its centred squares while it is still in
        // L1, merged plane by plane in double with Chan, Golub & LeVeque's pairwise update
        // (1979) — as stable as the two-pass Σ(x − mean)², which would need a second sweep.
        const int64_t ahead = planesAhead(s);
        const float first = x[ch * s];  // sums run over x − first, near 0 whatever the mean
        double squares = 0.0;
        mean = 0.0;
        int64_t seen = 0;
        for (int64_t i = 0; i < n; i++) {
          const float* plane = x + (i * c + ch) * s;
          if (s >= 16 && i + ahead < n) prefetchPlane(x + ((i + ahead) * c + ch) * s, s);
          const double planeMean = static_cast<double>(first) + k.sum(plane, s, first) / static_cast<double>(s);
          // Centred on the float mean the vector lanes use: Σ(x − m̃)² = Σ(x − m)² + S·(m − m̃)².
          const float planeMeanF = static_cast<float>(planeMean);
          const double rounding = planeMean - static_cast<double>(planeMeanF);
          const double planeSquares = std::max(0.0, k.centeredSquares(plane, s, planeMeanF) - static_cast<double>(s) * rounding * rounding);
          const int64_t merged = seen + s;
          const double delta = planeMean - mean;
          mean += delta * static_cast<double>(s) / static_cast<double>(merged);
          squares += planeSquares + delta * delta * static_cast<double>(seen) * static_cast<double>(s) / static_cast<double>(merged);
          seen = merged;
        }
        const double variance = squares / static_cast<double>(count);
        invStd = 1.0 / std::sqrt(variance + eps);
        if (training && runningMean && runningVar) {
          // PyTorch updates the running variance with the unbiased estimate.
          const double unbiased = squares / static_cast<double>(count - 1);
          runningMean[ch] = static_cast<float>((1.0 - momentum) * runningMean[ch] + momentum * mean);
          runningVar[ch] = static_cast<float>((1.0 - momentum) * runningVar[ch] + momentum * unbiased);
        }
      } else {
        mean = runningMean[ch];
        invStd = 1.0 / std::sqrt(static_cast<double>(runningVar[ch]) + eps);
      }
      saveMean[ch] = static_cast<float>(mean);
      saveInvStd[ch] = static_cast<float>(invStd);
      // y = (x − m̃)·γσ⁻¹ + β − (mean − m̃)·γσ⁻¹ with m̃ the float mean: a subtraction (exact for x
      // near m̃) and a fused multiply-add (then the ReLU, if fused).
      const double scale = (gamma ? gamma[ch] : 1.0) * invStd;
      scales[ch] = static_cast<float>(scale);
      shifts[ch] = static_cast<float>((beta ? beta[ch] : 0.0) - (mean - static_cast<double>(saveMean[ch])) * scale);
      // With batch statistics the channel's planes were just read and are still in L2: normalise
      // them now. With running statistics nothing was read yet (see below).
      if (useBatch && out) {
        for (int64_t i = 0; i < n; i++) {
          const int64_t at = (i * c + ch) * s;
          k.affine(x + at, s, saveMean[ch], scales[ch], shifts[ch], relu && !residual, out + at);
          if (residual) k.addResidual(out + at, residual + at, s, relu);
        }
      }
    }
  });
  if (useBatch || !out) return;
  // Running statistics: normalise in memory order, split over images — one sequential stream in
  // and out (channel by channel, an 8 × 8 plane is 256 bytes every 16 KB, which defeats prefetching).
  parallelRange(n * c, std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(s, 1)), [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) {
      const int64_t ch = q % c;
      k.affine(x + q * s, s, saveMean[ch], scales[ch], shifts[ch], relu && !residual, out + q * s);
      if (residual) k.addResidual(out + q * s, residual + q * s, s, relu);
    }
  });
}

}  // namespace

void batchNormForward(const float* x, int64_t n, int64_t c, int64_t s, const float* gamma, const float* beta, float* runningMean,
                      float* runningVar, bool training, double momentum, double eps, bool relu, float* out, float* saveMean,
                      float* saveInvStd, const float* residual) {
  std::vector<float> scales(static_cast<size_t>(c)), shifts(static_cast<size_t>(c));
  statisticsAndMaybeNormalize(x, n, c, s, gamma, beta, runningMean, runningVar, training, momentum, eps, relu, out, residual, saveMean,
                              saveInvStd, scales.data(), shifts.data());
}

void batchNormStatistics(const float* x, int64_t n, int64_t c, int64_t s, const float* gamma, const float* beta, float* runningMean,
                         float* runningVar, bool training, double momentum, double eps, float* saveMean, float* saveInvStd, float* scale,
                         float* shift) {
  statisticsAndMaybeNormalize(x, n, c, s, gamma, beta, runningMean, runningVar, training, momentum, eps, false, nullptr, nullptr, saveMean,
                              saveInvStd, scale, shift);
}

void batchNormBackward(const float* x, int64_t n, int64_t c, int64_t s, const float* dy, const float* reluOutput, const ChannelMap* reluOf,
                       const float* gamma, const float* saveMean, const float* saveInvStd, bool training, float* dx, float* dgamma,
                       float* dbeta, float* maskedGradient) {
  const double count = static_cast<double>(n * s);
  const BatchNormPlaneKernels& k = planeKernels();
  // With reluOf, each plane's ReLU output is recomputed into a per-thread plane buffer with the
  // very kernel the map's forward used (channelAffineRow), so the mask matches it bit for bit.
  const auto maskPlane = [&](int64_t at, int64_t ch) -> const float* {
    if (reluOutput) return reluOutput + at;
    if (!reluOf) return nullptr;
    float* plane = scratch(ScratchSlot::EdgeTile, static_cast<size_t>(s));
    k.affine(x + at, s, reluOf->mean[ch], reluOf->scale[ch], reluOf->shift[ch], true, plane);
    return plane;
  };
  parallelRange(c, channelGrain(n * s), [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ch++) {
      const float mean = saveMean[ch];
      const double invStd = saveInvStd[ch];
      const double g = gamma ? gamma[ch] : 1.0;
      // With the ReLU fused, g = dy·[y > 0] replaces dy everywhere (inside the kernels).
      double sumDy = 0.0, sumDyCentered = 0.0;
      if (training || dgamma || dbeta) {
        const int64_t ahead = planesAhead(s);
        for (int64_t i = 0; i < n; i++) {
          const int64_t at = (i * c + ch) * s;
          if (s >= 16 && i + ahead < n) {
            const int64_t next = ((i + ahead) * c + ch) * s;
            prefetchPlane(x + next, s);
            prefetchPlane(dy + next, s);
            if (reluOutput) prefetchPlane(reluOutput + next, s);
          }
          k.backwardSums(x + at, dy + at, maskPlane(at, ch), s, mean, &sumDy, &sumDyCentered);
        }
      }
      const double sumDyXhat = sumDyCentered * invStd;
      if (dgamma) dgamma[ch] = static_cast<float>(sumDyXhat);
      if (dbeta) dbeta[ch] = static_cast<float>(sumDy);
      // training: dx = γσ⁻¹·(g − mean(g) − x̂·mean(g·x̂)) = a·g + c − (x − mean)·b;
      // eval: the statistics are constants, dx = γσ⁻¹·g.
      const double scale = g * invStd;
      const float a = static_cast<float>(scale);
      const float shift = training ? static_cast<float>(-scale * sumDy / count) : 0.0f;
      const float b = training ? static_cast<float>(scale * invStd * sumDyXhat / count) : 0.0f;
      for (int64_t i = 0; i < n; i++) {
        const int64_t at = (i * c + ch) * s;
        const float* mask = maskPlane(at, ch);
        k.backwardInput(training ? x + at : nullptr, dy + at, mask, s, mean, a, shift, b, dx + at);
        if (maskedGradient && mask) k.maskedCopy(dy + at, mask, s, maskedGradient + at);  // the residual's gradient
      }
    }
  });
}

void layerNormForward(const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta, double eps, float* out,
                      float* saveMean, float* saveInvStd) {
  parallelRange(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, cols)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* o = out + r * cols;
      double sum = 0.0;
      for (int64_t j = 0; j < cols; j++) sum += xr[j];
      const double mean = sum / static_cast<double>(cols);
      double squares = 0.0;
      for (int64_t j = 0; j < cols; j++) {
        const double d = xr[j] - mean;
        squares += d * d;
      }
      const double invStd = 1.0 / std::sqrt(squares / static_cast<double>(cols) + eps);
      saveMean[r] = static_cast<float>(mean);
      saveInvStd[r] = static_cast<float>(invStd);
      const float m = static_cast<float>(mean), is = static_cast<float>(invStd);
      for (int64_t j = 0; j < cols; j++) {
        const float xhat = (xr[j] - m) * is;
        o[j] = (gamma ? gamma[j] : 1.0f) * xhat + (beta ? beta[j] : 0.0f);
      }
    }
  });
}

void layerNormBackward(const float* x, int64_t rows, int64_t cols, const float* dy, const float* gamma, const float* saveMean,
                       const float* saveInvStd, float* dx, float* dgamma, float* dbeta) {
  parallelRange(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, cols)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      const float* d = dy + r * cols;
      float* o = dx + r * cols;
      const double mean = saveMean[r], invStd = saveInvStd[r];
      // dx = σ⁻¹ · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)) with ĝ = γ ⊙ dy.
      double sumG = 0.0, sumGXhat = 0.0;
      for (int64_t j = 0; j < cols; j++) {
        const double gj = static_cast<double>(d[j]) * (gamma ? gamma[j] : 1.0f);
        sumG += gj;
        sumGXhat += gj * ((xr[j] - mean) * invStd);
      }
      const double meanG = sumG / static_cast<double>(cols), meanGXhat = sumGXhat / static_cast<double>(cols);
      for (int64_t j = 0; j < cols; j++) {
        const double gj = static_cast<double>(d[j]) * (gamma ? gamma[j] : 1.0f);
        const double xhat = (xr[j] - mean) * invStd;
        o[j] = static_cast<float>(invStd * (gj - meanG - xhat * meanGXhat));
      }
    }
  });
  if (!dgamma && !dbeta) return;
  parallelRange(cols, 256, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) {
      double sumDy = 0.0, sumDyXhat = 0.0;
      for (int64_t r = 0; r < rows; r++) {
        const double dj = dy[r * cols + j];
        sumDy += dj;
        sumDyXhat += dj * ((x[r * cols + j] - static_cast<double>(saveMean[r])) * saveInvStd[r]);
      }
      if (dgamma) dgamma[j] = static_cast<float>(sumDyXhat);
      if (dbeta) dbeta[j] = static_cast<float>(sumDy);
    }
  });
}

}  // namespace skiplab
