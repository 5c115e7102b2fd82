#include "nn/io/layer_registry.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/json.hpp"
#include "nn/io/limits.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/gelu.hpp"
#include "nn/layers/layer_norm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/pool.hpp"

namespace nn::io {

namespace {

using json = nlohmann::json;
using Ptr = std::shared_ptr<Module>;

int64_t get_int(const json& p, const std::string& key, const std::string& type, int64_t fallback) {
  if (!p.contains(key)) return fallback;
  NN_CHECK(p[key].is_number_integer(), "model spec: ", type, ": expected an integer for '", key, "', found ",
           short_dump(p[key]));
  // Sizes are bounded before anything is allocated from them (a file's "out": 9223372036854775807).
  const int64_t v = p[key].get<int64_t>();
  return v > 0 ? check_size(v, "model spec: " + type + ": '" + key + "'") : v;
}

float get_float(const json& p, const std::string& key, const std::string& type, double fallback) {
  if (!p.contains(key)) return static_cast<float>(fallback);
  NN_CHECK(p[key].is_number(), "model spec: ", type, ": expected a number for '", key, "', found ", short_dump(p[key]));
  return static_cast<float>(p[key].get<double>());
}

bool get_bool(const json& p, const std::string& key, const std::string& type, bool fallback) {
  if (!p.contains(key)) return fallback;
  NN_CHECK(p[key].is_boolean(), "model spec: ", type, ": expected true or false for '", key, "', found ",
           short_dump(p[key]));
  return p[key].get<bool>();
}

std::string get_word(const json& p, const std::string& key, const std::string& type, const std::string& fallback) {
  if (!p.contains(key)) return fallback;
  NN_CHECK(p[key].is_string(), "model spec: ", type, ": expected a word for '", key, "', found ", short_dump(p[key]));
  return p[key].get<std::string>();
}

Init get_init(const json& p, const std::string& type, const BuildOptions& o) {
  if (!p.contains("init")) return o.default_init;
  try {
    return parse_init(get_word(p, "init", type, ""));
  } catch (const Error& e) {
    fail("model spec: ", type, ": ", e.what());
  }
}

// A size given as one integer (3) or as [height, width].
Size2 get_size2(const json& p, const std::string& key, const std::string& type, Size2 fallback) {
  if (!p.contains(key)) return fallback;
  const json& v = p[key];
  const std::string what = "model spec: " + type + ": '" + key + "'";
  auto bounded = [&](int64_t x) { return x > 0 ? check_size(x, what) : x; };
  if (v.is_number_integer()) return Size2(bounded(v.get<int64_t>()));
  NN_CHECK(v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer(), "model spec: ",
           type, ": expected an integer or [height, width] for '", key, "', found ", short_dump(v));
  return Size2(bounded(v[0].get<int64_t>()), bounded(v[1].get<int64_t>()));
}

// A layer without settings whose output has the shape of its input.
template <class M>
LayerRow simple(std::string name, std::string torch_name) {
  return {std::move(name), {std::move(torch_name)}, {}, {}, {}, false,
          [](const json&, const BuildOptions&, BuildContext&) -> Ptr { return std::make_shared<M>(); }};
}

template <class Pool>
LayerBuilder pool_builder(std::string type) {
  return [type](const json& p, const BuildOptions&, BuildContext&) -> Ptr {
    return std::make_shared<Pool>(get_size2(p, "kernel", type, Size2(0)), get_size2(p, "stride", type, Size2(0)),
                                  get_size2(p, "padding", type, Size2(0)));
  };
}

std::vector<LayerRow> make_rows() {
  std::vector<LayerRow> rows;
  rows.push_back({"linear", {"Linear"}, {"out", "init", "alpha"}, {"out", "init", "gain", "bias", "weight_decay", "alpha"},
                  {"out"}, false,
                  [](const json& p, const BuildOptions& o, BuildContext& ctx) -> Ptr {
                    const int64_t out = get_int(p, "out", "linear", 0);
                    NN_CHECK(out > 0, "model spec: linear: expected a positive output size, found ", out);
                    LinearOptions lo;
                    lo.init = get_init(p, "linear", o);
                    lo.gain = get_float(p, "gain", "linear", 1.0);
                    lo.alpha = get_float(p, "alpha", "linear", lo.alpha);
                    lo.bias = get_bool(p, "bias", "linear", true);
                    lo.weight_decay = get_float(p, "weight_decay", "linear", 0.0);
                    ctx.width = out;
                    ctx.spatial = false;
                    return std::make_shared<Linear>(out, lo);
                  }});
  rows.push_back(simple<ReLU>("relu", "ReLU"));
  rows.push_back({"leakyrelu", {"LeakyReLU"}, {"alpha"}, {"alpha"}, {}, false,
                  [](const json& p, const BuildOptions&, BuildContext&) -> Ptr {
                    return std::make_shared<LeakyReLU>(get_float(p, "alpha", "leakyrelu", 0.01));
                  }});
  rows.push_back(simple<Sigmoid>("sigmoid", "Sigmoid"));
  rows.push_back(simple<Tanh>("tanh", "Tanh"));
  rows.push_back(simple<Softmax>("softmax", "Softmax"));
  rows.push_back(simple<Identity>("identity", "Identity"));
  rows.push_back({"conv", {"Conv2d"}, {"out", "kernel", "stride", "padding"},
                  {"out", "kernel", "stride", "padding", "init", "gain", "bias", "alpha"}, {"out", "kernel"}, true,
                  [](const json& p, const BuildOptions& o, BuildContext& ctx) -> Ptr {
                    const int64_t out = get_int(p, "out", "conv", 0);
                    NN_CHECK(out > 0, "model spec: conv: expected a positive number of output channels, found ",
                             out);
                    ConvOptions co;
                    co.stride = get_size2(p, "stride", "conv", Size2(1));
                    co.padding = get_size2(p, "padding", "conv", Size2(0));
                    co.bias = get_bool(p, "bias", "conv", true);
                    co.init = get_init(p, "conv", o);
                    co.gain = get_float(p, "gain", "conv", 1.0);
                    co.alpha = get_float(p, "alpha", "conv", co.alpha);
                    ctx.width = out;
                    ctx.spatial = true;
                    return std::make_shared<Conv2D>(out, get_size2(p, "kernel", "conv", Size2(0)), co);
                  }});
  rows.push_back({"maxpool", {"MaxPool2d"}, {"kernel", "stride", "padding"}, {"kernel", "stride", "padding"},
                  {"kernel"}, true, pool_builder<MaxPool2D>("maxpool")});
  rows.push_back({"avgpool", {"AvgPool2d"}, {"kernel", "stride", "padding"}, {"kernel", "stride", "padding"},
                  {"kernel"}, true, pool_builder<AvgPool2D>("avgpool")});
  rows.push_back({"flatten", {"Flatten"}, {}, {}, {}, false,
                  [](const json&, const BuildOptions&, BuildContext& ctx) -> Ptr {
                    ctx.width = 0;
                    ctx.spatial = false;
                    return std::make_shared<Flatten>();
                  }});
  rows.push_back({"dropout", {"Dropout"}, {"p"}, {"p"}, {}, false,
                  [](const json& p, const BuildOptions&, BuildContext& ctx) -> Ptr {
                    DropoutOptions d;
                    if (ctx.dry_run) d.seed = 0;
                    return std::make_shared<Dropout>(get_float(p, "p", "dropout", 0.5), d);
                  }});
  rows.push_back({"batchnorm", {"BatchNorm1d", "BatchNorm2d"}, {"features"}, {"features", "eps", "momentum"}, {},
                  false, [](const json& p, const BuildOptions&, BuildContext& ctx) -> Ptr {
                    // Its size: given, else the layer before's, else inferred from its input.
                    const int64_t c = get_int(p, "features", "batchnorm", ctx.width);
                    NN_CHECK(c > 0 || !p.contains("features"),
                             "model spec: batchnorm: expected a positive number of features, found ", c);
                    BatchNormOptions bo;
                    bo.eps = get_float(p, "eps", "batchnorm", bo.eps);
                    bo.momentum = get_float(p, "momentum", "batchnorm", bo.momentum);
                    if (c == 0 && ctx.spatial) return std::make_shared<BatchNorm2d>(BatchNorm2d::inferred(bo));
                    if (c == 0) return std::make_shared<BatchNorm1d>(BatchNorm1d::inferred(bo));
                    if (ctx.spatial) return std::make_shared<BatchNorm2d>(c, bo);
                    return std::make_shared<BatchNorm1d>(c, bo);
                  }});
  rows.push_back({"gelu", {"GELU"}, {"approximate"}, {"approximate"}, {}, false,
                  [](const json& p, const BuildOptions&, BuildContext&) -> Ptr {
                    const std::string a = get_word(p, "approximate", "gelu", "none");
                    NN_CHECK(a == "none" || a == "tanh", "model spec: gelu: expected approximate none or tanh, found '",
                             a, "'");
                    return std::make_shared<GELU>(GELU::parse_approximate(a));
                  }});
  rows.push_back({"layernorm", {"LayerNorm"}, {"features"}, {"features", "eps", "elementwise_affine"}, {}, false,
                  [](const json& p, const BuildOptions&, BuildContext&) -> Ptr {
                    const int64_t f = get_int(p, "features", "layernorm", 0);
                    NN_CHECK(f > 0 || !p.contains("features"),
                             "model spec: layernorm: expected a positive number of features, found ", f);
                    LayerNormOptions lo;
                    lo.eps = get_float(p, "eps", "layernorm", lo.eps);
                    lo.elementwise_affine = get_bool(p, "elementwise_affine", "layernorm", true);
                    NN_CHECK(lo.eps > 0.0f, "model spec: layernorm: expected eps > 0, found ", lo.eps);
                    return std::make_shared<LayerNorm>(f, lo);
                  }});
  std::sort(rows.begin(), rows.end(), [](const LayerRow& a, const LayerRow& b) { return a.name < b.name; });
  return rows;
}

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

}  // namespace

const std::vector<LayerRow>& layer_registry() {
  static const std::vector<LayerRow> rows = make_rows();
  return rows;
}

const LayerRow* find_layer(std::string_view name) {
  for (const LayerRow& row : layer_registry())
    if (row.name == name) return &row;
  return nullptr;
}

const LayerRow& layer_row(std::string_view name) {
  const LayerRow* row = find_layer(name);
  if (row == nullptr) {
    std::vector<std::string> known;
    for (const LayerRow& r : layer_registry()) known.push_back(r.name);
    fail("model spec: unknown layer '", name, "' (known: ", join(known), ")");
  }
  return *row;
}

void check_setting_keys(const LayerRow& row, const json& settings) {
  NN_CHECK(settings.is_object(), "model spec: ", row.name, ": expected an object of settings, found ",
           short_dump(settings));
  for (const auto& [key, value] : settings.items())
    NN_CHECK(std::find(row.settings.begin(), row.settings.end(), key) != row.settings.end(), "model spec: ",
             row.name, ": unknown setting '", key, "' (expected ",
             row.settings.empty() ? std::string("none") : join(row.settings), ")");
  for (const auto& key : row.required)
    NN_CHECK(settings.contains(key), "model spec: ", row.name, ": missing '", key, "'");
}

}  // namespace nn::io
