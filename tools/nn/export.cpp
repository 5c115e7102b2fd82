// `nn export MODEL --onnx OUT.onnx`: a saved model (with its input scaling) as an ONNX file.
#include <cstdio>

#include "commands.hpp"
#include "nn/error.hpp"
#include "nn/io/onnx.hpp"
#include "nn/io/state_dict_model.hpp"

namespace nn::cli {

int run_export(const ExportOptions& o) {
  NN_CHECK(o.onnx.ends_with(".onnx"), "--onnx: expected a file name ending in .onnx, found '", o.onnx, "'");
  NN_CHECK(!o.model_path.ends_with(".onnx"), o.model_path, ": already an ONNX file");
  // With --model, --input-shape belongs to the state dict's loading; without, it overrides the file's.
  io::ScaledModel m = load_for_inference(o.model_path, o.spec, o.spec.empty() ? std::string() : o.input_shape);
  std::vector<int64_t> shape(m.model.input_shape.dims().begin(), m.model.input_shape.dims().end());
  if (!o.input_shape.empty() && o.spec.empty()) shape = io::parse_input_shape(o.input_shape);
  io::OnnxExportOptions options;
  options.scaler = m.scaler;
  for (const auto& [key, value] : m.model.metadata)  // the data spec, loss, classes; not the file's own keys
    if (key.starts_with("nn.")) options.metadata[key] = value;
  io::export_onnx(*m.model.model, shape, o.onnx, options);
  bool gelu = false;
  for (const auto& layer : m.model.spec.layers) gelu = gelu || layer.type == "gelu";
  std::fprintf(stderr, "wrote %s (%zu layers, ONNX opset %d)\n", o.onnx.c_str(), m.model.spec.layers.size(),
               gelu ? 20 : static_cast<int>(io::kOnnxOpset));
  return 0;
}

}  // namespace nn::cli
