#include "nn/io/limits.hpp"

#include "nn/error.hpp"

namespace nn::io {

int64_t check_size(int64_t value, std::string_view what) {
  NN_CHECK(value >= 0, what, " is ", value, ", expected a size >= 0");
  NN_CHECK(value <= kMaxSize, what, " is ", value, ", expected at most ", kMaxSize);
  return value;
}

bool checked_bytes(std::span<const int64_t> dims, uint64_t item_bytes, uint64_t limit, uint64_t& elements,
                   uint64_t& bytes) {
  elements = 1;
  bytes = item_bytes;
  for (const int64_t d : dims) {
    if (d < 0) return false;
    uint64_t n = 0;
    if (!mul_ok(elements, static_cast<uint64_t>(d), n)) return false;
    elements = n;
  }
  if (!mul_ok(elements, item_bytes, bytes)) return false;
  return bytes <= limit;
}

}  // namespace nn::io
