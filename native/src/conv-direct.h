#pragma once
#include "conv.h"

namespace skiplab {

/** True when conv-direct.cc handles the shape: stride 1, no dilation, one group, not 1×1, AVX2 or AVX-512. */
bool directConvApplies(const ConvShape& s);
void directConvForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* out, const ChannelMap* input);
void directConvBackwardInput(const ConvShape& s, const float* dy, const float* w, float* dx);
void directConvBackwardWeight(const ConvShape& s, const float* x, const float* dy, float* dw, const ChannelMap* input);

}  // namespace skiplab
