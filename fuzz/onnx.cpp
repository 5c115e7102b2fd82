// Fuzz target: an ONNX file from a stranger, through io::load_onnx; a model that loads is run on a
// small batch and exported again, and its export must load back with the same architecture.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "nn/error.hpp"
#include "nn/io/onnx.hpp"
#include "nn/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nn::TensorSizeLimit limit(nn_fuzz::kTensorLimitBytes, nn_fuzz::kTensorTotalBytes);
  const auto path = nn_fuzz::write_input(data, size, "model.onnx");
  try {
    nn::io::LoadedModel m = nn::io::load_onnx(path);
    if (m.input_shape.numel() <= 4096) {
      nn::Tensor x(m.input_shape.batched(2));
      x.fill(0.5f);
      (void)(*m.model)(x);
    }
    const nn::io::LoadedModel again = nn::io::load_onnx_bytes(
        nn::io::onnx_model_bytes(*m.model, {m.input_shape.dims().begin(), m.input_shape.dims().end()}), "export");
    if (again.spec.layers.size() != m.spec.layers.size()) __builtin_trap();  // export and import must agree
  } catch (const nn::Error&) {
  }
  return 0;
}
