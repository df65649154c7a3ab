// Batch norm (Ioffe & Szegedy 2015, Alg. 1 and §3 for the backward pass) and layer norm
// (Ba et al. 2016). Statistics accumulate in double. Batch norm is split over channels and
// layer norm over rows (its dgamma/dbeta over columns), so every output is computed by one
// thread in a fixed order: results do not depend on the thread count.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "kernels.h"

namespace skiplab {

namespace {
constexpr int kLanes = 8;

/** Σ r[j] in double with 8 independent accumulators (vectorisable, fixed order). */
inline void addSum(const float* r, int64_t n, double* acc) {
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; l++) acc[l] += r[j + l];
  for (; j < n; j++) acc[0] += r[j];
}
/** Σ (r[j] − mean)² likewise. */
inline void addSquares(const float* r, int64_t n, double mean, double* acc) {
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; l++) {
      const double d = r[j + l] - mean;
      acc[l] += d * d;
    }
  for (; j < n; j++) {
    const double d = r[j] - mean;
    acc[0] += d * d;
  }
}
/** Σ d[j] and Σ d[j]·(r[j] − mean) likewise (x̂ = (r − mean)·invStd is applied by the caller). */
inline void addBackwardSums(const float* r, const float* d, int64_t n, double mean, double* sumDy, double* sumDyCentered) {
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; l++) {
      sumDy[l] += d[j + l];
      sumDyCentered[l] += d[j + l] * (r[j + l] - mean);
    }
  for (; j < n; j++) {
    sumDy[0] += d[j];
    sumDyCentered[0] += d[j] * (r[j] - mean);
  }
}
inline double total(const double* acc) {
  double t = 0.0;
  for (int l = 0; l < kLanes; l++) t += acc[l];
  return t;
}
}  // namespace

void batchNormForward(const float* x, int64_t n, int64_t c, int64_t s, const float* gamma, const float* beta, float* runningMean,
                      float* runningVar, bool training, double momentum, double eps, float* out, float* saveMean, float* saveInvStd) {
  const int64_t count = n * s;
  const bool useBatch = training || !runningMean || !runningVar;
  parallelRange(c, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ch++) {
      double mean, invStd;
      if (useBatch) {
        double acc[kLanes] = {};
        for (int64_t i = 0; i < n; i++) addSum(x + (i * c + ch) * s, s, acc);
        mean = total(acc) / static_cast<double>(count);
        double squaresAcc[kLanes] = {};
        for (int64_t i = 0; i < n; i++) addSquares(x + (i * c + ch) * s, s, mean, squaresAcc);
        const double squares = total(squaresAcc);
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
      const double g = gamma ? gamma[ch] : 1.0;
      const float scale = static_cast<float>(g * invStd);
      const float shift = static_cast<float>((beta ? beta[ch] : 0.0) - mean * g * invStd);
      for (int64_t i = 0; i < n; i++) {
        const float* r = x + (i * c + ch) * s;
        float* o = out + (i * c + ch) * s;
        for (int64_t j = 0; j < s; j++) o[j] = r[j] * scale + shift;
      }
    }
  });
}

void batchNormBackward(const float* x, int64_t n, int64_t c, int64_t s, const float* dy, const float* gamma, const float* saveMean,
                       const float* saveInvStd, bool training, float* dx, float* dgamma, float* dbeta) {
  const double count = static_cast<double>(n * s);
  parallelRange(c, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ch++) {
      const double mean = saveMean[ch], invStd = saveInvStd[ch];
      const double g = gamma ? gamma[ch] : 1.0;
      double dyAcc[kLanes] = {}, centeredAcc[kLanes] = {};
      for (int64_t i = 0; i < n; i++) addBackwardSums(x + (i * c + ch) * s, dy + (i * c + ch) * s, s, mean, dyAcc, centeredAcc);
      const double sumDy = total(dyAcc), sumDyXhat = total(centeredAcc) * invStd;
      if (dgamma) dgamma[ch] = static_cast<float>(sumDyXhat);
      if (dbeta) dbeta[ch] = static_cast<float>(sumDy);
      // training: dx = γ·σ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)); eval: the statistics are constants.
      const float k = static_cast<float>(g * invStd);
      const float meanDy = training ? static_cast<float>(sumDy / count) : 0.0f;
      const float meanDyXhat = training ? static_cast<float>(sumDyXhat / count) : 0.0f;
      const float m = static_cast<float>(mean), is = static_cast<float>(invStd);
      for (int64_t i = 0; i < n; i++) {
        const float* r = x + (i * c + ch) * s;
        const float* d = dy + (i * c + ch) * s;
        float* o = dx + (i * c + ch) * s;
        for (int64_t j = 0; j < s; j++) o[j] = k * (d[j] - meanDy - (r[j] - m) * is * meanDyXhat);
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
