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

/// Max pooling fused with a ReLU, one pass over x: y = relu(max over each window). relu_first: the
/// ReLU comes before the pooling (y is max_pool2d_forward of relu(x): a NaN counts as 0), else
/// after it (a NaN wins its window and becomes 0). y equals the two layers' output bit for bit;
/// argmax is the element whose gradient is routed (only where y > 0, see max_pool2d_relu_backward).
void max_pool2d_relu_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win,
                             bool relu_first, float* y, int32_t* argmax);
/// Its backward, the two layers' backward in one pass: dx = dy routed to the chosen elements where
/// the fused output y > 0, else 0; overwrites dx.
void max_pool2d_relu_backward(const float* dy, const float* y, const int32_t* argmax, int64_t planes, int64_t h,
                              int64_t w, const Window2d& win, float* dx);

/// y (P, OH, OW) = sum over each window of x (P, H, W) / (kh*kw).
void avg_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y);
/// dx (P, H, W) = each dy (P, OH, OW) / (kh*kw) spread over its window; overwrites dx.
void avg_pool2d_backward(const float* dy, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* dx);

}  // namespace nn::ops
