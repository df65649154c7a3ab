// Declarations of the non-GEMM kernels; semantics are those of src/backend/backend.ts.
#pragma once
#include <cstdint>

namespace skiplab {

// Same order as the TypeScript wrapper's tables (src/backend/native/addon.ts).
enum class UnaryOp { Neg, Exp, Log, Sqrt, Abs, Square, Reciprocal, Relu, Gelu, Sigmoid, Tanh };
enum class BinaryOp { Add, Sub, Mul, Div, Maximum, Minimum };
enum class ReduceOp { Sum, Mean, Max };

constexpr int kMaxRank = 16;

void unary(UnaryOp op, const float* x, float* out, int64_t n);
void unaryBackward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, int64_t n);
void binary(BinaryOp op, const float* a, const int64_t* aShape, int aRank, const float* b, const int64_t* bShape, int bRank,
            float* out, const int64_t* outShape, int outRank, int64_t aLength, int64_t bLength, int64_t outLength);
void affine(const float* x, float alpha, float beta, float* out, int64_t n);
void axpy(float alpha, const float* x, float* y, int64_t n);

void reduce(ReduceOp op, const float* x, const int64_t* shape, int rank, const int* axes, int axisCount, float* out);
void reduceMaxBackward(const float* x, const int64_t* shape, int rank, const int* axes, int axisCount, const float* dy, float* dx, int64_t xLength);
void permute(const float* x, const int64_t* shape, int rank, const int* perm, float* out);
void copyRegion(const float* src, const int64_t* srcShape, const int64_t* srcStart, float* dst, const int64_t* dstShape,
                const int64_t* dstStart, const int64_t* region, int rank, bool accumulate);
void gatherRows(const float* table, int64_t rowLength, const int32_t* indices, int64_t count, float* out);
void scatterAddRows(const float* dy, int64_t rowLength, const int32_t* indices, int64_t count, float* table);

struct Pool2d {
  int64_t n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
};
void maxPool2dForward(const Pool2d& p, const float* x, float* out, int32_t* argmax);
void maxPool2dBackward(const float* dy, const int32_t* argmax, int64_t count, float* dx, int64_t dxLength, int64_t planes);
void avgPool2dForward(const Pool2d& p, bool countIncludePad, const float* x, float* out);
void avgPool2dBackward(const Pool2d& p, bool countIncludePad, const float* dy, float* dx);
void adaptiveAvgPool2dForward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const float* x, float* out);
void adaptiveAvgPool2dBackward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const float* dy, float* dx);

/**
 * A per-channel map applied to a kernel's input as it is read (src/backend/backend.ts
 * ChannelAffine): x' = relu?((x − mean[c])·scale[c] + shift[c]).
 */
struct ChannelMap {
  const float* mean;
  const float* scale;
  const float* shift;
  bool relu;
};
/** out[j] = relu?((x[j] − mean)·scale + shift) for j < n, exactly as batch norm's forward computes it; out may be x. */
void channelAffineRow(const float* x, int64_t n, float mean, float scale, float shift, bool relu, float* out);

/** With relu, out = max(bn(x), 0) (batch norm fused with the ReLU that follows it); with residual, bn(x) + residual first. */
void batchNormForward(const float* x, int64_t n, int64_t c, int64_t s, const float* gamma, const float* beta, float* runningMean,
                      float* runningVar, bool training, double momentum, double eps, bool relu, float* out, float* saveMean,
                      float* saveInvStd, const float* residual = nullptr);
/** Statistics only, and the map bn(x) = (x − saveMean)·scale + shift per channel. */
void batchNormStatistics(const float* x, int64_t n, int64_t c, int64_t s, const float* gamma, const float* beta, float* runningMean,
                         float* runningVar, bool training, double momentum, double eps, float* saveMean, float* saveInvStd, float* scale,
                         float* shift);
/**
 * With reluOutput (the fused forward's out), dy is first masked by reluOutput > 0; with reluOf, by
 * reluOf(x) > 0. maskedGradient (with a mask) receives the masked dy.
 */
void batchNormBackward(const float* x, int64_t n, int64_t c, int64_t s, const float* dy, const float* reluOutput, const ChannelMap* reluOf,
                       const float* gamma, const float* saveMean, const float* saveInvStd, bool training, float* dx, float* dgamma,
                       float* dbeta, float* maskedGradient = nullptr);
void layerNormForward(const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta, double eps, float* out,
                      float* saveMean, float* saveInvStd);
void layerNormBackward(const float* x, int64_t rows, int64_t cols, const float* dy, const float* gamma, const float* saveMean,
                       const float* saveInvStd, float* dx, float* dgamma, float* dbeta);

void softmaxForward(const float* x, int64_t outer, int64_t axis, int64_t inner, bool log, float* out);
void softmaxBackward(const float* y, const float* dy, int64_t outer, int64_t axis, int64_t inner, bool log, float* dx);
void softmaxCrossEntropyForward(const float* logits, int64_t rows, int64_t classes, const int32_t* labels, double smoothing,
                                float* losses, float* probs);
void softmaxCrossEntropyBackward(const float* probs, int64_t rows, int64_t classes, const int32_t* labels, double smoothing,
                                 const float* dLosses, float* dLogits);
void dropoutForward(const float* x, double p, uint32_t seed, float* out, float* mask, int64_t n);

struct Sgd { double lr, momentum, dampening, weightDecay; bool nesterov, firstStep; };
struct Adam { double lr, beta1, beta2, eps, weightDecay; bool decoupled; double step; };
void sgdStep(float* param, const float* grad, float* momentumBuffer, int64_t n, const Sgd& p);
void adamStep(float* param, const float* grad, float* m, float* v, int64_t n, const Adam& p);

}  // namespace skiplab
