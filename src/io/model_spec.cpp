#include "nn/io/model_spec.hpp"

#include <charconv>
#include <sstream>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/json.hpp"

namespace nn::io {

namespace {

using json = nlohmann::json;

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
  const LayerRow& row = layer_row(layer.type);
  check_setting_keys(row, layer.params);
  // Building once checks every value's type and range (a size taken from the layer before is
  // checked when the whole model is built).
  BuildContext ctx{1, false, true};
  try {
    row.build(layer.params, BuildOptions{}, ctx);
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
    const LayerRow& row = layer_row(layer.type);
    NN_CHECK(parts.size() - 1 <= row.positional.size(), "model spec: '", item, "': ", layer.type, " takes at most ",
             row.positional.size(), " arguments, found ", parts.size() - 1);
    for (size_t k = 1; k < parts.size(); ++k) layer.params[row.positional[k - 1]] = parse_value(item, parts[k]);
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
    if (!layer.name.empty()) j["name"] = layer.name;
    layers.push_back(std::move(j));
  }
  return layers;
}

ModelSpec model_spec_from_json(const json& j) {
  // An array of layers, {"layers": [...]}, or a single layer {"type": ...}.
  const json single = j.is_object() && j.contains("type") ? json::array({j}) : json();
  const json& layers = !single.is_null() ? single : j.is_object() && j.contains("layers") ? j["layers"] : j;
  NN_CHECK(layers.is_array(), "model spec: expected a JSON array of layers (or {\"layers\": [...]}, or one layer ",
           "{\"type\": ...}), found ", layers.type_name());
  ModelSpec spec;
  for (size_t i = 0; i < layers.size(); ++i) {
    const json& l = layers[i];
    NN_CHECK(l.is_object() && l.contains("type") && l["type"].is_string(), "model spec: layer ", i,
             ": expected an object with a string \"type\", found ", short_dump(l));
    LayerSpec layer;
    layer.type = l["type"].get<std::string>();
    layer.params = l;
    layer.params->erase("type");
    if (l.contains("name")) {
      NN_CHECK(l["name"].is_string() && !l["name"].get<std::string>().empty() &&
                   l["name"].get<std::string>().find('.') == std::string::npos && l["name"].get<std::string>().size() <= 64,
               "model spec: layer ", i, ": expected \"name\" to be a non-empty word without '.', found ",
               short_dump(l["name"]));
      layer.name = l["name"].get<std::string>();
      layer.params->erase("name");
    }
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
    // Positional arguments while they are present in order; anything else only shows in JSON.
    for (const auto& name : layer_row(layer.type).positional) {
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
  BuildContext ctx;
  ctx.spatial = options.image_input || expects_images(spec);
  for (const auto& layer : spec.layers) {
    try {
      auto module = layer_row(layer.type).build(layer.params, options, ctx);
      if (layer.name.empty()) {
        model->add(std::move(module));
      } else {
        model->add(layer.name, std::move(module));
      }
    } catch (const json::exception& e) {
      fail("model spec: ", layer.type, ": ", e.what());
    }
  }
  return model;
}

std::vector<std::string> known_layer_types() {
  std::vector<std::string> out;
  for (const LayerRow& row : layer_registry()) out.push_back(row.name);
  return out;
}

bool expects_images(const ModelSpec& spec) {
  return !spec.empty() && layer_row(spec.layers.front().type).image_input;
}

}  // namespace nn::io
