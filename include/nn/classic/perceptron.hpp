/// @file
/// @brief nn::classic::Perceptron, Rosenblatt's perceptron, and its options.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include "nn/classic/linear_neuron.hpp"

namespace nn::classic {

/// The hyperparameters of a Perceptron; the defaults are the classic perceptron's.
struct NN_API PerceptronOptions {
  double learning_rate = 0.01;  ///< eta, finite and > 0
  int64_t n_iter = 50;          ///< epochs (passes over the data), >= 0
  uint64_t random_state = 1;    ///< seed of the weight initialisation
  /// predict() gives 1 where w.x + b >= threshold; 0.5 is the classic perceptron's default threshold
  /// (between the labels 0 and 1). Training uses the same rule, so the bias learns around it.
  double threshold = 0.5;
};

/// Rosenblatt's perceptron: weights from N(0, 0.01^2), bias 0, then for each sample in data order
/// the rule  update = eta * (y - predict(x)),  w += update * x,  b += update.
///
/// errors() counts the updates (misclassified samples) of each epoch; on linearly separable data it
/// reaches 0 and stays there. Labels are 0 and 1.
/// @code
/// nn::classic::Perceptron p({.learning_rate = 0.1, .n_iter = 10});
/// p.fit(train);                 // a two-class data::Dataset
/// double acc = p.accuracy(test);
/// @endcode
class NN_API Perceptron : public LinearNeuron {
 public:
  /// @throws nn::Error when learning_rate is not finite and positive or n_iter < 0.
  explicit Perceptron(const PerceptronOptions& options = {});

  /// Re-initialises the weights (from random_state), then runs n_iter epochs. Two-class data,
  /// labels 0/1, N >= 1. @return *this. @throws nn::Error for an empty dataset, a regression
  /// dataset or labels other than 0 and 1.
  Perceptron& fit(const data::Dataset& data);
  /// As fit(const data::Dataset&), with x: [N, F] (or [N, ...]) and y: N labels, each 0 or 1.
  Perceptron& fit(const Tensor& x, std::span<const int32_t> y);

  /// The number of updates (misclassified samples) in each epoch of the last fit; n_iter values.
  const std::vector<int64_t>& errors() const { return errors_; }
  const PerceptronOptions& options() const { return options_; }  ///< the options it was built with

 private:
  void run(const Samples& s);
  PerceptronOptions options_;
  std::vector<int64_t> errors_;
};

}  // namespace nn::classic
