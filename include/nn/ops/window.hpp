/// @file
/// nn::ops::Window2d: the geometry of a window sliding over the last two dimensions of an NCHW
/// tensor.
#pragma once

#include "nn/export.hpp"

#include <cstdint>

namespace nn::ops {

/// The geometry of a window sliding over the last two dimensions of an NCHW tensor, as
/// convolution and pooling use it. Output size is PyTorch's rule floor((H + 2p - k) / s) + 1.
struct NN_API Window2d {
  /// the kernel's height
  int64_t kh = 1, kw = 1;  ///< the kernel's width
  /// the stride down the rows
  int64_t sh = 1, sw = 1;  ///< the stride along a row
  /// the padding above and below (zeros, or -inf for max pooling)
  int64_t ph = 0, pw = 0;  ///< the padding left and right

  /// The output height for an input of height h: (h + 2 ph - kh) / sh + 1; valid when fits().
  int64_t out_h(int64_t h) const { return (h + 2 * ph - kh) / sh + 1; }
  /// The output width for an input of width w: (w + 2 pw - kw) / sw + 1; valid when fits().
  int64_t out_w(int64_t w) const { return (w + 2 * pw - kw) / sw + 1; }
  /// Whether the kernel fits into the padded input at least once.
  bool fits(int64_t h, int64_t w) const { return h + 2 * ph >= kh && w + 2 * pw >= kw; }
};

}  // namespace nn::ops
