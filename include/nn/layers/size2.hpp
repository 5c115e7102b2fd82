// Size2: a (height, width) pair for kernel sizes, strides and paddings; an int means both.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>

namespace nn {

struct NN_API Size2 {
  int64_t h = 0, w = 0;
  Size2(int64_t both) : h(both), w(both) {}  ///< NOLINT: implicit, so that `3` means (3, 3)
  Size2(int64_t height, int64_t width) : h(height), w(width) {}
  bool square() const { return h == w; }
  bool operator==(const Size2&) const = default;
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
