// Pooling, softmax and the fused softmax-cross-entropy. Pooling is split over (image, channel)
// planes and softmax over rows: each output belongs to one thread, so results do not depend on
// the thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common.h"
#include "kernels.h"

namespace skiplab {

namespace {
/** No padding, no dilation, every window inside the input: the common 2×2 / stride-2 case. */
bool windowsInside(const Pool2d& p) {
  return p.ph == 0 && p.pw == 0 && p.dh == 1 && p.dw == 1 && (p.oh - 1) * p.sh + p.kh <= p.h && (p.ow - 1) * p.sw + p.kw <= p.w;
}
}  // namespace

void maxPool2dForward(const Pool2d& p, const float* x, float* out, int32_t* argmax) {
  const int64_t planes = p.n * p.c;
  if (windowsInside(p)) {
    // Same scan order and tie / NaN rule as the general loop below, without the bounds tests.
    parallelRange(planes, 4, [&](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; q++) {
        for (int64_t y = 0; y < p.oh; y++) {
          const int64_t rowStart = q * p.h * p.w + y * p.sh * p.w;
          for (int64_t xo = 0; xo < p.ow; xo++) {
            const int64_t first = rowStart + xo * p.sw;
            float best = x[first];
            int64_t bestIndex = first;
            for (int64_t ki = 0; ki < p.kh; ki++) {
              for (int64_t kj = ki == 0 ? 1 : 0; kj < p.kw; kj++) {
                const int64_t index = first + ki * p.w + kj;
                const float v = x[index];
                if (v > best || std::isnan(v)) {
                  best = v;
                  bestIndex = index;
                }
              }
            }
            const int64_t o = (q * p.oh + y) * p.ow + xo;
            out[o] = best;
            argmax[o] = static_cast<int32_t>(bestIndex);
          }
        }
      }
    });
    return;
  }
  parallelRange(planes, 4, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) {
      const int64_t planeStart = q * p.h * p.w;
      for (int64_t y = 0; y < p.oh; y++) {
        for (int64_t xo = 0; xo < p.ow; xo++) {
          float best = -std::numeric_limits<float>::infinity();
          int64_t bestIndex = -1;
          for (int64_t ki = 0; ki < p.kh; ki++) {
            const int64_t iy = y * p.sh - p.ph + ki * p.dh;
            if (iy < 0 || iy >= p.h) continue;
            for (int64_t kj = 0; kj < p.kw; kj++) {
              const int64_t ix = xo * p.sw - p.pw + kj * p.dw;
              if (ix < 0 || ix >= p.w) continue;
              const int64_t index = planeStart + iy * p.w + ix;
              const float v = x[index];
              // First maximum in scan order; a NaN wins (the reference keeps the last NaN).
              if (bestIndex < 0 || v > best || std::isnan(v)) {
                best = v;
                bestIndex = index;
              }
            }
          }
          const int64_t o = (q * p.oh + y) * p.ow + xo;
          out[o] = best;
          argmax[o] = static_cast<int32_t>(bestIndex);
        }
      }
    }
  });
}

void maxPool2dBackward(const float* dy, const int32_t* argmax, int64_t count, float* dx, int64_t dxLength, int64_t planes) {
  std::memset(dx, 0, sizeof(float) * dxLength);
  // argmax of an output lies in the same (image, channel) plane, so planes are independent.
  const int64_t perPlane = planes > 0 ? count / planes : count;
  if (planes <= 0 || perPlane * planes != count) {
    for (int64_t i = 0; i < count; i++) dx[argmax[i]] += dy[i];
    return;
  }
  parallelRange(planes, 16, [&](int64_t q0, int64_t q1) {
    for (int64_t i = q0 * perPlane; i < q1 * perPlane; i++) dx[argmax[i]] += dy[i];
  });
}

namespace {
/** PyTorch's average-pool window: clipped to the padded input for the divisor, to x for the sum. */
struct Window {
  int64_t y0, y1, x0, x1;
  double divisor;
};
inline Window windowOf(const Pool2d& p, bool countIncludePad, int64_t y, int64_t xo) {
  int64_t y0 = y * p.sh - p.ph, x0 = xo * p.sw - p.pw;
  int64_t y1 = std::min(y0 + p.kh, p.h + p.ph), x1 = std::min(x0 + p.kw, p.w + p.pw);
  const int64_t padded = (y1 - y0) * (x1 - x0);
  y0 = std::max<int64_t>(y0, 0);
  x0 = std::max<int64_t>(x0, 0);
  y1 = std::min(y1, p.h);
  x1 = std::min(x1, p.w);
  const int64_t inside = (y1 - y0) * (x1 - x0);
  return {y0, y1, x0, x1, static_cast<double>(countIncludePad ? padded : inside)};
}
}  // namespace

void avgPool2dForward(const Pool2d& p, bool countIncludePad, const float* x, float* out) {
  if (windowsInside(p)) {
    const double divisor = static_cast<double>(p.kh * p.kw);
    parallelRange(p.n * p.c, 4, [&](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; q++) {
        for (int64_t y = 0; y < p.oh; y++) {
          const float* row = x + q * p.h * p.w + y * p.sh * p.w;
          float* o = out + (q * p.oh + y) * p.ow;
          for (int64_t xo = 0; xo < p.ow; xo++) {
            double sum = 0.0;
            for (int64_t ki = 0; ki < p.kh; ki++)
              for (int64_t kj = 0; kj < p.kw; kj++) sum += row[ki * p.w + xo * p.sw + kj];
            o[xo] = static_cast<float>(sum / divisor);
          }
        }
      }
    });
    return;
  }
  parallelRange(p.n * p.c, 4, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) {
      const float* plane = x + q * p.h * p.w;
      for (int64_t y = 0; y < p.oh; y++) {
        for (int64_t xo = 0; xo < p.ow; xo++) {
          const Window win = windowOf(p, countIncludePad, y, xo);
          double sum = 0.0;
          for (int64_t iy = win.y0; iy < win.y1; iy++)
            for (int64_t ix = win.x0; ix < win.x1; ix++) sum += plane[iy * p.w + ix];
          out[(q * p.oh + y) * p.ow + xo] = static_cast<float>(sum / win.divisor);
        }
      }
    }
  });
}

void avgPool2dBackward(const Pool2d& p, bool countIncludePad, const float* dy, float* dx) {
  if (windowsInside(p)) {
    const double divisor = static_cast<double>(p.kh * p.kw);
    parallelRange(p.n * p.c, 4, [&](int64_t q0, int64_t q1) {
      // Each thread clears its own planes (a serial clear of the whole gradient cost as much as the rest).
      std::memset(dx + q0 * p.h * p.w, 0, sizeof(float) * (q1 - q0) * p.h * p.w);
      for (int64_t q = q0; q < q1; q++) {
        for (int64_t y = 0; y < p.oh; y++) {
          float* row = dx + q * p.h * p.w + y * p.sh * p.w;
          const float* d = dy + (q * p.oh + y) * p.ow;
          for (int64_t xo = 0; xo < p.ow; xo++) {
            const float g = static_cast<float>(d[xo] / divisor);
            for (int64_t ki = 0; ki < p.kh; ki++)
              for (int64_t kj = 0; kj < p.kw; kj++) row[ki * p.w + xo * p.sw + kj] += g;
          }
        }
      }
    });
    return;
  }
  std::memset(dx, 0, sizeof(float) * p.n * p.c * p.h * p.w);
  parallelRange(p.n * p.c, 4, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) {
      float* plane = dx + q * p.h * p.w;
      for (int64_t y = 0; y < p.oh; y++) {
        for (int64_t xo = 0; xo < p.ow; xo++) {
          const Window win = windowOf(p, countIncludePad, y, xo);
          const float g = static_cast<float>(dy[(q * p.oh + y) * p.ow + xo] / win.divisor);
          for (int64_t iy = win.y0; iy < win.y1; iy++)
            for (int64_t ix = win.x0; ix < win.x1; ix++) plane[iy * p.w + ix] += g;
        }
      }
    }
  });
}

void adaptiveAvgPool2dForward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const float* x, float* out) {
  parallelRange(planes, 4, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) {
      const float* plane = x + q * h * w;
      for (int64_t i = 0; i < oh; i++) {
        const int64_t y0 = i * h / oh, y1 = ((i + 1) * h + oh - 1) / oh;
        for (int64_t j = 0; j < ow; j++) {
          const int64_t x0 = j * w / ow, x1 = ((j + 1) * w + ow - 1) / ow;
          double sum = 0.0;
          for (int64_t y = y0; y < y1; y++)
            for (int64_t xx = x0; xx < x1; xx++) sum += plane[y * w + xx];
          out[(q * oh + i) * ow + j] = static_cast<float>(sum / static_cast<double>((y1 - y0) * (x1 - x0)));
        }
      }
    }
  });
}

void adaptiveAvgPool2dBackward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const float* dy, float* dx) {
  std::memset(dx, 0, sizeof(float) * planes * h * w);
  parallelRange(planes, 4, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) {
      float* plane = dx + q * h * w;
      for (int64_t i = 0; i < oh; i++) {
        const int64_t y0 = i * h / oh, y1 = ((i + 1) * h + oh - 1) / oh;
        for (int64_t j = 0; j < ow; j++) {
          const int64_t x0 = j * w / ow, x1 = ((j + 1) * w + ow - 1) / ow;
          const float g = static_cast<float>(dy[(q * oh + i) * ow + j] / static_cast<double>((y1 - y0) * (x1 - x0)));
          for (int64_t y = y0; y < y1; y++)
            for (int64_t xx = x0; xx < x1; xx++) plane[y * w + xx] += g;
        }
      }
    }
  });
}

void softmaxForward(const float* x, int64_t outer, int64_t axis, int64_t inner, bool log, float* out) {
  parallelRange(outer * inner, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t o = r / inner, j = r % inner;
      const float* xr = x + o * axis * inner + j;
      float* yr = out + o * axis * inner + j;
      double max = -std::numeric_limits<double>::infinity();
      for (int64_t a = 0; a < axis; a++) max = std::max<double>(max, xr[a * inner]);
      double sum = 0.0;
      for (int64_t a = 0; a < axis; a++) sum += std::exp(xr[a * inner] - max);
      if (log) {
        const double logSum = std::log(sum) + max;
        for (int64_t a = 0; a < axis; a++) yr[a * inner] = static_cast<float>(xr[a * inner] - logSum);
      } else {
        const double inv = 1.0 / sum;
        for (int64_t a = 0; a < axis; a++) yr[a * inner] = static_cast<float>(std::exp(xr[a * inner] - max) * inv);
      }
    }
  });
}

void softmaxBackward(const float* y, const float* dy, int64_t outer, int64_t axis, int64_t inner, bool log, float* dx) {
  parallelRange(outer * inner, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t base = (r / inner) * axis * inner + r % inner;
      double acc = 0.0;
      if (log) {
        for (int64_t a = 0; a < axis; a++) acc += dy[base + a * inner];
        for (int64_t a = 0; a < axis; a++) {
          const int64_t i = base + a * inner;
          dx[i] = static_cast<float>(dy[i] - std::exp(static_cast<double>(y[i])) * acc);
        }
      } else {
        for (int64_t a = 0; a < axis; a++) acc += static_cast<double>(dy[base + a * inner]) * y[base + a * inner];
        for (int64_t a = 0; a < axis; a++) {
          const int64_t i = base + a * inner;
          dx[i] = static_cast<float>(y[i] * (dy[i] - acc));
        }
      }
    }
  });
}

void softmaxCrossEntropyForward(const float* logits, int64_t rows, int64_t classes, const int32_t* labels, double smoothing,
                                float* losses, float* probs) {
  const double offValue = smoothing / static_cast<double>(classes);
  const double onValue = 1.0 - smoothing + offValue;
  parallelRange(rows, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* l = logits + r * classes;
      float* pr = probs + r * classes;
      double max = -std::numeric_limits<double>::infinity();
      for (int64_t c = 0; c < classes; c++) max = std::max<double>(max, l[c]);
      double sum = 0.0;
      for (int64_t c = 0; c < classes; c++) {
        const double e = std::exp(l[c] - max);  // kept in probs: one exp per logit, not two
        pr[c] = static_cast<float>(e);
        sum += e;
      }
      const double logSum = std::log(sum) + max, inv = 1.0 / sum;
      const int32_t label = labels[r];
      double loss = 0.0;
      for (int64_t c = 0; c < classes; c++) {
        pr[c] = static_cast<float>(pr[c] * inv);
        const double target = c == label ? onValue : offValue;
        if (target != 0.0) loss -= target * (l[c] - logSum);
      }
      losses[r] = label < 0 ? 0.0f : static_cast<float>(loss);
    }
  });
}

void softmaxCrossEntropyBackward(const float* probs, int64_t rows, int64_t classes, const int32_t* labels, double smoothing,
                                 const float* dLosses, float* dLogits) {
  const double offValue = smoothing / static_cast<double>(classes);
  const double onValue = 1.0 - smoothing + offValue;
  parallelRange(rows, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int32_t label = labels[r];
      const double g = label < 0 ? 0.0 : dLosses[r];
      for (int64_t c = 0; c < classes; c++) {
        const double target = c == label ? onValue : offValue;
        dLogits[r * classes + c] = static_cast<float>(g * (probs[r * classes + c] - target));
      }
    }
  });
}

}  // namespace skiplab
