// Convolutions with bfloat16 operands and FP32 sums (conv-bf16.cc), and the bf16 rounding that
// src/backend/bf16.ts defines.
#pragma once
#include <cstdint>

#include "conv.h"

namespace skiplab {

void bf16ConvForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* out, const ChannelMap* input);
void bf16ConvBackwardInput(const ConvShape& s, const float* dy, const float* w, float* dx);
void bf16ConvBackwardWeight(const ConvShape& s, const float* x, const float* dy, float* dw, const ChannelMap* input);

/**
 * The bfloat16 bits of x: round to nearest, ties to even; NaN made quiet; subnormals to signed
 * zero — what VCVTNE2PS2BF16 does, and what src/backend/bf16.ts defines.
 */
inline uint16_t bf16Bits(float x) {
  uint32_t u;
  __builtin_memcpy(&u, &x, sizeof u);
  const uint32_t exponent = u & 0x7f800000u;
  if (exponent == 0) return static_cast<uint16_t>((u & 0x80000000u) >> 16);
  if (exponent == 0x7f800000u && (u & 0x007fffffu) != 0) return static_cast<uint16_t>((u | 0x00400000u) >> 16);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/** dst[i] = src[i] rounded to bfloat16 (bf16Bits), as a float; dst may be src. Split over the pool. */
void roundToBf16(const float* src, int64_t n, float* dst);

}  // namespace skiplab
