#include "nn/io/model_spec.hpp"

#include <charconv>
#include <functional>
#include <map>
#include <sstream>

#include "nn/error.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/json.hpp"
#include "nn/io/limits.hpp"
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

// How a layer type reads its compact arguments ("linear:128:xavier" -> out=128, init=xavier), writes
// them back, and builds the module.
// What the layers built so far produce, for a layer whose size follows from its input (batchnorm).
struct Context {
  int64_t width = 0;     // features (after linear) or channels (after conv); 0: unknown
  bool spatial = false;  // whether activations are [N, C, H, W]
  bool dry_run = false;  // only checking the settings: draw nothing from the global generator
};

struct LayerKind {
  std::vector<std::string> positional;  // names of the compact arguments, in order
  std::vector<std::string> required;
  std::function<std::shared_ptr<Module>(const json&, const BuildOptions&, Context&)> build;
  bool image_input = false;
};

int64_t get_int(const json& p, const std::string& key, const std::string& type, int64_t fallback) {
  if (!p.contains(key)) return fallback;
  NN_CHECK(p[key].is_number_integer(), "model spec: ", type, ": expected an integer for '", key, "', found ",
           short_dump(p[key]));
  const int64_t v = p[key].get<int64_t>();
  return v > 0 ? check_size(v, "model spec: " + type + ": '" + key + "'") : v;
}

double get_number(const json& p, const std::string& key, const std::string& type, double fallback) {
  if (!p.contains(key)) return fallback;
  NN_CHECK(p[key].is_number(), "model spec: ", type, ": expected a number for '", key, "', found ", short_dump(p[key]));
  return p[key].get<double>();
}

// A size given as one integer (3) or as [height, width].
Size2 get_size2(const json& p, const std::string& key, const std::string& type, Size2 fallback) {
  if (!p.contains(key)) return fallback;
  const json& v = p[key];
  const std::string what = "model spec: " + type + ": '" + key + "'";
  if (v.is_number_integer()) return Size2(v.get<int64_t>() > 0 ? check_size(v.get<int64_t>(), what) : v.get<int64_t>());
  NN_CHECK(v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer(), "model spec: ",
           type, ": expected an integer or [height, width] for '", key, "', found ", short_dump(v));
  const int64_t h = v[0].get<int64_t>(), w = v[1].get<int64_t>();
  return Size2(h > 0 ? check_size(h, what) : h, w > 0 ? check_size(w, what) : w);
}

const std::map<std::string, LayerKind>& kinds() {
  static const std::map<std::string, LayerKind> table = [] {
    std::map<std::string, LayerKind> t;
    t["linear"] = {{"out", "init"}, {"out"}, [](const json& p, const BuildOptions& o, Context& ctx) -> std::shared_ptr<Module> {
                     const int64_t out = get_int(p, "out", "linear", 0);
                     NN_CHECK(out > 0, "model spec: linear: expected a positive output size, found ", out);
                     LinearOptions lo;
                     lo.init = p.contains("init") ? parse_init(p["init"].get<std::string>()) : o.default_init;
                     lo.gain = static_cast<float>(get_number(p, "gain", "linear", 1.0));
                     lo.bias = p.value("bias", true);
                     lo.weight_decay = static_cast<float>(get_number(p, "weight_decay", "linear", 0.0));
                     ctx = {out, false};
                     return std::make_shared<Linear>(out, lo);
                   }};
    t["relu"] = {{}, {}, [](const json&, const BuildOptions&, Context&) -> std::shared_ptr<Module> {
                   return std::make_shared<ReLU>();
                 }};
    t["leakyrelu"] = {{"alpha"}, {}, [](const json& p, const BuildOptions&, Context&) -> std::shared_ptr<Module> {
                        return std::make_shared<LeakyReLU>(static_cast<float>(get_number(p, "alpha", "leakyrelu", 0.01)));
                      }};
    t["sigmoid"] = {{}, {}, [](const json&, const BuildOptions&, Context&) -> std::shared_ptr<Module> {
                      return std::make_shared<Sigmoid>();
                    }};
    t["tanh"] = {{}, {}, [](const json&, const BuildOptions&, Context&) -> std::shared_ptr<Module> {
                   return std::make_shared<Tanh>();
                 }};
    t["softmax"] = {{}, {}, [](const json&, const BuildOptions&, Context&) -> std::shared_ptr<Module> {
                      return std::make_shared<Softmax>();
                    }};
    t["identity"] = {{}, {}, [](const json&, const BuildOptions&, Context&) -> std::shared_ptr<Module> {
                       return std::make_shared<Identity>();
                     }};
    t["conv"] = {{"out", "kernel", "stride", "padding"}, {"out", "kernel"},
                 [](const json& p, const BuildOptions& o, Context& ctx) -> std::shared_ptr<Module> {
                   const int64_t out = get_int(p, "out", "conv", 0);
                   NN_CHECK(out > 0, "model spec: conv: expected a positive number of output channels, found ", out);
                   ConvOptions co;
                   co.stride = get_size2(p, "stride", "conv", Size2(1));
                   co.padding = get_size2(p, "padding", "conv", Size2(0));
                   co.bias = p.value("bias", true);
                   co.init = p.contains("init") ? parse_init(p["init"].get<std::string>()) : o.default_init;
                   ctx = {out, true};
                   return std::make_shared<Conv2D>(out, get_size2(p, "kernel", "conv", Size2(0)), co);
                 },
                 true};
    t["maxpool"] = {{"kernel", "stride", "padding"}, {"kernel"},
                    [](const json& p, const BuildOptions&, Context&) -> std::shared_ptr<Module> {
                      return std::make_shared<MaxPool2D>(get_size2(p, "kernel", "maxpool", Size2(0)),
                                                         get_size2(p, "stride", "maxpool", Size2(0)),
                                                         get_size2(p, "padding", "maxpool", Size2(0)));
                    },
                    true};
    t["avgpool"] = {{"kernel", "stride", "padding"}, {"kernel"},
                    [](const json& p, const BuildOptions&, Context&) -> std::shared_ptr<Module> {
                      return std::make_shared<AvgPool2D>(get_size2(p, "kernel", "avgpool", Size2(0)),
                                                         get_size2(p, "stride", "avgpool", Size2(0)),
                                                         get_size2(p, "padding", "avgpool", Size2(0)));
                    },
                    true};
    t["flatten"] = {{}, {}, [](const json&, const BuildOptions&, Context& ctx) -> std::shared_ptr<Module> {
                      ctx = {0, false};
                      return std::make_shared<Flatten>();
                    }};
    t["dropout"] = {{"p"}, {}, [](const json& p, const BuildOptions&, Context& ctx) -> std::shared_ptr<Module> {
                      DropoutOptions d;
                      if (ctx.dry_run) d.seed = 0;
                      return std::make_shared<Dropout>(static_cast<float>(get_number(p, "p", "dropout", 0.5)), d);
                    }};
    t["batchnorm"] = {{"features"}, {}, [](const json& p, const BuildOptions&, Context& ctx) -> std::shared_ptr<Module> {
                        const int64_t c = get_int(p, "features", "batchnorm", ctx.width);
                        NN_CHECK(c > 0, "model spec: batchnorm: its size does not follow from the layer before ",
                                 "(give it: batchnorm:N)");
                        BatchNormOptions bo;
                        bo.eps = static_cast<float>(get_number(p, "eps", "batchnorm", bo.eps));
                        bo.momentum = static_cast<float>(get_number(p, "momentum", "batchnorm", bo.momentum));
                        if (ctx.spatial) return std::make_shared<BatchNorm2d>(c, bo);
                        return std::make_shared<BatchNorm1d>(c, bo);
                      }};
    return t;
  }();
  return table;
}

std::string known_list() {
  std::string s;
  for (auto& [name, kind] : kinds()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

const LayerKind& kind_of(const std::string& type) {
  auto it = kinds().find(type);
  NN_CHECK(it != kinds().end(), "model spec: unknown layer '", type, "' (known: ", known_list(), ")");
  return it->second;
}

// A compact argument: an integer, a number, or a word (an init method).
json parse_value(const std::string& item, const std::string& text) {
  NN_CHECK(!text.empty(), "model spec: '", item, "': empty argument");
  int64_t i = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && p == text.data() + text.size()) return i;
  double d = 0;
  auto [q, ec2] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec2 == std::errc() && q == text.data() + text.size()) return d;
  if (std::isalpha(static_cast<unsigned char>(text[0]))) return text;
  fail("model spec: '", item, "': expected a number, found '", text, "'");
}

std::string trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

void validate(const LayerSpec& layer) {
  const LayerKind& kind = kind_of(layer.type);
  NN_CHECK(layer.params.is_object(), "model spec: ", layer.type, ": expected an object of settings, found ",
           short_dump(layer.params));
  for (const auto& key : kind.required)
    NN_CHECK(layer.params.contains(key), "model spec: ", layer.type, ": missing '", key, "'");
  // Building once checks every value's type and range (a size taken from the layer before is
  // checked when the whole model is built).
  Context ctx{1, false, true};
  try {
    kind.build(layer.params, BuildOptions{}, ctx);
  } catch (const json::exception& e) {  // a setting of the wrong JSON type ("bias": "yes")
    fail("model spec: ", layer.type, ": ", e.what());
  }
}

}  // namespace

ModelSpec parse_model_spec(std::string_view text) {
  const std::string t = trim(text);
  NN_CHECK(!t.empty(), "model spec: empty (expected e.g. linear:128,relu,linear:10)");
  if (t[0] == '[' || t[0] == '{') {
    return model_spec_from_json(parse_json(t, "model spec"));
  }
  ModelSpec spec;
  std::stringstream items{t};
  std::string item;
  while (std::getline(items, item, ',')) {
    item = trim(item);
    NN_CHECK(!item.empty(), "model spec: empty layer in '", t, "'");
    std::vector<std::string> parts;
    std::stringstream fields{item};
    std::string f;
    while (std::getline(fields, f, ':')) parts.push_back(trim(f));
    if (item.back() == ':') parts.push_back("");
    LayerSpec layer;
    layer.type = parts[0];
    for (auto& c : layer.type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const LayerKind& kind = kind_of(layer.type);
    NN_CHECK(parts.size() - 1 <= kind.positional.size(), "model spec: '", item, "': ", layer.type, " takes at most ",
             kind.positional.size(), " arguments, found ", parts.size() - 1);
    for (size_t k = 1; k < parts.size(); ++k) layer.params[kind.positional[k - 1]] = parse_value(item, parts[k]);
    validate(layer);
    spec.layers.push_back(std::move(layer));
  }
  return spec;
}

ModelSpec read_model_spec_file(const std::string& path) {
  const std::string text = read_file(path, kMaxTextFileBytes, path + ": the model spec file");
  try {
    return parse_model_spec(text);
  } catch (const Error& e) {
    fail(path, ": ", e.what());
  }
}

json to_json(const ModelSpec& spec) {
  json layers = json::array();
  for (const auto& layer : spec.layers) {
    json j = layer.params;
    j["type"] = layer.type;
    layers.push_back(std::move(j));
  }
  return layers;
}

ModelSpec model_spec_from_json(const json& j) {
  const json& layers = j.is_object() && j.contains("layers") ? j["layers"] : j;
  NN_CHECK(layers.is_array(), "model spec: expected a JSON array of layers (or {\"layers\": [...]}), found ",
           layers.type_name());
  ModelSpec spec;
  for (size_t i = 0; i < layers.size(); ++i) {
    const json& l = layers[i];
    NN_CHECK(l.is_object() && l.contains("type") && l["type"].is_string(), "model spec: layer ", i,
             ": expected an object with a string \"type\", found ", short_dump(l));
    LayerSpec layer;
    layer.type = l["type"].get<std::string>();
    layer.params = l;
    layer.params.erase("type");
    try {
      validate(layer);
    } catch (const Error& e) {
      fail("layer ", i, ": ", e.what());
    }
    spec.layers.push_back(std::move(layer));
  }
  return spec;
}

std::string to_compact(const ModelSpec& spec) {
  std::string s;
  for (const auto& layer : spec.layers) {
    if (!s.empty()) s += ',';
    s += layer.type;
    const LayerKind& kind = kind_of(layer.type);
    // Positional arguments while they are present in order; anything else only shows in JSON.
    for (const auto& name : kind.positional) {
      if (!layer.params.contains(name)) break;
      const json& v = layer.params[name];
      if (v.is_array()) break;  // [height, width] has no compact spelling
      s += ':' + (v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  return s;
}

std::unique_ptr<Sequential> build_model(const ModelSpec& spec, const BuildOptions& options) {
  NN_CHECK(!spec.empty(), "model spec: no layers");
  auto model = std::make_unique<Sequential>();
  Context ctx;
  for (const auto& layer : spec.layers) {
    try {
      model->add(kind_of(layer.type).build(layer.params, options, ctx));
    } catch (const json::exception& e) {
      fail("model spec: ", layer.type, ": ", e.what());
    }
  }
  return model;
}

std::vector<std::string> known_layer_types() {
  std::vector<std::string> out;
  for (auto& [name, kind] : kinds()) out.push_back(name);
  return out;
}

bool expects_images(const ModelSpec& spec) {
  return !spec.empty() && kind_of(spec.layers.front().type).image_input;
}

}  // namespace nn::io
