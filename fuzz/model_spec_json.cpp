// Fuzz target: the JSON model spec a model file carries in its metadata, through io::parse_json
// and io::model_spec_from_json, then built.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.hpp"
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/json.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nn::TensorSizeLimit limit(nn_fuzz::kTensorLimitBytes, nn_fuzz::kTensorTotalBytes);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json j = nn::io::parse_json(text, "model_spec");
    const nn::io::ModelSpec spec = nn::io::model_spec_from_json(j);
    (void)nn::io::to_compact(spec);
    auto model = nn::io::build_model(spec);
    (void)model;
  } catch (const nn::Error&) {
  }
  return 0;
}
