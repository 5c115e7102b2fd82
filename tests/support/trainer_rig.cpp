#include "trainer_rig.hpp"

#include <cmath>
#include <numeric>
#include <span>

#include "nn/data/synthetic.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/linear.hpp"
#include "nn/random.hpp"
#include "support.hpp"

namespace nn::test::trainer_rig {

using nn::data::Dataset;

namespace {

// Standardises every feature column of both sets with the training set's mean and deviation.
void standardise(Dataset& tr, Dataset& va) {
  nn::Tensor& x = tr.mutable_features();
  const int64_t n = x.dim(0), d = x.dim(1);
  for (int64_t j = 0; j < d; ++j) {
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < n; ++i) mean += x.at(i, j);
    mean /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) var += (x.at(i, j) - mean) * (x.at(i, j) - mean);
    const double sd = std::sqrt(var / static_cast<double>(n));
    for (Dataset* ds : {&tr, &va}) {
      nn::Tensor& f = ds->mutable_features();
      for (int64_t i = 0; i < f.dim(0); ++i) f.at(i, j) = static_cast<float>((f.at(i, j) - mean) / sd);
    }
  }
}

}  // namespace

Split blobs(int64_t centers) {
  Dataset all = nn::data::make_blobs({.n_samples = 1000, .n_features = 2, .centers = centers, .seed = 4});
  auto [train, val] = shuffled_split(all, 800, 9);
  Split s{std::move(train), std::move(val)};
  standardise(s.train, s.val);
  return s;
}

nn::Sequential mlp(int64_t outputs, uint64_t seed) {
  nn::manual_seed(seed);
  return nn::Sequential(nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, outputs));
}

std::vector<float> weights(nn::Module& m) {
  std::vector<float> w;
  for (auto* p : m.parameters()) w.insert(w.end(), p->data.span().begin(), p->data.span().end());
  return w;
}

}  // namespace nn::test::trainer_rig
