// Data: the synthetic generators and the readers (IDX/Fashion-MNIST, CSV, NPY), as NumPy arrays.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "common.hpp"
#include "nn/data/csv.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/npy.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"

namespace nnpy {

using namespace nb::literals;

nb::tuple dataset_arrays(nn::data::Dataset data) {
  if (data.is_u8()) data.to_float();
  nb::object x = nb::cast(std::move(data.mutable_features()));
  nb::object xa = numpy_view(nb::cast<nn::Tensor&>(x), x);
  if (data.is_classification()) return nb::make_tuple(xa, labels_array(data.labels()));
  nb::object t = nb::cast(data.targets().clone());
  return nb::make_tuple(xa, numpy_view(nb::cast<nn::Tensor&>(t), t));
}

void bind_data(nb::module_& m) {
  m.def("make_xor", [](int64_t repeats) { return dataset_arrays(nn::data::make_xor(repeats)); }, "repeats"_a = 1,
        "XOR's four points (repeated): (X float32 [4r, 2], y int32).");
  m.def(
      "make_blobs",
      [](int64_t n_samples, int64_t n_features, int64_t centers, double cluster_std, double center_box, uint64_t seed) {
        return dataset_arrays(nn::data::make_blobs({n_samples, n_features, centers, cluster_std, center_box, seed}));
      },
      "n_samples"_a = 1000, "n_features"_a = 2, "centers"_a = 2, "cluster_std"_a = 1.0, "center_box"_a = 10.0,
      "seed"_a = 1, "Gaussian clusters (scikit-learn's make_blobs): (X, y).");
  m.def(
      "make_classification",
      [](int64_t n_samples, int64_t n_features, int64_t n_informative, int64_t n_redundant, int64_t n_classes,
         int64_t n_clusters_per_class, double class_sep, double flip_y, uint64_t seed) {
        return dataset_arrays(nn::data::make_classification({n_samples, n_features, n_informative, n_redundant,
                                                             n_classes, n_clusters_per_class, class_sep, flip_y, seed}));
      },
      "n_samples"_a = 100, "n_features"_a = 2, "n_informative"_a = 2, "n_redundant"_a = 0, "n_classes"_a = 2,
      "n_clusters_per_class"_a = 1, "class_sep"_a = 1.0, "flip_y"_a = 0.0, "seed"_a = 1,
      "scikit-learn's make_classification: (X, y).");
  m.def("make_moons",
        [](int64_t n, double noise, uint64_t seed) { return dataset_arrays(nn::data::make_moons(n, noise, seed)); },
        "n_samples"_a = 1000, "noise"_a = 0.1, "seed"_a = 1, "Two interleaving half circles: (X, y).");
  m.def(
      "make_circles",
      [](int64_t n, double noise, double factor, uint64_t seed) {
        return dataset_arrays(nn::data::make_circles(n, noise, factor, seed));
      },
      "n_samples"_a = 1000, "noise"_a = 0.05, "factor"_a = 0.5, "seed"_a = 1, "Two concentric circles: (X, y).");
  m.def(
      "make_spiral",
      [](int64_t n, int64_t classes, double noise, uint64_t seed) {
        return dataset_arrays(nn::data::make_spiral(n, classes, noise, seed));
      },
      "n_samples"_a = 900, "classes"_a = 3, "noise"_a = 0.2, "seed"_a = 1, "Interleaved spiral arms: (X, y).");
  m.def(
      "load_mnist",
      [](const std::string& dir, const std::string& split) { return dataset_arrays(nn::data::load_mnist_dir(dir, split)); },
      "dir"_a, "split"_a = "train",
      "MNIST or Fashion-MNIST from a folder of IDX files (train-images-idx3-ubyte[.gz], ...; split 'train' or "
      "'test'): (X float32 [N, 784] on [0, 1], y int32).");
  m.def(
      "load_idx",
      [](const std::string& images, const std::string& labels) {
        return dataset_arrays(nn::data::load_idx_dataset(images, labels));
      },
      "images"_a, "labels"_a, "An IDX image file and its label file: (X, y).");
  m.def("fashion_mnist_class_names", &nn::data::fashion_mnist_class_names, "The ten Fashion-MNIST class names.");
  m.def(
      "read_csv",
      [](const std::string& path, const std::string& label_column) {
        nn::data::CsvOptions o;
        o.label_column = label_column;
        return dataset_arrays(nn::data::read_csv(path, o));
      },
      "path"_a, "label_column"_a = "", "A CSV file of numbers with a label column (default: the last): (X, y).");
  m.def(
      "read_npy",
      [](const std::string& path) {
        nn::data::NpyArray a = nn::data::read_npy(path);
        nb::object np = nb::module_::import_("numpy");
        nb::object flat = np.attr("array")(nb::cast(a.data), "dtype"_a = "float32");
        return flat.attr("reshape")(nb::tuple(nb::cast(a.shape)));
      },
      "path"_a, "A .npy file as a float32 array.");
}

}  // namespace nnpy
