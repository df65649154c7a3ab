#pragma once
#include <cstdint>

#include "common.h"
#include "kernels.h"

namespace skiplab {

/** Geometry of a 2-D convolution, NCHW activations and OIHW weights (as PyTorch). */
struct ConvShape {
  int64_t n, c, h, w;      // input
  int64_t o, oh, ow;       // output channels and size
  int64_t kh, kw;          // kernel
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t groups;
};

/** Operand precision (src/backend/backend.ts `Precision`): Bf16 rounds x, w and dy to bfloat16, sums in FP32. */
enum class Precision { Fp32 = 0, Bf16 = 1 };

/** With `input`, the convolution of x' = input(x) (ChannelMap), x' never stored where the direct kernels run. */
void conv2dForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* out,
                   Precision precision = Precision::Fp32, const ChannelMap* input = nullptr);
void conv2dBackwardInput(const ConvShape& s, const float* dy, const float* w, float* dx, Precision precision = Precision::Fp32);
void conv2dBackwardWeight(const ConvShape& s, const float* x, const float* dy, float* dw, Precision precision = Precision::Fp32,
                          const ChannelMap* input = nullptr);
/** x' = input(x) for all of x, in the calling thread's scratch `slot` (for kernels that read x more than once). */
const float* mapInput(const ConvShape& s, const float* x, const ChannelMap& input, ScratchSlot slot);

}  // namespace skiplab
