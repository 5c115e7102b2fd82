// Model files (safetensors, read by PyTorch and the nn command) and model specs.
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include "common.hpp"
#include "nn/data/scaler.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/io/model_spec.hpp"

namespace nnpy {

using namespace nb::literals;

void bind_io(nb::module_& m) {
  nb::class_<nn::data::Scaler>(m, "Scaler",
                               "The input scaling a model file carries (nn train's --scale): none, standard, minmax, range.")
      .def_prop_ro("kind", [](const nn::data::Scaler& s) { return std::string(s.kind_name()); })
      .def(
          "transform",
          [](const nn::data::Scaler& s, nb::handle x) {
            nn::Tensor t = features_tensor(x, "Scaler.transform").clone();
            s.transform(t);
            return t;
          },
          "X"_a, "The scaled copy of X, as the nn command scales its inputs.");
  m.def(
      "load_with_scaler",
      [](const std::string& path) {
        nn::io::ScaledModel loaded = nn::io::load_with_scaler(path);
        return nb::make_tuple(std::move(loaded.model.model), std::move(loaded.scaler));
      },
      "path"_a, "A model file and the input scaler saved with it: (model, scaler).");
  m.def(
      "save",
      [](const nn::Module& model, const std::string& path, std::vector<int64_t> input_shape) {
        nn::io::SaveOptions o;
        o.input_shape = std::move(input_shape);
        nn::io::save(model, path, o);
      },
      "model"_a, "path"_a, "input_shape"_a = std::vector<int64_t>{},
      "Writes the model (a Sequential of registry layers) as a safetensors file with its architecture; "
      "`nn info`, `nn eval` and PyTorch read it.");
  m.def(
      "load", [](const std::string& path) { return std::move(nn::io::load_model(path).model); }, "path"_a,
      "Reads a model file written by nn.save or the nn command: a Sequential.");
  m.def(
      "spec_of", [](const nn::Module& model) { return nn::io::to_compact(nn::io::spec_of(model)); }, "model"_a,
      "The model's spec in the compact form (\"linear:128,relu,linear:10\").");
  m.def(
      "build_model", [](const std::string& spec) { return nn::io::build_model(nn::io::parse_model_spec(spec)); },
      "spec"_a, "A Sequential built from a model spec (compact or JSON), as the nn command builds it.");
}

}  // namespace nnpy
