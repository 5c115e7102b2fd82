#include "nn/classic/adaline.hpp"

#include <cmath>
#include <numeric>

#include "nn/error.hpp"

namespace nn::classic {

namespace {
void check_options(const char* name, double learning_rate, int64_t n_iter) {
  NN_CHECK(std::isfinite(learning_rate) && learning_rate > 0.0, name, ": expected a positive learning_rate, found ",
           learning_rate);
  NN_CHECK(n_iter >= 0, name, ": expected n_iter >= 0, found ", n_iter);
}
}  // namespace

// ---- AdalineGD -------------------------------------------------------------------------------------

AdalineGD::AdalineGD(const AdalineGDOptions& options) : LinearNeuron("AdalineGD", options.threshold),
                                                        options_(options) {
  check_options("AdalineGD", options.learning_rate, options.n_iter);
}

AdalineGD& AdalineGD::fit(const data::Dataset& data) {
  run(samples(data, "fit"));
  return *this;
}

AdalineGD& AdalineGD::fit(const Tensor& x, std::span<const int32_t> y) {
  run(samples(x, y, "fit"));
  return *this;
}

void AdalineGD::run(const Samples& s) {
  Rng rng(options_.random_state);
  init_weights(s.f, rng);
  losses_.clear();
  const double eta = options_.learning_rate;
  const double n = static_cast<double>(s.n);
  std::vector<double> dw(w_.size());
  for (int64_t epoch = 0; epoch < options_.n_iter; ++epoch) {
    // dw = X^T (y - z), db = sum(y - z), loss = sum((y - z)^2), all with this epoch's weights.
    std::fill(dw.begin(), dw.end(), 0.0);
    double db = 0.0, loss = 0.0;
    for (int64_t i = 0; i < s.n; ++i) {
      const float* x = s.row(i);
      const double error = static_cast<double>(s.y[i]) - net_input(x);
      for (size_t j = 0; j < dw.size(); ++j) dw[j] += error * static_cast<double>(x[j]);
      db += error;
      loss += error * error;
    }
    for (size_t j = 0; j < w_.size(); ++j) w_[j] += eta * 2.0 * dw[j] / n;
    b_ += eta * 2.0 * db / n;
    losses_.push_back(loss / n);
  }
}

// ---- AdalineSGD ------------------------------------------------------------------------------------

AdalineSGD::AdalineSGD(const AdalineSGDOptions& options) : LinearNeuron("AdalineSGD", options.threshold),
                                                           options_(options), rng_(options.random_state) {
  check_options("AdalineSGD", options.learning_rate, options.n_iter);
}

void AdalineSGD::initialize(int64_t n_features) {
  rng_.seed_with(options_.random_state);
  init_weights(n_features, rng_);
}

double AdalineSGD::update(const float* x, int32_t y) {
  const double error = static_cast<double>(y) - net_input(x);
  const double step = options_.learning_rate * 2.0 * error;
  for (size_t j = 0; j < w_.size(); ++j) w_[j] += step * static_cast<double>(x[j]);
  b_ += step;
  return error * error;
}

AdalineSGD& AdalineSGD::fit(const data::Dataset& data) {
  run(samples(data, "fit"));
  return *this;
}

AdalineSGD& AdalineSGD::fit(const Tensor& x, std::span<const int32_t> y) {
  run(samples(x, y, "fit"));
  return *this;
}

void AdalineSGD::run(const Samples& s) {
  initialize(s.f);
  losses_.clear();
  // The order persists across epochs: each shuffle permutes the previous order, as the seed's
  // X, y = self._shuffle(X, y) does.
  order_.resize(static_cast<size_t>(s.n));
  std::iota(order_.begin(), order_.end(), int64_t{0});
  for (int64_t epoch = 0; epoch < options_.n_iter; ++epoch) {
    if (options_.shuffle) rng_.shuffle(std::span<int64_t>(order_));
    double loss = 0.0;
    for (const int64_t i : order_) loss += update(s.row(i), s.y[i]);
    losses_.push_back(loss / static_cast<double>(s.n));
  }
}

double AdalineSGD::learn(const Samples& s) {
  if (!fitted()) {
    initialize(s.f);
  } else {
    check_features(s.f, "partial_fit");
  }
  double loss = 0.0;
  for (int64_t i = 0; i < s.n; ++i) loss += update(s.row(i), s.y[i]);
  return loss / static_cast<double>(s.n);
}

double AdalineSGD::partial_fit(const data::Dataset& data) { return learn(samples(data, "partial_fit")); }

double AdalineSGD::partial_fit(const Tensor& x, std::span<const int32_t> y) {
  return learn(samples(x, y, "partial_fit"));
}

double AdalineSGD::partial_fit(std::span<const float> x, int32_t y) {
  NN_CHECK(!x.empty(), "AdalineSGD.partial_fit: expected a sample of at least one feature, found none");
  NN_CHECK(y == 0 || y == 1, "AdalineSGD.partial_fit: expected label 0 or 1 (two classes), found ", y);
  Samples s;
  s.n = 1;
  s.f = static_cast<int64_t>(x.size());
  s.x = x.data();
  s.y = &y;
  return learn(s);
}

}  // namespace nn::classic
