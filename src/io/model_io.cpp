#include "nn/io/model_io.hpp"

#include <algorithm>

#include <set>
#include <string_view>
#include <unordered_map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/layer_registry.hpp"
#include "nn/io/json.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/layers/linear.hpp"

namespace nn::io {

namespace {
using json = nlohmann::json;

std::vector<std::pair<std::string, const Tensor*>> named_tensors(const Module& module) {
  std::vector<std::pair<std::string, const Tensor*>> out;
  for (auto& [name, p] : module.named_parameters()) out.emplace_back(name, &p->data);
  for (auto& [name, b] : module.named_buffers()) out.emplace_back(name, b);
  return out;
}

}  // namespace

StateDict state_dict(Module& module) {
  StateDict out;
  for (auto& [name, t] : named_tensors(module)) out.emplace_back(name, t->clone());
  return out;
}

LoadReport load_state_dict(Module& module, const StateDict& dict, bool strict) {
  infer_deferred_sizes(module, dict);
  const TensorBinding binding(module_targets(module), dict, "load_state_dict");
  NN_CHECK(!strict || binding.report().ok(), "load_state_dict: ", binding.report().str());
  binding.apply();
  return binding.report();
}

void save_state_dict(const StateDict& dict, const std::filesystem::path& path,
                     const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  for (auto& [name, t] : dict) tensors.emplace_back(name, &t);
  write_safetensors(path, tensors, metadata);
}

StateDict read_state_dict(const std::filesystem::path& path) { return std::move(read_safetensors(path).tensors); }

namespace {
LayerSpec layer_spec_of(const Module& m, const std::string& where) {
  LayerSpec layer;
  layer.type = m.spec_name();
  NN_CHECK(!layer.type.empty() && find_layer(layer.type) != nullptr, "save: ", where, " (", m.type_name(),
           ") cannot be described by a model spec");
  layer.params = m.settings();
  return layer;
}
}  // namespace

ModelSpec spec_of(const Module& model) {
  ModelSpec spec;
  if (model.children().empty()) {
    spec.layers.push_back(layer_spec_of(model, "the module"));
    return spec;
  }
  size_t index = 0;
  for (const auto& [name, child] : model.children()) {
    spec.layers.push_back(layer_spec_of(*child, "layer " + name));
    // A composite model's own names ("fc1") are kept; Sequential's "0", "1", ... need none.
    if (name != std::to_string(index)) spec.layers.back().name = name;
    ++index;
  }
  return spec;
}

void save(const Module& model, const std::filesystem::path& path, const SaveOptions& options) {
  std::vector<int64_t> input_shape = options.input_shape;
  const Module* first = model.children().empty() ? &model : model.children().front().second.get();
  if (input_shape.empty())
    if (auto* fc = dynamic_cast<const Linear*>(first); fc && fc->initialized()) input_shape = {fc->in_features()};
  NN_CHECK(!input_shape.empty(), "save: ", path.string(),
           ": the input shape is unknown (give SaveOptions::input_shape, or run a forward first)");
  std::map<std::string, std::string> metadata = options.metadata;
  metadata["format"] = kModelFormat;
  metadata["format_version"] = std::to_string(kModelFormatVersion);
  metadata["model_spec"] = to_json(spec_of(model)).dump();
  metadata["input_shape"] = json(input_shape).dump();
  const auto tensors = named_tensors(model);
  require_finite(tensors, "save: " + path.string(), "refusing to save a model with non-finite weights");
  write_safetensors(path, tensors, metadata);
}

LoadedModel load_model(const std::filesystem::path& path) {
  SafetensorsFile file = read_safetensors(path);
  const std::string where = path.string();
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = file.metadata.find(key);
    NN_CHECK(it != file.metadata.end(), where, ": not an nn model file: __metadata__ has no '", key,
             "' (a plain state dict? load it with read_state_dict)");
    return it->second;
  };
  NN_CHECK(get("format") == kModelFormat, where, ": expected format '", kModelFormat, "', found '", get("format"), "'");
  LoadedModel out;
  try {
    out.format_version = std::stoi(get("format_version"));
  } catch (const std::logic_error&) {
    fail(where, ": format_version is not a number: '", get("format_version"), "'");
  }
  NN_CHECK(out.format_version >= 1 && out.format_version <= kModelFormatVersion, where, ": format version ",
           out.format_version, " is not supported (this nn reads versions 1 to ", kModelFormatVersion, ")");
  try {
    out.spec = model_spec_from_json(parse_json(get("model_spec"), "model_spec"));
    const json shape = parse_json(get("input_shape"), "input_shape");
    NN_CHECK(shape.is_array() && !shape.empty() && shape.size() < static_cast<size_t>(Shape::kMaxRank),
             "input_shape must be a list of 1 to 3 sizes, found ", short_dump(shape));
    std::vector<int64_t> dims;
    for (const json& d : shape) {
      NN_CHECK(d.is_number_unsigned() && d.get<int64_t>() > 0 && d.get<int64_t>() <= (1 << 24),
               "input_shape must hold positive sizes, found ", short_dump(shape));
      dims.push_back(d.get<int64_t>());
    }
    out.input_shape = Shape(std::span<const int64_t>(dims));
  } catch (const json::exception& e) {
    fail(where, ": bad metadata: ", e.what());
  } catch (const Error& e) {
    fail(where, ": ", e.what());
  }
  // What the file describes is built under limits tied to the file: a tensor may hold at most its
  // data size or 1 GiB (a layer's buffers), all of them together four times the data and
  // 4 GiB, so a small crafted file cannot make the loader allocate terabytes.
  int64_t data_bytes = 0;
  for (const auto& [name, t] : file.tensors) data_bytes += t.numel() * int64_t{sizeof(float)};
  const TensorSizeLimit limit(std::max<int64_t>(data_bytes, int64_t{1} << 30),
                              4 * data_bytes + (int64_t{4} << 30));
  out.model = build_model(out.spec, {.image_input = out.input_shape.rank() == 3});
  out.model->eval();
  // Sizes every layer whose input size is inferred, without running data through.
  try {
    out.model->build(out.input_shape);
  } catch (const Error& e) {
    fail(where, ": the architecture does not accept inputs of shape ", out.input_shape.str(), ": ", e.what());
  }
  try {
    load_state_dict(*out.model, file.tensors, true);
  } catch (const Error& e) {
    fail(where, ": ", e.what());
  }
  out.metadata = std::move(file.metadata);
  return out;
}

}  // namespace nn::io
