// Synthetic datasets, each driven by its own seed. Features are float32 [N, n_features]; labels are
// class indices.
#pragma once

#include "nn/export.hpp"

#include <cstdint>

#include "nn/data/dataset.hpp"

namespace nn::data {

/// The four XOR points (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0, repeated `repeats` times.
NN_API Dataset make_xor(int64_t repeats = 1);

struct NN_API BlobsOptions {
  int64_t n_samples = 1000;
  int64_t n_features = 2;
  int64_t centers = 2;
  double cluster_std = 1.0;
  double center_box = 10.0;  ///< centres drawn uniformly from [-center_box, center_box] per feature
  uint64_t seed = 1;
};
/// Isotropic Gaussian blobs like scikit-learn's make_blobs; samples are spread evenly over the
/// centres. The defaults are seed 001's blob cluster (1000 points, 2 features, 2 classes); centres
/// closer than 6 standard deviations are redrawn so that the classes are well separated.
NN_API Dataset make_blobs(const BlobsOptions& options = {});

struct NN_API ClassificationOptions {
  int64_t n_samples = 100;
  int64_t n_features = 2;
  int64_t n_informative = 2;
  int64_t n_redundant = 0;
  int64_t n_classes = 2;
  int64_t n_clusters_per_class = 1;
  double class_sep = 1.0;
  double flip_y = 0.0;  ///< fraction of labels replaced by random ones
  uint64_t seed = 1;
};
/// Like scikit-learn's make_classification: Gaussian clusters at the vertices of a hypercube of side
/// 2 class_sep in the informative subspace, each with a random covariance; redundant features are
/// random linear combinations of the informative ones, the rest is noise; then rows are shuffled.
/// The defaults are seed 000's data: 100 points, 2 features, 2 linearly separable classes.
NN_API Dataset make_classification(const ClassificationOptions& options = {});

/// Two interleaving half circles (scikit-learn's make_moons), with Gaussian noise.
NN_API Dataset make_moons(int64_t n_samples = 1000, double noise = 0.1, uint64_t seed = 1);
/// A large circle containing a smaller one (make_circles), radius ratio `factor`.
NN_API Dataset make_circles(int64_t n_samples = 1000, double noise = 0.05, double factor = 0.5, uint64_t seed = 1);
/// `classes` interleaved spiral arms (the CS231n spiral).
NN_API Dataset make_spiral(int64_t n_samples = 900, int64_t classes = 3, double noise = 0.2, uint64_t seed = 1);

}  // namespace nn::data
