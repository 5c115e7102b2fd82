// Fuzz target: a training checkpoint, through io::load_checkpoint.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "nn/error.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nn::TensorSizeLimit limit(nn_fuzz::kTensorLimitBytes, nn_fuzz::kTensorTotalBytes);
  const auto path = nn_fuzz::write_input(data, size, "last.safetensors");
  try {
    nn::io::CheckpointState st = nn::io::load_checkpoint(path);
    (void)st;
  } catch (const nn::Error&) {
  }
  return 0;
}
