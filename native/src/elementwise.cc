// Elementwise kernels, dropout and optimiser updates. These are memory-bound: they are written
// as simple loops the compiler vectorises, split over threads for large arrays. No element
// depends on another, so results never depend on the thread count.
#include <cmath>

#include "common.h"
#include "kernels.h"

namespace skiplab {

namespace {

constexpr int64_t kGrain = 1 << 15;

template <class F>
void forChunks(int64_t n, F&& body) {
  parallelRange(n, kGrain, body);
}

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

template <BinaryOp OP>
inline float apply(float a, float b) {
  if constexpr (OP == BinaryOp::Add) return a + b;
  if constexpr (OP == BinaryOp::Sub) return a - b;
  if constexpr (OP == BinaryOp::Mul) return a * b;
  if constexpr (OP == BinaryOp::Div) return a / b;
  // As the reference: a > b ? a : b (a NaN in a loses, a NaN in b wins).
  if constexpr (OP == BinaryOp::Maximum) return a > b ? a : b;
  return a < b ? a : b;
}

template <BinaryOp OP>
void binaryTyped(const float* a, const int64_t* aShape, int aRank, const float* b, const int64_t* bShape, int bRank, float* out,
                 const int64_t* outShape, int rank, int64_t aLength, int64_t bLength, int64_t total) {
  if (aLength == total && bLength == total) {
    forChunks(total, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; i++) out[i] = apply<OP>(a[i], b[i]);
    });
    return;
  }
  if (bLength == 1 && aLength == total) {
    const float bv = b[0];
    forChunks(total, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; i++) out[i] = apply<OP>(a[i], bv);
    });
    return;
  }
  if (aLength == 1 && bLength == total) {
    const float av = a[0];
    forChunks(total, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; i++) out[i] = apply<OP>(av, b[i]);
    });
    return;
  }
  if (rank == 0) {
    out[0] = apply<OP>(a[0], b[0]);
    return;
  }
  // Right-aligned strides, 0 along broadcast dimensions.
  int64_t sa[kMaxRank] = {}, sb[kMaxRank] = {};
  for (int64_t i = aRank - 1, s = 1; i >= 0; i--) {
    sa[rank - aRank + i] = aShape[i] == 1 ? 0 : s;
    s *= aShape[i];
  }
  for (int64_t i = bRank - 1, s = 1; i >= 0; i--) {
    sb[rank - bRank + i] = bShape[i] == 1 ? 0 : s;
    s *= bShape[i];
  }
  const int64_t inner = outShape[rank - 1];
  if (inner == 0) return;
  const int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  const int64_t rows = total / inner;
  parallelRange(rows, (kGrain + inner - 1) / inner, [&](int64_t r0, int64_t r1) {
    int64_t index[kMaxRank] = {};
    int64_t offA = 0, offB = 0;
    for (int64_t d = rank - 2, rest = r0; d >= 0; d--) {
      index[d] = rest % outShape[d];
      rest /= outShape[d];
      offA += index[d] * sa[d];
      offB += index[d] * sb[d];
    }
    for (int64_t r = r0; r < r1; r++) {
      float* o = out + r * inner;
      if (ia == 1 && ib == 0) {
        const float bv = b[offB];
        for (int64_t j = 0; j < inner; j++) o[j] = apply<OP>(a[offA + j], bv);
      } else if (ia == 0 && ib == 1) {
        const float av = a[offA];
        for (int64_t j = 0; j < inner; j++) o[j] = apply<OP>(av, b[offB + j]);
      } else if (ia == 1 && ib == 1) {
        for (int64_t j = 0; j < inner; j++) o[j] = apply<OP>(a[offA + j], b[offB + j]);
      } else {
        for (int64_t j = 0; j < inner; j++) o[j] = apply<OP>(a[offA + j * ia], b[offB + j * ib]);
      }
      for (int64_t d = rank - 2; d >= 0; d--) {
        index[d]++;
        offA += sa[d];
        offB += sb[d];
        if (index[d] < outShape[d]) break;
        offA -= sa[d] * index[d];
        offB -= sb[d] * index[d];
        index[d] = 0;
      }
    }
  });
}

/** The counter-based uniform of src/backend/counter-random.ts, bit for bit. */
inline double dropoutUniform(uint32_t seed, uint32_t index) {
  uint32_t h = seed ^ (index * 0x9E3779B1u);
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return static_cast<double>(h) * 2.3283064365386963e-10;
}

}  // namespace

void unary(UnaryOp op, const float* x, float* out, int64_t n) {
  forChunks(n, [&](int64_t i0, int64_t i1) {
    switch (op) {
      case UnaryOp::Neg: for (int64_t i = i0; i < i1; i++) out[i] = -x[i]; break;
      case UnaryOp::Exp: for (int64_t i = i0; i < i1; i++) out[i] = std::exp(x[i]); break;
      case UnaryOp::Log: for (int64_t i = i0; i < i1; i++) out[i] = std::log(x[i]); break;
      case UnaryOp::Sqrt: for (int64_t i = i0; i < i1; i++) out[i] = std::sqrt(x[i]); break;
      case UnaryOp::Abs: for (int64_t i = i0; i < i1; i++) out[i] = std::fabs(x[i]); break;
      case UnaryOp::Square: for (int64_t i = i0; i < i1; i++) out[i] = x[i] * x[i]; break;
      case UnaryOp::Reciprocal: for (int64_t i = i0; i < i1; i++) out[i] = 1.0f / x[i]; break;
      case UnaryOp::Relu: for (int64_t i = i0; i < i1; i++) out[i] = x[i] > 0.0f ? x[i] : 0.0f; break;
      case UnaryOp::Gelu:
        for (int64_t i = i0; i < i1; i++) out[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
        break;
      case UnaryOp::Sigmoid: for (int64_t i = i0; i < i1; i++) out[i] = 1.0f / (1.0f + std::exp(-x[i])); break;
      case UnaryOp::Tanh: for (int64_t i = i0; i < i1; i++) out[i] = std::tanh(x[i]); break;
    }
  });
}

void unaryBackward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, int64_t n) {
  forChunks(n, [&](int64_t i0, int64_t i1) {
    switch (op) {
      case UnaryOp::Neg: for (int64_t i = i0; i < i1; i++) dx[i] = -dy[i]; break;
      case UnaryOp::Exp: for (int64_t i = i0; i < i1; i++) dx[i] = dy[i] * y[i]; break;
      case UnaryOp::Log: for (int64_t i = i0; i < i1; i++) dx[i] = dy[i] / x[i]; break;
      case UnaryOp::Sqrt: for (int64_t i = i0; i < i1; i++) dx[i] = dy[i] * 0.5f / y[i]; break;
      case UnaryOp::Abs:
        for (int64_t i = i0; i < i1; i++) dx[i] = x[i] > 0.0f ? dy[i] : (x[i] < 0.0f ? -dy[i] : (x[i] == 0.0f ? 0.0f * dy[i] : NAN));
        break;
      case UnaryOp::Square: for (int64_t i = i0; i < i1; i++) dx[i] = 2.0f * dy[i] * x[i]; break;
      case UnaryOp::Reciprocal: for (int64_t i = i0; i < i1; i++) dx[i] = -dy[i] * y[i] * y[i]; break;
      case UnaryOp::Relu:
        // dy is loaded unconditionally so the select compiles to a vector blend, not a branch
        // that mispredicts on every sign change.
        for (int64_t i = i0; i < i1; i++) {
          const float d = dy[i];
          dx[i] = x[i] > 0.0f ? d : 0.0f;
        }
        break;
      case UnaryOp::Gelu:
        for (int64_t i = i0; i < i1; i++) {
          const float v = x[i];
          const float cdf = 0.5f * (1.0f + std::erf(v * kInvSqrt2));
          dx[i] = dy[i] * (cdf + v * kInvSqrt2Pi * std::exp(-0.5f * v * v));
        }
        break;
      case UnaryOp::Sigmoid: for (int64_t i = i0; i < i1; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]); break;
      case UnaryOp::Tanh: for (int64_t i = i0; i < i1; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]); break;
    }
  });
}

void binary(BinaryOp op, const float* a, const int64_t* aShape, int aRank, const float* b, const int64_t* bShape, int bRank,
            float* out, const int64_t* outShape, int outRank, int64_t aLength, int64_t bLength, int64_t outLength) {
#define SKIPLAB_BINARY(OP) \
  binaryTyped<OP>(a, aShape, aRank, b, bShape, bRank, out, outShape, outRank, aLength, bLength, outLength); break
  switch (op) {
    case BinaryOp::Add: SKIPLAB_BINARY(BinaryOp::Add);
    case BinaryOp::Sub: SKIPLAB_BINARY(BinaryOp::Sub);
    case BinaryOp::Mul: SKIPLAB_BINARY(BinaryOp::Mul);
    case BinaryOp::Div: SKIPLAB_BINARY(BinaryOp::Div);
    case BinaryOp::Maximum: SKIPLAB_BINARY(BinaryOp::Maximum);
    case BinaryOp::Minimum: SKIPLAB_BINARY(BinaryOp::Minimum);
  }
#undef SKIPLAB_BINARY
}

void affine(const float* x, float alpha, float beta, float* out, int64_t n) {
  forChunks(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) out[i] = alpha * x[i] + beta;
  });
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
  forChunks(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) y[i] += alpha * x[i];
  });
}

void dropoutForward(const float* x, double p, uint32_t seed, float* out, float* mask, int64_t n) {
  // Computed in double like the reference so masks and outputs match it bit for bit.
  const double scale = p < 1.0 ? 1.0 / (1.0 - p) : 0.0;
  forChunks(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const double m = dropoutUniform(seed, static_cast<uint32_t>(i)) >= p ? scale : 0.0;
      mask[i] = static_cast<float>(m);
      out[i] = static_cast<float>(static_cast<double>(x[i]) * m);
    }
  });
}

void sgdStep(float* param, const float* grad, float* buffer, int64_t n, const Sgd& p) {
  // Double arithmetic, as the reference, so parameters track it to the last bit in most steps.
  forChunks(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      double g = static_cast<double>(grad[i]) + p.weightDecay * param[i];
      if (p.momentum != 0.0 && buffer) {
        const double b = p.firstStep ? g : p.momentum * buffer[i] + (1.0 - p.dampening) * g;
        buffer[i] = static_cast<float>(b);
        g = p.nesterov ? g + p.momentum * b : b;
      }
      param[i] = static_cast<float>(param[i] - p.lr * g);
    }
  });
}

void adamStep(float* param, const float* grad, float* m, float* v, int64_t n, const Adam& p) {
  const double bias1 = 1.0 - std::pow(p.beta1, p.step);
  const double bias2 = 1.0 - std::pow(p.beta2, p.step);
  const double stepSize = p.lr / bias1;
  const double sqrtBias2 = std::sqrt(bias2);
  forChunks(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      double w = param[i];
      double g = grad[i];
      if (p.weightDecay != 0.0) {
        if (p.decoupled) w -= p.lr * p.weightDecay * w;
        else g += p.weightDecay * w;
      }
      const double mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
      const double vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
      m[i] = static_cast<float>(mi);
      v[i] = static_cast<float>(vi);
      param[i] = static_cast<float>(w - stepSize * mi / (std::sqrt(vi) / sqrtBias2 + p.eps));
    }
  });
}

}  // namespace skiplab
