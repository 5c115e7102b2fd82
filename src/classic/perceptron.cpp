#include "nn/classic/perceptron.hpp"

#include <cmath>

#include "nn/error.hpp"

namespace nn::classic {

Perceptron::Perceptron(const PerceptronOptions& options) : LinearNeuron("Perceptron", options.threshold),
                                                           options_(options) {
  NN_CHECK(std::isfinite(options.learning_rate) && options.learning_rate > 0.0,
           "Perceptron: expected a positive learning_rate, found ", options.learning_rate);
  NN_CHECK(options.n_iter >= 0, "Perceptron: expected n_iter >= 0, found ", options.n_iter);
}

Perceptron& Perceptron::fit(const data::Dataset& data) {
  run(samples(data, "fit"));
  return *this;
}

Perceptron& Perceptron::fit(const Tensor& x, std::span<const int32_t> y) {
  run(samples(x, y, "fit"));
  return *this;
}

void Perceptron::run(const Samples& s) {
  Rng rng(options_.random_state);
  init_weights(s.f, rng);
  errors_.clear();
  const double eta = options_.learning_rate;
  for (int64_t epoch = 0; epoch < options_.n_iter; ++epoch) {
    int64_t errors = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      const float* x = s.row(i);
      const int32_t predicted = net_input(x) >= threshold() ? 1 : 0;
      // update = eta * (y - y_hat): 0 when right, +-eta when wrong.
      const double update = eta * static_cast<double>(s.y[i] - predicted);
      if (update == 0.0) continue;
      for (size_t j = 0; j < w_.size(); ++j) w_[j] += update * static_cast<double>(x[j]);
      b_ += update;
      ++errors;
    }
    errors_.push_back(errors);
  }
}

}  // namespace nn::classic
