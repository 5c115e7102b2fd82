#include "nn/data/synthetic.hpp"

#include <cmath>
#include <numbers>
#include <numeric>
#include <vector>

#include "nn/error.hpp"
#include "nn/random.hpp"

namespace nn::data {

namespace {
// Shuffles rows of x (n, d) and labels together.
void shuffle_rows(Tensor& x, std::vector<int32_t>& labels, Rng& rng) {
  const int64_t n = x.dim(0), d = x.dim(1);
  for (int64_t i = n; i > 1; --i) {
    const int64_t j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i)));
    for (int64_t k = 0; k < d; ++k) std::swap(x[(i - 1) * d + k], x[j * d + k]);
    std::swap(labels[static_cast<size_t>(i - 1)], labels[static_cast<size_t>(j)]);
  }
}

Dataset finish(Tensor x, std::vector<int32_t> labels, int64_t classes, const char* name) {
  Dataset d = Dataset::classification(std::move(x), std::move(labels), classes);
  d.name = name;
  for (int64_t c = 0; c < classes; ++c) d.class_names.push_back(std::to_string(c));
  return d;
}
}  // namespace

Dataset make_xor(int64_t repeats) {
  NN_CHECK(repeats > 0, "xor: expected repeats > 0, found ", repeats);
  Tensor x(Shape{4 * repeats, 2});
  std::vector<int32_t> y;
  for (int64_t r = 0; r < repeats; ++r) {
    for (int i = 0; i < 4; ++i) {
      const int a = i >> 1, b = i & 1;
      x.at(r * 4 + i, 0) = static_cast<float>(a);
      x.at(r * 4 + i, 1) = static_cast<float>(b);
      y.push_back(a ^ b);
    }
  }
  return finish(std::move(x), std::move(y), 2, "xor");
}

Dataset make_blobs(const BlobsOptions& o) {
  NN_CHECK(o.n_samples > 0 && o.n_features > 0 && o.centers > 0, "blobs: expected positive n_samples, "
           "n_features and centers, found ", o.n_samples, ", ", o.n_features, ", ", o.centers);
  NN_CHECK(o.cluster_std >= 0.0, "blobs: expected cluster_std >= 0, found ", o.cluster_std);
  Rng rng(o.seed);
  std::vector<double> centers(static_cast<size_t>(o.centers * o.n_features));
  const double min_dist = 6.0 * o.cluster_std;
  for (int64_t c = 0; c < o.centers; ++c) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      for (int64_t k = 0; k < o.n_features; ++k)
        centers[static_cast<size_t>(c * o.n_features + k)] = rng.uniform(-o.center_box, o.center_box);
      bool far = true;
      for (int64_t e = 0; e < c && far; ++e) {
        double d2 = 0.0;
        for (int64_t k = 0; k < o.n_features; ++k) {
          const double diff = centers[static_cast<size_t>(c * o.n_features + k)] -
                              centers[static_cast<size_t>(e * o.n_features + k)];
          d2 += diff * diff;
        }
        far = std::sqrt(d2) >= min_dist;
      }
      if (far) break;
    }
  }
  Tensor x(Shape{o.n_samples, o.n_features});
  std::vector<int32_t> y(static_cast<size_t>(o.n_samples));
  for (int64_t i = 0; i < o.n_samples; ++i) {
    const int64_t c = i % o.centers;
    y[static_cast<size_t>(i)] = static_cast<int32_t>(c);
    for (int64_t k = 0; k < o.n_features; ++k)
      x.at(i, k) = static_cast<float>(centers[static_cast<size_t>(c * o.n_features + k)] + o.cluster_std * rng.normal());
  }
  shuffle_rows(x, y, rng);
  return finish(std::move(x), std::move(y), o.centers, "blobs");
}

Dataset make_classification(const ClassificationOptions& o) {
  NN_CHECK(o.n_samples > 0, "classification: expected n_samples > 0, found ", o.n_samples);
  NN_CHECK(o.n_classes >= 2, "classification: expected n_classes >= 2, found ", o.n_classes);
  NN_CHECK(o.n_informative >= 1 && o.n_redundant >= 0 && o.n_informative + o.n_redundant <= o.n_features,
           "classification: expected n_informative >= 1 and n_informative + n_redundant <= n_features, found ",
           o.n_informative, " + ", o.n_redundant, " > ", o.n_features);
  NN_CHECK(o.n_clusters_per_class >= 1, "classification: expected n_clusters_per_class >= 1, found ",
           o.n_clusters_per_class);
  NN_CHECK(o.n_informative < 31 && o.n_classes * o.n_clusters_per_class <= (int64_t{1} << o.n_informative),
           "classification: n_classes * n_clusters_per_class (", o.n_classes * o.n_clusters_per_class,
           ") must be at most 2^n_informative (", (int64_t{1} << std::min<int64_t>(o.n_informative, 30)), ")");
  NN_CHECK(o.flip_y >= 0.0 && o.flip_y <= 1.0, "classification: expected 0 <= flip_y <= 1, found ", o.flip_y);
  Rng rng(o.seed);
  const int64_t ni = o.n_informative, nf = o.n_features, nclusters = o.n_classes * o.n_clusters_per_class;

  // Cluster centroids: distinct hypercube vertices, in a random order, scaled by class_sep.
  std::vector<int64_t> vertices(static_cast<size_t>(int64_t{1} << ni));
  std::iota(vertices.begin(), vertices.end(), 0);
  rng.shuffle(std::span<int64_t>(vertices));
  std::vector<double> centroid(static_cast<size_t>(nclusters * ni));
  for (int64_t c = 0; c < nclusters; ++c)
    for (int64_t k = 0; k < ni; ++k)
      centroid[static_cast<size_t>(c * ni + k)] =
          ((vertices[static_cast<size_t>(c)] >> k) & 1 ? 1.0 : -1.0) * o.class_sep;

  // A random linear map per cluster gives each its own covariance.
  std::vector<double> cov(static_cast<size_t>(nclusters * ni * ni));
  for (double& v : cov) v = 2.0 * rng.uniform() - 1.0;
  std::vector<double> redundant(static_cast<size_t>(ni * o.n_redundant));
  for (double& v : redundant) v = 2.0 * rng.uniform() - 1.0;

  Tensor x(Shape{o.n_samples, nf});
  std::vector<int32_t> y(static_cast<size_t>(o.n_samples));
  std::vector<double> z(static_cast<size_t>(ni)), informative(static_cast<size_t>(ni));
  for (int64_t i = 0; i < o.n_samples; ++i) {
    const int64_t cluster = i % nclusters;
    y[static_cast<size_t>(i)] = static_cast<int32_t>(cluster % o.n_classes);
    for (double& v : z) v = rng.normal();
    for (int64_t k = 0; k < ni; ++k) {
      double s = centroid[static_cast<size_t>(cluster * ni + k)];
      for (int64_t j = 0; j < ni; ++j) s += z[static_cast<size_t>(j)] * cov[static_cast<size_t>((cluster * ni + j) * ni + k)];
      informative[static_cast<size_t>(k)] = s;
      x.at(i, k) = static_cast<float>(s);
    }
    for (int64_t r = 0; r < o.n_redundant; ++r) {
      double s = 0.0;
      for (int64_t k = 0; k < ni; ++k) s += informative[static_cast<size_t>(k)] * redundant[static_cast<size_t>(k * o.n_redundant + r)];
      x.at(i, ni + r) = static_cast<float>(s);
    }
    for (int64_t k = ni + o.n_redundant; k < nf; ++k) x.at(i, k) = static_cast<float>(rng.normal());
  }
  if (o.flip_y > 0.0)
    for (auto& label : y)
      if (rng.uniform() < o.flip_y) label = static_cast<int32_t>(rng.below(static_cast<uint64_t>(o.n_classes)));
  shuffle_rows(x, y, rng);
  return finish(std::move(x), std::move(y), o.n_classes, "classification");
}

Dataset make_moons(int64_t n_samples, double noise, uint64_t seed) {
  NN_CHECK(n_samples >= 2, "moons: expected n_samples >= 2, found ", n_samples);
  NN_CHECK(noise >= 0.0, "moons: expected noise >= 0, found ", noise);
  Rng rng(seed);
  const int64_t outer = n_samples / 2, inner = n_samples - outer;
  Tensor x(Shape{n_samples, 2});
  std::vector<int32_t> y(static_cast<size_t>(n_samples));
  for (int64_t i = 0; i < n_samples; ++i) {
    const bool is_outer = i < outer;
    const int64_t k = is_outer ? i : i - outer, m = is_outer ? outer : inner;
    const double t = m > 1 ? std::numbers::pi * static_cast<double>(k) / static_cast<double>(m - 1) : 0.0;
    const double px = is_outer ? std::cos(t) : 1.0 - std::cos(t);
    const double py = is_outer ? std::sin(t) : 0.5 - std::sin(t);
    x.at(i, 0) = static_cast<float>(px + noise * rng.normal());
    x.at(i, 1) = static_cast<float>(py + noise * rng.normal());
    y[static_cast<size_t>(i)] = is_outer ? 0 : 1;
  }
  shuffle_rows(x, y, rng);
  return finish(std::move(x), std::move(y), 2, "moons");
}

Dataset make_circles(int64_t n_samples, double noise, double factor, uint64_t seed) {
  NN_CHECK(n_samples >= 2, "circles: expected n_samples >= 2, found ", n_samples);
  NN_CHECK(noise >= 0.0, "circles: expected noise >= 0, found ", noise);
  NN_CHECK(factor > 0.0 && factor < 1.0, "circles: expected 0 < factor < 1, found ", factor);
  Rng rng(seed);
  const int64_t outer = n_samples / 2, inner = n_samples - outer;
  Tensor x(Shape{n_samples, 2});
  std::vector<int32_t> y(static_cast<size_t>(n_samples));
  for (int64_t i = 0; i < n_samples; ++i) {
    const bool is_outer = i < outer;
    const int64_t k = is_outer ? i : i - outer, m = is_outer ? outer : inner;
    const double t = 2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(m);
    const double r = is_outer ? 1.0 : factor;
    x.at(i, 0) = static_cast<float>(r * std::cos(t) + noise * rng.normal());
    x.at(i, 1) = static_cast<float>(r * std::sin(t) + noise * rng.normal());
    y[static_cast<size_t>(i)] = is_outer ? 0 : 1;
  }
  shuffle_rows(x, y, rng);
  return finish(std::move(x), std::move(y), 2, "circles");
}

Dataset make_spiral(int64_t n_samples, int64_t classes, double noise, uint64_t seed) {
  NN_CHECK(classes >= 2, "spiral: expected classes >= 2, found ", classes);
  NN_CHECK(n_samples >= classes, "spiral: expected n_samples >= classes, found ", n_samples);
  NN_CHECK(noise >= 0.0, "spiral: expected noise >= 0, found ", noise);
  Rng rng(seed);
  Tensor x(Shape{n_samples, 2});
  std::vector<int32_t> y(static_cast<size_t>(n_samples));
  const int64_t per = n_samples / classes;
  for (int64_t i = 0; i < n_samples; ++i) {
    const int64_t c = std::min(i / per, classes - 1);
    const int64_t k = i - c * per;
    const int64_t m = c == classes - 1 ? n_samples - c * per : per;
    const double r = m > 1 ? static_cast<double>(k) / static_cast<double>(m - 1) : 1.0;
    const double t = 4.0 * static_cast<double>(c) + 4.0 * r + noise * rng.normal();
    x.at(i, 0) = static_cast<float>(r * std::sin(t));
    x.at(i, 1) = static_cast<float>(r * std::cos(t));
    y[static_cast<size_t>(i)] = static_cast<int32_t>(c);
  }
  shuffle_rows(x, y, rng);
  return finish(std::move(x), std::move(y), classes, "spiral");
}

}  // namespace nn::data
