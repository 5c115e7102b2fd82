// Shared helpers of the Python bindings (nn._nn): NumPy <-> Tensor, settings as JSON, the
// registration functions of each part. Internal to the extension; not installed.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/data/dataset.hpp"
#include "nn/labels.hpp"
#include "nn/layers/module.hpp"
#include "nn/tensor.hpp"

namespace nb = nanobind;

namespace nnpy {

using FloatArray = nb::ndarray<float, nb::c_contig, nb::device::cpu>;
using IntArray = nb::ndarray<const int32_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

// A tensor over a float32, C-contiguous, writable NumPy array's memory (no copy); the tensor keeps
// the array alive until it lets go of the memory.
nn::Tensor borrow(const FloatArray& array);
// `value` as an nn.Tensor object: itself when it is one, else a tensor borrowing the float32,
// C-contiguous, writable array it is. `what` names the argument in the TypeError otherwise.
nb::object tensor_object(nb::handle value, const char* what);
// tensor_object with the argument's name built only when it is needed (an error).
template <class What>
nb::object tensor_object_named(nb::handle value, What&& what) {
  if (nb::isinstance<nn::Tensor>(value)) return nb::borrow(value);
  return tensor_object(value, std::string(what()).c_str());
}

// Releases the GIL for work of at least this many elements; below it, releasing and taking it back
// costs more than the compute (an XOR step's layers) and the GIL stays held.
inline constexpr int64_t kReleaseGilFrom = 1024;
class ReleaseGilIf {
 public:
  explicit ReleaseGilIf(bool release) {
    if (release) release_.emplace();
  }

 private:
  std::optional<nb::gil_scoped_release> release_;
};

// A NumPy view of `tensor` (no copy) that keeps `owner` (the Python object owning it) alive.
nb::object numpy_view(nn::Tensor& tensor, nb::handle owner);
// `value` as float32 samples for fit() and the classic neurons: borrowed when it is float32 and
// C-contiguous, else converted (a copy). Rank 1 is one feature per sample when `as_matrix`.
nn::Tensor features_tensor(nb::handle value, const char* what);
// Class labels from any integer (or integral-valued) array or sequence: int32, contiguous.
std::vector<int32_t> labels_vector(nb::handle value, const char* what);

// A NumPy int32 array that owns `values`.
nb::object labels_array(std::vector<int32_t> values);
// (X, y) of a dataset as NumPy arrays, X float32 [N, ...] (no copy: X owns the dataset's features),
// y int32 labels or float32 targets.
nb::tuple dataset_arrays(nn::data::Dataset data);

// Python values (dict, list, str, int, float, bool, None) as JSON and back.
nlohmann::json to_json(nb::handle value, const std::string& where);
nb::object from_json(const nlohmann::json& j);

// Registration of each part of the module.
void bind_tensor(nb::module_& m);
void bind_module(nb::module_& m);
void bind_layers(nb::module_& m);
void bind_losses(nb::module_& m);
void bind_optim(nb::module_& m);
void bind_io(nb::module_& m);
void bind_train(nb::module_& m);
void bind_data(nb::module_& m);
void bind_classic(nb::module_& m);

}  // namespace nnpy
