// `nn predict MODEL --input X.npy`: the model's raw outputs as .npy, or the predicted classes.
#include <cstdio>
#include <span>
#include <string>

#include "commands.hpp"
#include "nn/data/npy.hpp"
#include "nn/error.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/io/onnx.hpp"
#include "nn/io/state_dict_model.hpp"
#include "nn/threads.hpp"
#include "nn/train/predict.hpp"

namespace nn::cli {

io::ScaledModel load_for_inference(const std::string& path, const std::string& spec, const std::string& input_shape) {
  if (path.ends_with(".onnx")) {
    NN_CHECK(spec.empty(), path, ": --model is for plain state dicts; an ONNX file carries its architecture");
    io::LoadedModel loaded = io::load_onnx(path);
    data::Scaler scaler = io::scaler_from_metadata(loaded.metadata, path);  // nn's export: the graph's first nodes
    return {std::move(loaded), std::move(scaler)};
  }
  if (spec.empty()) return io::load_with_scaler(path);
  return {io::load_model_with_spec(path, io::resolve_model_spec(spec), io::parse_input_shape(input_shape)).loaded, {}};
}

int run_predict(const PredictOptions& o) {
  set_num_threads(o.threads);
  io::ScaledModel m = load_for_inference(o.model_path, o.spec, o.input_shape);
  const Shape& input = m.model.input_shape;
  NN_CHECK(o.input.ends_with(".npy"), o.input, ": expected a .npy file of samples");
  auto arr = data::read_npy(o.input);
  NN_CHECK(!arr.shape.empty(), o.input, ": expected an array of samples [N, ...], found a scalar");
  const int64_t n = arr.shape[0];
  NN_CHECK(n == 0 || arr.numel() / n == input.numel(), o.input, ": samples have ", n ? arr.numel() / n : 0,
           " values but the model expects ", input.numel(), " (", input.str(), ")");
  Tensor x(input.batched(n), std::span<const float>(arr.data));
  m.scaler.transform(x);
  Tensor outputs;
  train::predict(*m.model.model, x, outputs, 1000);
  // The outputs as rows [N, C], however many dimensions the model's output has per sample.
  outputs.reshape(Shape{n, n > 0 ? outputs.numel() / n : 0});
  if (!o.output.empty()) {
    data::write_npy(o.output, outputs);
    std::fprintf(stderr, "wrote %lld predictions to %s\n", static_cast<long long>(n), o.output.c_str());
    return 0;
  }
  // The class of each row: its first largest output, or for one output whether it exceeds the
  // threshold (0 for logits, 0.5 for probabilities).
  const float threshold = saved_loss(m.model.metadata) == "bce-logits" ? 0.0f : 0.5f;
  const int64_t width = outputs.dim(1);
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = 0;
    for (int64_t c = 1; c < width; ++c)
      if (outputs.at(i, c) > outputs.at(i, best)) best = c;
    std::printf("%lld\n", static_cast<long long>(width == 1 ? (outputs[i] > threshold) : best));
  }
  return 0;
}

}  // namespace nn::cli
