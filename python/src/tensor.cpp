// nn.Tensor and NumPy: views without copies in both directions where the layout allows.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstring>

#include "common.hpp"
#include "nn/error.hpp"

namespace nnpy {

using namespace nb::literals;

namespace {

void release_array(void* owner) {
  nb::gil_scoped_acquire gil;
  delete static_cast<FloatArray*>(owner);
}

nn::Shape shape_of(const std::vector<int64_t>& dims, const char* what) {
  if (dims.size() > static_cast<size_t>(nn::Shape::kMaxRank))
    throw nb::value_error((std::string(what) + ": nn tensors have at most 4 dimensions, found " +
                           std::to_string(dims.size()))
                              .c_str());
  return nn::Shape(std::span<const int64_t>(dims.data(), dims.size()));
}

std::string describe(nb::handle value) {
  nb::object dtype = nb::getattr(value, "dtype", nb::none());
  if (dtype.is_none()) return std::string("a ") + nb::type_name(value.type()).c_str();
  std::string s = "an array of dtype " + std::string(nb::str(dtype).c_str());
  nb::object flags = nb::getattr(value, "flags", nb::none());
  if (!flags.is_none()) {
    if (!nb::cast<bool>(flags.attr("c_contiguous"))) s += ", not C-contiguous";
    if (!nb::cast<bool>(flags.attr("writeable"))) s += ", read-only";
  }
  return s;
}

nb::object numpy_module() {
  // Never released: a static object's destructor would run after the interpreter has finalised.
  static nb::object* np = new nb::object(nb::module_::import_("numpy"));
  return *np;
}

}  // namespace

nn::Tensor borrow(const FloatArray& array) {
  std::vector<int64_t> dims(array.ndim());
  for (size_t i = 0; i < array.ndim(); ++i) dims[i] = static_cast<int64_t>(array.shape(i));
  const nn::Shape shape = shape_of(dims, "nn.tensor");
  return nn::Tensor::borrow(shape, array.data(), &release_array, new FloatArray(array));
}

nb::object tensor_object(nb::handle value, const char* what) {
  if (nb::isinstance<nn::Tensor>(value)) return nb::borrow(value);
  FloatArray array;
  if (nb::try_cast(value, array, false)) return nb::cast(borrow(array));
  throw nb::type_error((std::string(what) + ": expected an nn.Tensor or a C-contiguous, writable float32 array, found " +
                        describe(value) + " (nn.tensor(a, copy=True) converts)")
                           .c_str());
}

nb::object numpy_view(nn::Tensor& t, nb::handle owner) {
  size_t shape[nn::Shape::kMaxRank];
  for (int i = 0; i < t.rank(); ++i) shape[i] = static_cast<size_t>(t.dim(i));
  return nb::cast(nb::ndarray<nb::numpy, float>(t.data(), static_cast<size_t>(t.rank()), shape, owner));
}

nn::Tensor features_tensor(nb::handle value, const char* what) {
  if (nb::isinstance<nn::Tensor>(value)) return nb::cast<nn::Tensor&>(value).clone();
  FloatArray array;
  if (nb::try_cast(value, array, false)) return borrow(array);
  nb::object converted = numpy_module().attr("array")(value, "dtype"_a = "float32", "order"_a = "C");
  if (!nb::try_cast(converted, array, false))
    throw nb::type_error((std::string(what) + ": expected numbers, found " + describe(value)).c_str());
  return borrow(array);  // the converted copy
}

std::vector<int32_t> labels_vector(nb::handle value, const char* what) {
  nb::object np = numpy_module();
  nb::object a = np.attr("asarray")(value);
  NN_CHECK(nb::cast<int64_t>(a.attr("ndim")) == 1, what, ": expected one label per sample (a 1-D array), found ",
           nb::cast<int64_t>(a.attr("ndim")), " dimensions");
  nb::object as_int = a.attr("astype")("int32");
  NN_CHECK(nb::cast<bool>(np.attr("array_equal")(as_int, a)), what,
           ": expected integer class labels, found values that are not integers");
  as_int = np.attr("ascontiguousarray")(as_int);
  IntArray labels = nb::cast<IntArray>(as_int);
  return std::vector<int32_t>(labels.data(), labels.data() + labels.shape(0));
}

void bind_tensor(nb::module_& m) {
  nb::class_<nn::Tensor>(m, "Tensor",
                         "A float32, contiguous, row-major array of up to 4 dimensions: nn's data type.\n\n"
                         "np.asarray(t) is a view of its memory (no copy); nn.tensor(a) makes one over a NumPy "
                         "array's memory.")
      .def(
          "__init__",
          [](nn::Tensor* self, const std::vector<int64_t>& shape, float fill) {
            new (self) nn::Tensor(shape_of(shape, "nn.Tensor"), fill);
          },
          "shape"_a, "fill"_a = 0.0f, "A tensor of the given shape filled with `fill`.")
      .def_prop_ro(
          "shape",
          [](const nn::Tensor& t) {
            nb::list dims;
            for (int i = 0; i < t.rank(); ++i) dims.append(t.dim(i));
            return nb::tuple(dims);
          },
          "The extents, as a tuple.")
      .def_prop_ro("ndim", &nn::Tensor::rank, "The number of dimensions.")
      .def_prop_ro("size", &nn::Tensor::numel, "The number of elements.")
      .def_prop_ro("borrowed", &nn::Tensor::borrowed, "Whether the memory is a NumPy array's (nn.tensor(a)).")
      .def("__len__", [](const nn::Tensor& t) { return t.rank() == 0 ? int64_t{1} : t.dim(0); })
      .def(
          "data_ptr", [](const nn::Tensor& t) { return reinterpret_cast<uintptr_t>(t.data()); },
          "The address of the first element (to check that views share memory).")
      .def(
          "numpy", [](nb::handle self) { return numpy_view(nb::cast<nn::Tensor&>(self), self); },
          "A NumPy view of the tensor (no copy); it keeps the tensor alive.")
      .def(
          "__array__",
          [](nb::handle self, nb::handle dtype, nb::handle copy) {
            nb::object view = numpy_view(nb::cast<nn::Tensor&>(self), self);
            if (!dtype.is_none()) return view.attr("astype")(dtype, "copy"_a = copy.is_valid() && nb::cast<bool>(copy));
            if (!copy.is_none() && nb::cast<bool>(copy)) return view.attr("copy")();
            return view;
          },
          "dtype"_a = nb::none(), "copy"_a = nb::none(), "NumPy's protocol: np.asarray(t) is a view (no copy).")
      .def("clone", &nn::Tensor::clone, "A copy with memory of its own.")
      .def("fill", &nn::Tensor::fill, "value"_a, "Sets every element to `value`.")
      .def("zero", &nn::Tensor::zero, "Sets every element to 0.")
      .def(
          "reshape",
          [](nn::Tensor& t, const std::vector<int64_t>& shape) { t.reshape(shape_of(shape, "Tensor.reshape")); },
          "shape"_a, "Changes the shape in place (the number of elements stays).")
      .def(
          "tolist", [](nb::handle self) { return numpy_view(nb::cast<nn::Tensor&>(self), self).attr("tolist")(); },
          "The values as nested Python lists.")
      .def("__repr__", [](nb::handle self) {
        nn::Tensor& t = nb::cast<nn::Tensor&>(self);
        std::string values = nb::str(numpy_view(t, self)).c_str();
        return "nn.Tensor(" + values + ", shape=" + t.shape().str() + ")";
      });

  m.def(
      "_tensor",
      [](nb::handle value, bool copy) -> nb::object {
        if (nb::isinstance<nn::Tensor>(value))
          return copy ? nb::cast(nb::cast<nn::Tensor&>(value).clone()) : nb::borrow(value);
        if (!copy) return tensor_object(value, "nn.tensor");
        nn::Tensor converted = features_tensor(value, "nn.tensor");
        return nb::cast(converted.clone());
      },
      "value"_a, "copy"_a = false);
}

}  // namespace nnpy
