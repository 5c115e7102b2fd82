// Fuzz target: an IDX file as it is on disk (plain, or gzip when it starts with gzip's magic),
// through data::read_idx_images and data::read_idx_labels.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "nn/data/idx.hpp"
#include "nn/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = nn_fuzz::write_input(data, size, "images-idx3-ubyte");
  try {
    const nn::data::IdxImages im = nn::data::read_idx_images(path);
    if (static_cast<int64_t>(im.pixels.size()) != im.count * im.rows * im.cols) __builtin_trap();
  } catch (const nn::Error&) {
  }
  try {
    const std::vector<int32_t> labels = nn::data::read_idx_labels(path);
    (void)labels;
  } catch (const nn::Error&) {
  }
  return 0;
}
