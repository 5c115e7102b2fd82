/// @file
/// nn::Size2: a (height, width) pair for kernel sizes, strides and paddings.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>

namespace nn {

/// A (height, width) pair for kernel sizes, strides and paddings; an int means both:
/// `Conv2D(3, 16, 3)` has a 3 x 3 kernel, `Conv2D(3, 16, {3, 5})` a 3 x 5 one.
struct NN_API Size2 {
  /// the height
  int64_t h = 0, w = 0;  ///< the width
  /// (both, both): implicit, so that `3` means (3, 3).
  Size2(int64_t both) : h(both), w(both) {}  // NOLINT: implicit on purpose
  Size2(int64_t height, int64_t width) : h(height), w(width) {}  ///< (height, width)
  bool square() const { return h == w; }  ///< whether h == w
  bool operator==(const Size2&) const = default;  ///< the same h and w
  /// "(3, 3)", as Python prints a tuple.
  std::string str() const {
    std::string s = "(";
    s += std::to_string(h);
    s += ", ";
    s += std::to_string(w);
    s += ")";
    return s;
  }
};

}  // namespace nn
