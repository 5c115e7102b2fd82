/// @file
/// @brief Synthetic classification datasets (XOR, blobs, make_classification, moons, circles,
/// spirals), each driven by its own seed.
///
/// Features are float32 [N, n_features]; labels are class indices. The same arguments always give
/// the same dataset. Invalid sizes (n_samples <= 0, say) throw nn::Error.
#pragma once

#include "nn/export.hpp"

#include <cstdint>

#include "nn/data/dataset.hpp"

namespace nn::data {

/// The four XOR points (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0, repeated `repeats` times.
NN_API Dataset make_xor(int64_t repeats = 1);

/// The parameters of make_blobs.
struct NN_API BlobsOptions {
  int64_t n_samples = 1000;  ///< N, the number of points, > 0
  int64_t n_features = 2;    ///< features per point, > 0
  int64_t centers = 2;       ///< the number of blobs (classes), > 0
  double cluster_std = 1.0;  ///< the standard deviation of each blob, >= 0
  double center_box = 10.0;  ///< centres drawn uniformly from [-center_box, center_box] per feature
  uint64_t seed = 1;         ///< seed of the centres and the points
};
/// Isotropic Gaussian blobs like scikit-learn's make_blobs; samples are spread evenly over the
/// centres. The defaults give a two-class cluster for a single neuron to separate (1000 points,
/// 2 features, 2 classes); centres
/// closer than 6 standard deviations are redrawn so that the classes are well separated.
NN_API Dataset make_blobs(const BlobsOptions& options = {});

/// The parameters of make_classification (those of scikit-learn's function of the same name).
struct NN_API ClassificationOptions {
  int64_t n_samples = 100;          ///< N, the number of points, > 0
  int64_t n_features = 2;           ///< features per point: informative + redundant + noise
  int64_t n_informative = 2;        ///< features that carry the classes, >= 1
  int64_t n_redundant = 0;          ///< random linear combinations of the informative features, >= 0
  int64_t n_classes = 2;            ///< the number of classes, >= 2
  int64_t n_clusters_per_class = 1; ///< Gaussian clusters per class
  double class_sep = 1.0;           ///< half the side of the hypercube the clusters sit on; larger is easier
  double flip_y = 0.0;  ///< fraction of labels replaced by random ones
  uint64_t seed = 1;                ///< seed of everything drawn
};
/// Like scikit-learn's make_classification: Gaussian clusters at the vertices of a hypercube of side
/// 2 class_sep in the informative subspace, each with a random covariance; redundant features are
/// random linear combinations of the informative ones, the rest is noise; then rows are shuffled.
/// The defaults give a small, easy problem: 100 points, 2 features, 2 linearly separable classes.
NN_API Dataset make_classification(const ClassificationOptions& options = {});

/// Two interleaving half circles (scikit-learn's make_moons), with Gaussian noise.
NN_API Dataset make_moons(int64_t n_samples = 1000, double noise = 0.1, uint64_t seed = 1);
/// A large circle containing a smaller one (make_circles), radius ratio `factor`.
NN_API Dataset make_circles(int64_t n_samples = 1000, double noise = 0.05, double factor = 0.5, uint64_t seed = 1);
/// `classes` interleaved spiral arms (the CS231n spiral).
NN_API Dataset make_spiral(int64_t n_samples = 900, int64_t classes = 3, double noise = 0.2, uint64_t seed = 1);

}  // namespace nn::data
