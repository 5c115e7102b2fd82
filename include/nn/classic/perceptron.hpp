// Rosenblatt's perceptron (seed 001): weights from N(0, 0.01^2), bias 0, and for each sample in
// data order the rule  update = eta * (y - predict(x)),  w += update * x,  b += update.
// errors() counts the updates (misclassified samples) of each epoch; on linearly separable data
// it reaches 0 and stays there.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include "nn/classic/linear_neuron.hpp"

namespace nn::classic {

struct NN_API PerceptronOptions {
  double learning_rate = 0.01;  ///< eta > 0
  int64_t n_iter = 50;          ///< epochs (passes over the data), >= 0
  uint64_t random_state = 1;    ///< seed of the weight initialisation
  /// predict() gives 1 where w.x + b >= threshold; 0.5 is the classic perceptron's default threshold
  /// (between the labels 0 and 1). Training uses the same rule, so the bias learns around it.
  double threshold = 0.5;
};

class NN_API Perceptron : public LinearNeuron {
 public:
  explicit Perceptron(const PerceptronOptions& options = {});

  /// Re-initialises the weights, then runs n_iter epochs. Two-class data, labels 0/1, N >= 1.
  Perceptron& fit(const data::Dataset& data);
  /// x: [N, F] (or [N, ...]); y: N labels, each 0 or 1.
  Perceptron& fit(const Tensor& x, std::span<const int32_t> y);

  /// Updates per epoch of the last fit.
  const std::vector<int64_t>& errors() const { return errors_; }
  const PerceptronOptions& options() const { return options_; }

 private:
  void run(const Samples& s);
  PerceptronOptions options_;
  std::vector<int64_t> errors_;
};

}  // namespace nn::classic
