// The registry's layers as Python classes: nn.Linear(2, 3, init="xavier"), nn.Linear(32) (input
// size inferred), nn.Conv2d(1, 8, 3, padding=1), ... Options are keyword arguments named as in
// model specs (PyTorch's names are accepted too); the layer registry validates and builds them.
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <map>

#include "common.hpp"
#include "nn/error.hpp"
#include "nn/io/layer_registry.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/gelu.hpp"
#include "nn/layers/layer_norm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/pool.hpp"

namespace nnpy {

using namespace nb::literals;

namespace {

// How a Python class maps onto its registry row.
struct Signature {
  Signature(const char* s, std::vector<std::string> p, std::vector<std::string> f = {}, bool sp = false,
            nn::Init i = nn::Init::he)
      : spec(s), positional(std::move(p)), full(std::move(f)), spatial(sp), init(i) {}
  const char* spec;                     // the row: "linear"
  std::vector<std::string> positional;  // positional arguments, in order
  std::vector<std::string> full;        // with the input size first ("in"), when given that many
  bool spatial;                         // batchnorm: 2d
  nn::Init init;                        // the class's default initialisation
};

const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> a{
      {"in_features", "in"},   {"out_features", "out"},      {"in_channels", "in"},   {"out_channels", "out"},
      {"kernel_size", "kernel"}, {"negative_slope", "alpha"}, {"num_features", "features"},
      {"normalized_shape", "features"}};
  return a;
}

std::shared_ptr<nn::Module> build(const char* py_name, const Signature& sig, nb::args args, nb::kwargs kwargs,
                                  int64_t& in_size) {
  const nn::io::LayerRow& row = nn::io::layer_row(sig.spec);
  const std::vector<std::string>& names =
      (!sig.full.empty() && args.size() > sig.positional.size()) ? sig.full : sig.positional;
  if (args.size() > names.size())
    throw nb::type_error((std::string("nn.") + py_name + ": at most " + std::to_string(names.size()) +
                          " positional arguments, found " + std::to_string(args.size()))
                             .c_str());
  nlohmann::json settings = nlohmann::json::object();
  in_size = 0;
  auto put = [&](std::string key, nb::handle value) {
    if (auto a = aliases().find(key); a != aliases().end()) key = a->second;
    if (value.is_none()) return;
    const bool known = key == "in" ? !sig.full.empty()
                                   : std::find(row.settings.begin(), row.settings.end(), key) != row.settings.end();
    if (!known) {
      std::string accepted = sig.full.empty() ? "" : "in";
      for (const auto& s : row.settings) accepted += (accepted.empty() ? "" : ", ") + s;
      throw nb::type_error((std::string("nn.") + py_name + ": unexpected argument '" + key + "' (accepted: " +
                            (accepted.empty() ? "none" : accepted) + ")")
                               .c_str());
    }
    NN_CHECK(!settings.contains(key) && !(key == "in" && in_size != 0), "nn.", py_name, ": '", key,
             "' given twice");
    if (key == "in") {
      in_size = nb::cast<int64_t>(value);
      NN_CHECK(in_size > 0, "nn.", py_name, ": expected a positive input size, found ", in_size);
      return;
    }
    settings[key] = to_json(value, std::string("nn.") + py_name + ": '" + key + "'");
  };
  for (size_t i = 0; i < args.size(); ++i) put(names[i], args[i]);
  for (auto [k, v] : kwargs) put(nb::cast<std::string>(k), v);
  for (const auto& r : row.required)
    if (!settings.contains(r))
      throw nb::type_error((std::string("nn.") + py_name + ": missing argument '" + r + "'").c_str());
  nn::io::BuildOptions options;
  options.default_init = sig.init;
  options.image_input = sig.spatial;
  nn::io::BuildContext context;
  context.spatial = sig.spatial;
  return row.build(settings, options, context);
}

template <class T>
void construct(T* self, const char* py_name, const Signature& sig, nb::args args, nb::kwargs kwargs) {
  int64_t in_size = 0;
  std::shared_ptr<nn::Module> built = build(py_name, sig, args, kwargs, in_size);
  auto* layer = dynamic_cast<T*>(built.get());
  NN_CHECK(layer != nullptr, "nn.", py_name, ": the registry built a ", built->type_name());
  if constexpr (requires(T& t) { t.initialize(int64_t{1}); }) {
    if (in_size > 0) layer->initialize(in_size);
  }
  new (self) T(std::move(*layer));
}

template <class T>
nb::class_<T, nn::Module> layer(nb::module_& m, const char* py_name, Signature sig, const char* doc) {
  auto cls = nb::class_<T, nn::Module>(m, py_name, nb::dynamic_attr(), doc);
  cls.def(
      "__init__",
      [py_name, sig](T* self, nb::args args, nb::kwargs kwargs) { construct(self, py_name, sig, args, kwargs); },
      "args"_a, "kwargs"_a);
  return cls;
}

}  // namespace

void bind_layers(nb::module_& m) {
  layer<nn::Linear>(m, "Linear", {"linear", {"out"}, {"in", "out"}, false, nn::Init::xavier},
                    "Linear(in_features, out_features, *, init='xavier', gain=1.0, bias=True, weight_decay=0.0, "
                    "alpha=0.01), or Linear(out_features, ...) with the input size taken from the first input.\n"
                    "y = x W^T + b; weight is (out, in).")
      .def_prop_ro("in_features", &nn::Linear::in_features, "0 until inferred.")
      .def_prop_ro("out_features", &nn::Linear::out_features)
      .def_prop_ro("weight", [](nn::Linear& l) -> nn::Parameter& { return l.weight(); }, nb::rv_policy::reference_internal)
      .def_prop_ro("bias", [](nn::Linear& l) { return l.bias(); }, nb::rv_policy::reference_internal);
  layer<nn::Conv2D>(m, "Conv2d", {"conv", {"out", "kernel"}, {"in", "out", "kernel", "stride", "padding"}},
                    "Conv2d(in_channels, out_channels, kernel, stride=1, padding=0, *, init='he', bias=True), "
                    "or Conv2d(out_channels, kernel, ...) with the input channels inferred. Input [N, C, H, W].")
      .def_prop_ro("in_channels", &nn::Conv2D::in_channels)
      .def_prop_ro("out_channels", &nn::Conv2D::out_channels)
      .def_prop_ro("weight", [](nn::Conv2D& l) -> nn::Parameter& { return l.weight(); }, nb::rv_policy::reference_internal)
      .def_prop_ro("bias", [](nn::Conv2D& l) { return l.bias(); }, nb::rv_policy::reference_internal);
  layer<nn::MaxPool2D>(m, "MaxPool2d", {"maxpool", {"kernel", "stride", "padding"}},
                       "MaxPool2d(kernel, stride=kernel, padding=0).");
  layer<nn::AvgPool2D>(m, "AvgPool2d", {"avgpool", {"kernel", "stride", "padding"}},
                       "AvgPool2d(kernel, stride=kernel, padding=0).");
  layer<nn::Flatten>(m, "Flatten", {"flatten", {}}, "Flatten(): [N, ...] -> [N, features].");
  layer<nn::ReLU>(m, "ReLU", {"relu", {}}, "ReLU(): max(0, x).");
  layer<nn::Sigmoid>(m, "Sigmoid", {"sigmoid", {}}, "Sigmoid(): 1 / (1 + e^-x).");
  layer<nn::Tanh>(m, "Tanh", {"tanh", {}}, "Tanh(): tanh x.");
  layer<nn::Identity>(m, "Identity", {"identity", {}}, "Identity(): x.");
  layer<nn::Softmax>(m, "Softmax", {"softmax", {}}, "Softmax(): over dim 1.");
  layer<nn::LeakyReLU>(m, "LeakyReLU", {"leakyrelu", {"alpha"}}, "LeakyReLU(alpha=0.01).");
  layer<nn::GELU>(m, "GELU", {"gelu", {"approximate"}}, "GELU(approximate='none' or 'tanh').");
  layer<nn::Dropout>(m, "Dropout", {"dropout", {"p"}}, "Dropout(p=0.5): zeroes with probability p in training.");
  layer<nn::BatchNorm1d>(m, "BatchNorm1d", {"batchnorm", {"features"}},
                         "BatchNorm1d(features=None, *, eps=1e-5, momentum=0.1); features inferred when not given.");
  layer<nn::BatchNorm2d>(m, "BatchNorm2d", {"batchnorm", {"features"}, {}, true},
                         "BatchNorm2d(features=None, *, eps=1e-5, momentum=0.1) over [N, C, H, W].");
  layer<nn::LayerNorm>(m, "LayerNorm", {"layernorm", {"features"}},
                       "LayerNorm(features=None, *, eps=1e-5, elementwise_affine=True) over the last dimension.");
  m.def(
      "layer_types",
      [] {
        std::vector<std::string> names;
        for (const auto& row : nn::io::layer_registry()) names.push_back(row.name);
        return names;
      },
      "The layer types of model specs (the registry's rows).");
}

}  // namespace nnpy
