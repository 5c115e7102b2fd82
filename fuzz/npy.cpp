// Fuzz target: a NumPy .npy file, through data::read_npy and NpyArray::to_tensor.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "nn/data/npy.hpp"
#include "nn/error.hpp"
#include "nn/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nn::TensorSizeLimit limit(nn_fuzz::kTensorLimitBytes, nn_fuzz::kTensorTotalBytes);
  const auto path = nn_fuzz::write_input(data, size, "x.npy");
  try {
    const nn::data::NpyArray a = nn::data::read_npy(path);
    if (static_cast<int64_t>(a.data.size()) != a.numel()) __builtin_trap();  // data must match the shape
    const nn::Tensor t = a.to_tensor();
    (void)t;
  } catch (const nn::Error&) {
  }
  return 0;
}
