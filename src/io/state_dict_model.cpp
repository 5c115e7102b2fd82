#include "nn/io/state_dict_model.hpp"

#include <charconv>
#include <set>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/safetensors.hpp"

namespace nn::io {

namespace {

// Layers whose output has the width of their input, so that a Linear after them sees the sample size.
bool keeps_width(const std::string& type) {
  static const std::set<std::string> types = {"relu",     "leakyrelu", "sigmoid", "tanh",     "softmax",
                                              "identity", "dropout",   "flatten", "batchnorm"};
  return types.count(type) > 0;
}

const Tensor* find(const StateDict& dict, const std::string& name) {
  for (auto& [n, t] : dict)
    if (n == name) return &t;
  return nullptr;
}

std::vector<int64_t> infer_input_shape(const StateDict& dict, const ModelSpec& spec, const std::string& where) {
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const std::string& type = spec.layers[i].type;
    if (type == "linear") {
      const std::string key = std::to_string(i) + ".weight";
      const Tensor* w = find(dict, key);
      NN_CHECK(w && w->rank() == 2, where, ": the input shape is unknown and cannot be read from '", key,
               "' (the first linear layer's weight): ",
               w ? "expected 2 dimensions, found " + w->shape().str() : std::string("no such tensor"));
      return {w->dim(1)};
    }
    NN_CHECK(keeps_width(type), where, ": the input shape is unknown: layer ", i, " (", type,
             ") does not fix it; give the shape of one sample, e.g. [1, 28, 28]");
  }
  fail(where, ": the input shape is unknown: the model spec has no linear layer to read it from; give the shape of "
              "one sample");
}

}  // namespace

StateDictModel model_from_state_dict(const StateDict& dict, const ModelSpec& spec,
                                     const std::vector<int64_t>& input_shape, bool strict, const std::string& where) {
  NN_CHECK(!spec.empty(), where, ": the model spec has no layers");
  std::vector<int64_t> dims = input_shape.empty() ? infer_input_shape(dict, spec, where) : input_shape;
  NN_CHECK(dims.size() < static_cast<size_t>(Shape::kMaxRank), where, ": expected an input shape of 1 to ",
           Shape::kMaxRank - 1, " sizes, found ", dims.size());
  for (int64_t d : dims) NN_CHECK(d > 0, where, ": input shape sizes must be positive, found ", d);
  StateDictModel out;
  out.loaded.spec = spec;
  out.loaded.input_shape = Shape(std::span<const int64_t>(dims));
  out.loaded.model = build_model(spec);
  out.loaded.model->eval();
  // One forward on a zero sample sizes every layer whose input size is inferred.
  Tensor probe(out.loaded.input_shape.batched(1));
  try {
    out.loaded.model->forward(probe);
  } catch (const Error& e) {
    fail(where, ": the model spec '", to_compact(spec), "' does not accept inputs of shape ",
         out.loaded.input_shape.str(), ": ", e.what());
  }
  try {
    out.report = load_state_dict(*out.loaded.model, dict, strict);
  } catch (const Error& e) {
    fail(where, ": does not fit the model spec '", to_compact(spec), "' for inputs ", out.loaded.input_shape.str(),
         ": ", e.what());
  }
  return out;
}

StateDictModel load_model_with_spec(const std::filesystem::path& path, const ModelSpec& spec,
                                    const std::vector<int64_t>& input_shape, bool strict) {
  SafetensorsFile file = read_safetensors(path, {.integers_as_float = true});
  StateDictModel out = model_from_state_dict(file.tensors, spec, input_shape, strict, path.string());
  out.loaded.metadata = std::move(file.metadata);
  return out;
}

std::vector<int64_t> parse_input_shape(std::string_view text) {
  const std::string original(text);
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  if (text.empty()) return {};
  if (text.front() == '[' || text.front() == '(') {
    const char close = text.front() == '[' ? ']' : ')';
    NN_CHECK(text.size() >= 2 && text.back() == close, "input shape '", original, "': expected a closing '", close,
             "'");
    text = trim(text.substr(1, text.size() - 2));
  }
  std::vector<int64_t> dims;
  while (true) {
    const size_t end = text.find_first_of(",x");
    const std::string_view item = trim(text.substr(0, end));
    int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    NN_CHECK(!item.empty() && ec == std::errc() && ptr == item.data() + item.size() && v > 0 && v <= (1 << 24),
             "input shape '", original, "': expected positive sizes separated by ',' or 'x' (e.g. 1,28,28), found '",
             std::string(item), "'");
    dims.push_back(v);
    if (end == std::string_view::npos) break;
    text = text.substr(end + 1);
  }
  NN_CHECK(dims.size() < static_cast<size_t>(Shape::kMaxRank), "input shape '", original, "': expected 1 to ",
           Shape::kMaxRank - 1, " sizes, found ", dims.size());
  return dims;
}

ModelSpec resolve_model_spec(const std::string& text) {
  return text.ends_with(".json") ? read_model_spec_file(text) : parse_model_spec(text);
}

}  // namespace nn::io
