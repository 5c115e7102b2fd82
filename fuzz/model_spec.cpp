// Fuzz target: a model spec as the user types it (compact "linear:128,relu,..." or JSON), through
// io::parse_model_spec; what parses is written back (compact and JSON), parsed again and built.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.hpp"
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nn::TensorSizeLimit limit(nn_fuzz::kTensorLimitBytes, nn_fuzz::kTensorTotalBytes);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const nn::io::ModelSpec spec = nn::io::parse_model_spec(text);
    const nn::io::ModelSpec again = nn::io::model_spec_from_json(nn::io::to_json(spec));
    if (again.layers.size() != spec.layers.size()) __builtin_trap();  // JSON round trip keeps every layer
    (void)nn::io::to_compact(spec);
    auto model = nn::io::build_model(spec);
    (void)model;
  } catch (const nn::Error&) {
  }
  return 0;
}
