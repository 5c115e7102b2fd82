#include "classic_data.hpp"

#include <cmath>

#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn::test::classic_data {

using nn::Shape;
using nn::Tensor;
using nn::data::Dataset;

Dataset standardised(const Dataset& d) {
  const int64_t n = d.size(), f = d.sample_numel();
  Tensor x(Shape{n, f});
  for (int64_t j = 0; j < f; ++j) {
    double mean = 0.0, sq = 0.0;
    for (int64_t i = 0; i < n; ++i) mean += d.feature(i, j);
    mean /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) sq += (d.feature(i, j) - mean) * (d.feature(i, j) - mean);
    const double sd = std::sqrt(sq / static_cast<double>(n));
    for (int64_t i = 0; i < n; ++i) x.at(i, j) = static_cast<float>((d.feature(i, j) - mean) / sd);
  }
  return Dataset::classification(std::move(x), d.labels(), d.num_classes());
}

Dataset tiny() {
  Tensor x(Shape{4, 2}, {1.0f, 2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 0.0f, 1.0f});
  return Dataset::classification(std::move(x), {1, 0, 1, 0}, 2);
}

std::vector<double> initial_weights(uint64_t seed, int64_t n) {
  nn::Rng rng(seed);
  std::vector<double> w;
  for (int64_t j = 0; j < n; ++j) w.push_back(rng.normal(0.0, 0.01));
  return w;
}

}  // namespace nn::test::classic_data
