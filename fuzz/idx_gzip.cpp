// Fuzz target: IDX data inside a valid gzip stream. The input is compressed first, so the fuzzer
// explores the IDX header and sizes behind zlib (the idx target mutates the compressed bytes).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_input.hpp"
#include "nn/data/idx.hpp"
#include "nn/error.hpp"

namespace {
std::vector<uint8_t> gzip(const uint8_t* data, size_t size) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) __builtin_trap();
  std::vector<uint8_t> out(deflateBound(&z, size) + 32);
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) __builtin_trap();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> gz = gzip(data, size);
  const auto path = nn_fuzz::write_input(gz.data(), gz.size(), "labels-idx1-ubyte.gz");
  try {
    const nn::data::IdxImages im = nn::data::read_idx_images(path);
    if (static_cast<int64_t>(im.pixels.size()) != im.count * im.rows * im.cols) __builtin_trap();
  } catch (const nn::Error&) {
  }
  try {
    const std::vector<int32_t> labels = nn::data::read_idx_labels(path);
    if (labels.size() + 8 != size) __builtin_trap();  // a label file is its header and one byte a label
  } catch (const nn::Error&) {
  }
  return 0;
}
