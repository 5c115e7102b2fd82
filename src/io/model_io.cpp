#include "nn/io/model_io.hpp"

#include <algorithm>

#include <set>
#include <string_view>
#include <unordered_map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/json.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/pool.hpp"
#include "nn/layers/linear.hpp"

namespace nn::io {

namespace {
using json = nlohmann::json;

std::vector<std::pair<std::string, Tensor*>> named_tensors(Module& module) {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (auto& [name, p] : module.named_parameters()) out.emplace_back(name, &p->data);
  for (auto& [name, b] : module.named_buffers()) out.emplace_back(name, b);
  return out;
}

json size2_json(Size2 s) { return s.h == s.w ? json(s.h) : json::array({s.h, s.w}); }

// At most 20 items (a crafted file may bring 200,000 unexpected keys), then how many more.
std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (size_t k = 0; k < items.size() && k < 20; ++k) s += (s.empty() ? "" : ", ") + items[k].substr(0, 80);
  if (items.size() > 20) s += " and " + std::to_string(items.size() - 20) + " more";
  return s;
}
}  // namespace

StateDict state_dict(Module& module) {
  StateDict out;
  for (auto& [name, t] : named_tensors(module)) out.emplace_back(name, t->clone());
  return out;
}

std::string LoadReport::str() const {
  if (ok()) return "All keys matched successfully";
  std::string s;
  if (!missing.empty()) s += "missing keys: " + join(missing);
  if (!unexpected.empty()) s += std::string(s.empty() ? "" : "; ") + "unexpected keys: " + join(unexpected);
  if (!mismatched.empty()) s += std::string(s.empty() ? "" : "; ") + "shape mismatches: " + join(mismatched);
  return s;
}

LoadReport load_state_dict(Module& module, const StateDict& dict, bool strict) {
  auto targets = named_tensors(module);
  LoadReport report;
  std::set<std::string> known;
  for (auto& [name, t] : targets) known.insert(name);
  for (auto& [name, t] : dict)
    if (!known.count(name)) report.unexpected.push_back(name);
  std::unordered_map<std::string_view, const Tensor*> by_name;  // linear: a file may hold 200,000 entries
  for (auto& [n, t] : dict) by_name[n] = &t;
  std::vector<std::pair<Tensor*, const Tensor*>> copies;
  for (auto& [name, target] : targets) {
    const auto it = by_name.find(name);
    const Tensor* source = it == by_name.end() ? nullptr : it->second;
    if (!source) {
      report.missing.push_back(name);
    } else if (!(source->shape() == target->shape())) {
      report.mismatched.push_back(name + ": expected " + target->shape().str() + ", found " + source->shape().str());
    } else {
      copies.emplace_back(target, source);
    }
  }
  NN_CHECK(!strict || report.ok(), "load_state_dict: ", report.str());
  for (auto& [target, source] : copies) target->copy_from(*source);
  return report;
}

void save_state_dict(const StateDict& dict, const std::filesystem::path& path,
                     const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  for (auto& [name, t] : dict) tensors.emplace_back(name, &t);
  write_safetensors(path, tensors, metadata);
}

StateDict read_state_dict(const std::filesystem::path& path) { return std::move(read_safetensors(path).tensors); }

ModelSpec spec_of(const Sequential& model) {
  ModelSpec spec;
  for (size_t i = 0; i < model.size(); ++i) {
    const Module& m = model[i];
    LayerSpec layer;
    if (auto* fc = dynamic_cast<const Linear*>(&m)) {
      layer.type = "linear";
      layer.params["out"] = fc->out_features();
      layer.params["init"] = to_string(fc->options().init);
      if (fc->options().gain != 1.0f) layer.params["gain"] = fc->options().gain;
      if (!fc->options().bias) layer.params["bias"] = false;
      if (fc->options().weight_decay != 0.0f) layer.params["weight_decay"] = fc->options().weight_decay;
    } else if (dynamic_cast<const ReLU*>(&m)) {
      layer.type = "relu";
    } else if (auto* leaky = dynamic_cast<const LeakyReLU*>(&m)) {
      layer.type = "leakyrelu";
      layer.params["alpha"] = leaky->negative_slope();
    } else if (dynamic_cast<const Sigmoid*>(&m)) {
      layer.type = "sigmoid";
    } else if (dynamic_cast<const Tanh*>(&m)) {
      layer.type = "tanh";
    } else if (dynamic_cast<const Softmax*>(&m)) {
      layer.type = "softmax";
    } else if (dynamic_cast<const Identity*>(&m)) {
      layer.type = "identity";
    } else if (auto* conv = dynamic_cast<const Conv2D*>(&m)) {
      layer.type = "conv";
      layer.params["out"] = conv->out_channels();
      layer.params["kernel"] = size2_json(conv->kernel_size());
      layer.params["stride"] = size2_json(conv->stride());
      layer.params["padding"] = size2_json(conv->padding());
      layer.params["init"] = to_string(conv->options().init);
      if (!conv->options().bias) layer.params["bias"] = false;
    } else if (auto* pool = dynamic_cast<const Pool2D*>(&m)) {
      layer.type = dynamic_cast<const MaxPool2D*>(&m) ? "maxpool" : "avgpool";
      layer.params["kernel"] = size2_json(pool->kernel_size());
      layer.params["stride"] = size2_json(pool->stride());
      layer.params["padding"] = size2_json(pool->padding());
    } else if (dynamic_cast<const Flatten*>(&m)) {
      layer.type = "flatten";
    } else if (auto* drop = dynamic_cast<const Dropout*>(&m)) {
      layer.type = "dropout";
      layer.params["p"] = drop->p();
    } else if (auto* bn = dynamic_cast<const BatchNorm*>(&m)) {
      layer.type = "batchnorm";
      layer.params["features"] = bn->num_features();
      layer.params["eps"] = bn->options().eps;
      layer.params["momentum"] = bn->options().momentum;
    } else {
      fail("save: layer ", i, " (", m.type_name(), ") cannot be described by a model spec");
    }
    spec.layers.push_back(std::move(layer));
  }
  return spec;
}

void save(const Sequential& model, const std::filesystem::path& path, const SaveOptions& options) {
  std::vector<int64_t> input_shape = options.input_shape;
  if (input_shape.empty() && !model.empty())
    if (auto* fc = dynamic_cast<const Linear*>(&model[0]); fc && fc->initialized()) input_shape = {fc->in_features()};
  NN_CHECK(!input_shape.empty(), "save: ", path.string(),
           ": the input shape is unknown (give SaveOptions::input_shape, or run a forward first)");
  std::map<std::string, std::string> metadata = options.metadata;
  metadata["format"] = kModelFormat;
  metadata["format_version"] = std::to_string(kModelFormatVersion);
  metadata["model_spec"] = to_json(spec_of(model)).dump();
  metadata["input_shape"] = json(input_shape).dump();
  // named_parameters() is not const: it hands out mutable pointers; saving only reads them.
  auto& mutable_model = const_cast<Sequential&>(model);
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  for (auto& [name, t] : named_tensors(mutable_model)) tensors.emplace_back(name, t);
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
  // data size or 1 GiB (activations of the probe), all of them together four times the data and
  // 4 GiB, so a small crafted file cannot make the loader allocate terabytes.
  int64_t data_bytes = 0;
  for (const auto& [name, t] : file.tensors) data_bytes += t.numel() * int64_t{sizeof(float)};
  const TensorSizeLimit limit(std::max<int64_t>(data_bytes, int64_t{1} << 30),
                              4 * data_bytes + (int64_t{4} << 30));
  out.model = build_model(out.spec);
  out.model->eval();
  // One forward on a zero sample sizes every layer whose input size is inferred.
  Tensor probe(out.input_shape.batched(1));
  try {
    out.model->forward(probe);
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
