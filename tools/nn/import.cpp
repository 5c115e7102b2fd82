// `nn import MODEL.onnx --out M.safetensors`: an ONNX model (e.g. from torch.onnx.export) as an nn
// model file, its architecture as a model spec and its weights bit for bit.
#include <cstdio>

#include "commands.hpp"
#include "nn/error.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/io/onnx.hpp"

namespace nn::cli {

int run_import(const ImportOptions& o) {
  NN_CHECK(o.out.ends_with(".safetensors"), "--out: expected a file name ending in .safetensors, found '", o.out, "'");
  io::LoadedModel m = io::load_onnx(o.model_path);
  io::SaveOptions options;
  options.input_shape.assign(m.input_shape.dims().begin(), m.input_shape.dims().end());
  // The export's own records describe the ONNX file; nn's model file writes its own.
  for (const auto& [key, value] : m.metadata)
    if (key != "nn.model_spec" && key != "nn.input_shape" && key != "nn.version") options.metadata[key] = value;
  io::save(*m.model, o.out, options);
  std::fprintf(stderr, "wrote %s: %s\n", o.out.c_str(), io::to_compact(m.spec).c_str());
  return 0;
}

}  // namespace nn::cli
