// Fuzz target: a model file from a stranger, through io::read_safetensors and io::load_model.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "nn/error.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nn::TensorSizeLimit limit(nn_fuzz::kTensorLimitBytes, nn_fuzz::kTensorTotalBytes);
  const auto path = nn_fuzz::write_input(data, size, "model.safetensors");
  try {
    const nn::io::SafetensorsFile f = nn::io::read_safetensors(path);
    for (const auto& [name, t] : f.tensors)
      if (f.find(name) == nullptr) __builtin_trap();  // every tensor read must be found by its name
  } catch (const nn::Error&) {
  }
  try {
    nn::io::LoadedModel m = nn::io::load_model(path);
    (void)m;
  } catch (const nn::Error&) {
  }
  return 0;
}
