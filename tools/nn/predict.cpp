// `nn predict MODEL --input X.npy|X.csv|IDX`: the model's raw outputs as .npy or .csv, or the
// predicted classes (with their names when the model has them).
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nn/data/csv.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/npy.hpp"
#include "nn/io/atomic_file.hpp"
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

namespace {

bool is_idx(const std::string& path) { return path.ends_with("idx3-ubyte") || path.ends_with("idx3-ubyte.gz"); }

// The samples of --input as [N, values per sample]: NPY as stored, CSV with every column a value,
// IDX images as bytes mapped onto [0, 1] (as nn train batches them).
Tensor read_inputs(const std::string& path, int64_t per_sample) {
  if (path.ends_with(".npy")) {
    auto arr = data::read_npy(path);
    NN_CHECK(!arr.shape.empty(), path, ": expected an array of samples [N, ...], found a scalar");
    const int64_t n = arr.shape[0];
    NN_CHECK(n == 0 || arr.numel() / n == per_sample, path, ": samples have ", n ? arr.numel() / n : 0,
             " values but the model expects ", per_sample);
    return Tensor(Shape{n, per_sample}, std::span<const float>(arr.data));
  }
  if (path.ends_with(".csv")) {
    Tensor x = data::read_csv_features(path);
    NN_CHECK(x.dim(1) == per_sample, path, ": rows have ", x.dim(1), " values but the model expects ", per_sample,
             " (a CSV for nn predict holds features only, no label column)");
    return x;
  }
  if (is_idx(path)) {
    const data::IdxImages images = data::read_idx_images(path);
    NN_CHECK(images.rows * images.cols == per_sample, path, ": images of ", images.rows, "x", images.cols, " have ",
             images.rows * images.cols, " pixels but the model expects ", per_sample, " values");
    Tensor x(Shape{images.count, per_sample});
    for (size_t i = 0; i < images.pixels.size(); ++i) x.data()[i] = static_cast<float>(images.pixels[i]) / 255.0f;
    return x;
  }
  fail("--input ", path, ": expected samples as .npy, .csv or IDX images (*idx3-ubyte[.gz])");
}

// The class names saved with the model ("nn.class_names", a JSON list); empty when there are none.
std::vector<std::string> class_names_of(const std::map<std::string, std::string>& metadata) {
  const auto it = metadata.find("nn.class_names");
  if (it == metadata.end()) return {};
  const auto j = nlohmann::json::parse(it->second, nullptr, false);
  std::vector<std::string> names;
  if (!j.is_array()) return {};
  for (const auto& v : j)
    if (v.is_string()) names.push_back(v.get<std::string>());
  return names;
}

// CSV for a name ending in .csv, NPY otherwise.
void write_outputs(const std::string& path, const Tensor& outputs) {
  if (!path.ends_with(".csv")) return data::write_npy(path, outputs);
  std::string text;
  const int64_t n = outputs.dim(0), c = outputs.dim(1);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < c; ++k) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.9g", k ? "," : "", static_cast<double>(outputs.at(i, k)));
      text += buf;
    }
    text += '\n';
  }
  io::write_file_atomic(path, text);
}

}  // namespace

int run_predict(const PredictOptions& o) {
  set_num_threads(o.threads);
  io::ScaledModel m = load_for_inference(o.model_path, o.spec, o.input_shape);
  const Shape& input = m.model.input_shape;
  Tensor x = read_inputs(o.input, input.numel());
  const int64_t n = x.dim(0);
  x.reshape(input.batched(n));
  m.scaler.transform(x);
  Tensor outputs;
  train::predict(*m.model.model, x, outputs, 1000);
  // The outputs as rows [N, C], however many dimensions the model's output has per sample.
  outputs.reshape(Shape{n, n > 0 ? outputs.numel() / n : 0});
  if (!o.output.empty()) {
    write_outputs(o.output, outputs);
    std::fprintf(stderr, "wrote %lld predictions to %s\n", static_cast<long long>(n), o.output.c_str());
    return 0;
  }
  // The class of each row: its first largest output, or for one output whether it exceeds the
  // threshold (0 for logits, 0.5 for probabilities); with its name when the model has class names.
  const float threshold = saved_loss(m.model.metadata) == "bce-logits" ? 0.0f : 0.5f;
  const std::vector<std::string> names = class_names_of(m.model.metadata);
  const int64_t width = outputs.dim(1);
  std::string text;
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = 0;
    for (int64_t c = 1; c < width; ++c)
      if (outputs.at(i, c) > outputs.at(i, best)) best = c;
    const int64_t cls = width == 1 ? (outputs[i] > threshold) : best;
    text += std::to_string(cls);
    // A name that is only the number again ("0", "1" of synthetic data) is not repeated.
    if (cls < static_cast<int64_t>(names.size()) && names[static_cast<size_t>(cls)] != std::to_string(cls))
      text += " " + names[static_cast<size_t>(cls)];
    text += '\n';
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace nn::cli
