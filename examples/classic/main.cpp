// Seed 001's single neurons on its blob cluster (1000 points, 2 features, 2 classes):
//  1. Perceptron(n_iter=40, learning_rate=10): the errors of each epoch fall to 0 and stay there.
//  2. AdalineGD for 15 epochs at learning rate 0.1 (too large: the MSE grows every epoch) and at
//     0.0001 (the MSE falls every epoch, slowly); then 50 epochs at 0.019, which classifies the blobs.
//  3. AdalineSGD(n_iter=20, learning_rate=0.001) on standardised features: the mean loss per epoch
//     settles near the MSE minimum; then partial_fit on one sample of a stream (online learning) moves
//     the weights.
// Exits 1 when any of these does not hold.
#include <cmath>
#include <cstdio>
#include <vector>

#include "nn/classic/adaline.hpp"
#include "nn/classic/perceptron.hpp"
#include "nn/data/synthetic.hpp"

namespace {

bool check(bool ok, const char* what) {
  std::printf("  %s: %s\n", ok ? "ok" : "FAILED", what);
  return ok;
}

void print_series(const char* label, const std::vector<double>& values) {
  std::printf("%s", label);
  for (double v : values) std::printf(" %.4g", v);
  std::printf("\n");
}

// Per-feature mean and standard deviation of a dataset (there is no scaler in the library yet).
struct Scaler {
  std::vector<double> mean, std;
  explicit Scaler(const nn::data::Dataset& d) {
    const int64_t n = d.size(), f = d.sample_numel();
    mean.assign(static_cast<size_t>(f), 0.0);
    std.assign(static_cast<size_t>(f), 0.0);
    for (int64_t j = 0; j < f; ++j) {
      const size_t k = static_cast<size_t>(j);
      for (int64_t i = 0; i < n; ++i) mean[k] += d.feature(i, j);
      mean[k] /= static_cast<double>(n);
      for (int64_t i = 0; i < n; ++i) std[k] += (d.feature(i, j) - mean[k]) * (d.feature(i, j) - mean[k]);
      std[k] = std::sqrt(std[k] / static_cast<double>(n));
    }
  }
  float apply(float v, int64_t j) const {
    return static_cast<float>((v - mean[static_cast<size_t>(j)]) / std[static_cast<size_t>(j)]);
  }
  nn::data::Dataset transform(const nn::data::Dataset& d) const {
    nn::Tensor x(nn::Shape{d.size(), d.sample_numel()});
    for (int64_t i = 0; i < d.size(); ++i)
      for (int64_t j = 0; j < d.sample_numel(); ++j) x.at(i, j) = apply(d.feature(i, j), j);
    return nn::data::Dataset::classification(std::move(x), d.labels(), d.num_classes());
  }
};

}  // namespace

int main() {
  bool ok = true;
  const nn::data::Dataset blobs = nn::data::make_blobs();
  std::printf("blob cluster: %lld samples, %lld features, %lld classes\n", static_cast<long long>(blobs.size()),
              static_cast<long long>(blobs.sample_numel()), static_cast<long long>(blobs.num_classes()));

  // 1. The perceptron rule.
  nn::classic::Perceptron ppn({.learning_rate = 10, .n_iter = 40});
  ppn.fit(blobs);
  std::printf("\nPerceptron(n_iter=40, learning_rate=10), errors per epoch:");
  for (int64_t e : ppn.errors()) std::printf(" %lld", static_cast<long long>(e));
  std::printf("\n  w = [%.4f, %.4f], b = %.4f, accuracy %.3f\n", ppn.weights()[0], ppn.weights()[1], ppn.bias(),
              ppn.accuracy(blobs));
  size_t first_zero = ppn.errors().size();
  for (size_t k = 0; k < ppn.errors().size() && first_zero == ppn.errors().size(); ++k)
    if (ppn.errors()[k] == 0) first_zero = k;
  bool stays = first_zero < ppn.errors().size();
  for (size_t k = first_zero; k < ppn.errors().size(); ++k) stays = stays && ppn.errors()[k] == 0;
  if (stays) std::printf("  0 errors from epoch %zu on\n", first_zero + 1);
  ok &= check(stays, "the errors reach 0 and stay 0");
  ok &= check(ppn.accuracy(blobs) == 1.0, "every training sample is classified correctly");

  // 2. Full-batch gradient descent, too large and too small a learning rate.
  std::printf("\nAdalineGD, mean squared error per epoch:\n");
  nn::classic::AdalineGD ada1({.learning_rate = 0.1, .n_iter = 15});
  nn::classic::AdalineGD ada2({.learning_rate = 0.0001, .n_iter = 15});
  ada1.fit(blobs);
  ada2.fit(blobs);
  print_series("  learning rate 0.1:   ", ada1.losses());
  print_series("  learning rate 0.0001:", ada2.losses());
  bool grows = true, falls = true;
  for (size_t k = 1; k < 15; ++k) {
    grows = grows && ada1.losses()[k] > ada1.losses()[k - 1];
    falls = falls && ada2.losses()[k] < ada2.losses()[k - 1];
  }
  ok &= check(grows, "at 0.1 the loss grows every epoch (the steps overshoot the minimum)");
  ok &= check(falls, "at 0.0001 the loss falls every epoch (slowly)");
  nn::classic::AdalineGD ada_gd({.learning_rate = 0.019, .n_iter = 50});
  ada_gd.fit(blobs);
  std::printf("  learning rate 0.019, 50 epochs: final MSE %.4f, accuracy %.3f\n", ada_gd.losses().back(),
              ada_gd.accuracy(blobs));
  ok &= check(ada_gd.losses().back() < 0.05 && ada_gd.accuracy(blobs) > 0.99,
              "at 0.019 the blobs are learned (MSE < 0.05, accuracy > 0.99)");

  // 3. Stochastic gradient descent on standardised features, then online learning.
  const Scaler scaler(blobs);
  const nn::data::Dataset z = scaler.transform(blobs);
  nn::classic::AdalineSGD ada_sgd({.learning_rate = 0.001, .n_iter = 20});
  ada_sgd.fit(z);
  std::printf("\nAdalineSGD(n_iter=20, learning_rate=0.001) on standardised features:\n");
  print_series("  mean loss per epoch:", ada_sgd.losses());
  std::printf("  accuracy %.3f\n", ada_sgd.accuracy(z));
  ok &= check(ada_sgd.losses().back() < 0.02 && ada_sgd.accuracy(z) > 0.99,
              "SGD converges (final loss < 0.02, accuracy > 0.99)");

  // The "stream" is the blob cluster generated again, as in seed 001 (same seed, same points).
  const nn::data::Dataset online = scaler.transform(nn::data::make_blobs());
  const std::vector<float> x0 = {online.feature(0, 0), online.feature(0, 1)};
  const std::vector<double> before = ada_sgd.weights();
  const double loss = ada_sgd.partial_fit(x0, online.labels()[0]);
  std::printf("  partial_fit on one streamed sample (loss %.4g): w [%.8f, %.8f] -> [%.8f, %.8f]\n", loss, before[0],
              before[1], ada_sgd.weights()[0], ada_sgd.weights()[1]);
  ok &= check(ada_sgd.weights() != before && ada_sgd.losses().size() == 20,
              "partial_fit moves the weights and keeps the epoch history");

  std::printf("\n%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
