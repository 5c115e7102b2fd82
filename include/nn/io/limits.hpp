// Bounds on sizes read from untrusted input (model files, data files, model specs). Every size a
// reader computes from its input is checked for overflow and against these limits before anything
// is allocated, so that a crafted file gets a one-line nn::Error instead of a wrapped size.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace nn::io {

/// The largest value of one size setting in a model spec (a layer's width, channels, kernel, stride,
/// padding) and of one dimension of an input shape.
inline constexpr int64_t kMaxSize = int64_t{1} << 24;

/// The most bytes one tensor read from a file may hold (as Tensor's own limit).
inline constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 40;

/// `value` when 0 <= value <= kMaxSize; nn::Error "<what> is <value>, expected at most 16777216"
/// (or "expected a size >= 0") otherwise. `what` names the setting: "model spec: linear: 'out'".
NN_API int64_t check_size(int64_t value, std::string_view what);

/// a * b, or false when the product overflows 64 bits.
inline bool mul_ok(uint64_t a, uint64_t b, uint64_t& out) { return !__builtin_mul_overflow(a, b, &out); }

/// The product of `dims` times `item_bytes`, or false when a dimension is negative, the product
/// overflows or exceeds `limit`. The element count is stored in `elements` (also on failure, as far
/// as computed without overflow).
NN_API bool checked_bytes(std::span<const int64_t> dims, uint64_t item_bytes, uint64_t limit, uint64_t& elements,
                   uint64_t& bytes);

}  // namespace nn::io
