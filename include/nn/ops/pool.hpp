// 2-D max and average pooling over `planes` independent (H, W) planes (N*C of an NCHW tensor),
// with PyTorch's semantics: max pooling pads with -inf, average pooling pads with zeros and
// divides by kh*kw (count_include_pad=True). The output planes are (OH, OW) with OH, OW from
// Window2d. The padding must be at most half the kernel, so every window holds an input element.
// Planes are processed in parallel; each plane's result does not depend on the thread count.
#pragma once

#include <cstdint>

#include "nn/ops/window.hpp"

namespace nn::ops {

/// y (P, OH, OW) = max over each window of x (P, H, W); argmax (P, OH, OW) = the index h*W + w of
/// the element chosen (the first one on ties; a NaN wins).
void max_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y,
                        int32_t* argmax);
/// dx (P, H, W) = dy (P, OH, OW) routed to the chosen elements; overwrites dx.
void max_pool2d_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t h, int64_t w,
                         const Window2d& win, float* dx);

/// y (P, OH, OW) = sum over each window of x (P, H, W) / (kh*kw).
void avg_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y);
/// dx (P, H, W) = each dy (P, OH, OW) / (kh*kw) spread over its window; overwrites dx.
void avg_pool2d_backward(const float* dy, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* dx);

}  // namespace nn::ops
