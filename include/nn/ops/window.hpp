// Window2d: the geometry of a window sliding over the last two dimensions of an NCHW tensor, as
// convolution and pooling use it. Output size is PyTorch's rule floor((H + 2p - k) / s) + 1.
#pragma once

#include "nn/export.hpp"

#include <cstdint>

namespace nn::ops {

struct NN_API Window2d {
  int64_t kh = 1, kw = 1;  ///< kernel
  int64_t sh = 1, sw = 1;  ///< stride
  int64_t ph = 0, pw = 0;  ///< zero (or -inf) padding on each side

  int64_t out_h(int64_t h) const { return (h + 2 * ph - kh) / sh + 1; }
  int64_t out_w(int64_t w) const { return (w + 2 * pw - kw) / sw + 1; }
  /// Whether the kernel fits into the padded input at least once.
  bool fits(int64_t h, int64_t w) const { return h + 2 * ph >= kh && w + 2 * pw >= kw; }
};

}  // namespace nn::ops
