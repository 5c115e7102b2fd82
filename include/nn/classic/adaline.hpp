/// @file
/// @brief ADAptive LInear NEurons: nn::classic::AdalineGD (full-batch gradient descent) and
/// nn::classic::AdalineSGD (stochastic, with online learning).
///
/// Both use the identity activation, the mean squared error L = mean((y - z)^2) with z = w.x + b,
/// and a unit-step prediction at the threshold 0.5 (labels are 0 and 1).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include "nn/classic/linear_neuron.hpp"
#include "nn/random.hpp"

namespace nn::classic {

/// The hyperparameters of an AdalineGD.
struct NN_API AdalineGDOptions {
  double learning_rate = 0.01;  ///< eta, finite and > 0
  int64_t n_iter = 50;          ///< epochs, >= 0
  uint64_t random_state = 1;    ///< seed of the weight initialisation
  double threshold = 0.5;       ///< predict(): 1 where z >= threshold
};

/// Adaline trained by full-batch gradient descent on the mean squared error: each epoch
/// w += eta * 2 X^T (y - z) / n and b += eta * 2 mean(y - z), with X: [n, F] and z = X w + b.
///
/// losses() is the MSE of each epoch, measured before that epoch's update. Standardised features
/// (data::StandardScaler) make it converge with much larger learning rates.
class NN_API AdalineGD : public LinearNeuron {
 public:
  /// @throws nn::Error when learning_rate is not finite and positive or n_iter < 0.
  explicit AdalineGD(const AdalineGDOptions& options = {});

  /// Re-initialises the weights, then runs n_iter full-batch steps. Two-class data, labels 0/1.
  /// @return *this. @throws nn::Error for an empty dataset, a regression dataset or other labels.
  AdalineGD& fit(const data::Dataset& data);
  AdalineGD& fit(const Tensor& x, std::span<const int32_t> y);  ///< As fit(const data::Dataset&); x: [N, F]; y: N labels 0/1

  /// MSE of each epoch (before its update); n_iter values after fit.
  const std::vector<double>& losses() const { return losses_; }
  const AdalineGDOptions& options() const { return options_; }  ///< the options it was built with

 private:
  void run(const Samples& s);
  AdalineGDOptions options_;
  std::vector<double> losses_;
};

/// The hyperparameters of an AdalineSGD.
struct NN_API AdalineSGDOptions {
  double learning_rate = 0.01;  ///< eta, finite and > 0
  int64_t n_iter = 10;          ///< epochs, >= 0
  bool shuffle = true;          ///< reshuffle the samples before every epoch
  uint64_t random_state = 69;   ///< seed of the weights and of the shuffles
  double threshold = 0.5;       ///< predict(): 1 where z >= threshold
};

/// Adaline trained by stochastic gradient descent: one update per sample,
/// w += eta * 2 (y - z) x and b += eta * 2 (y - z), the samples reshuffled every epoch.
///
/// losses() is each epoch's mean per-sample loss; partial_fit() learns from new samples without
/// re-initialising the weights (online learning).
/// @code
/// nn::classic::AdalineSGD ada({.learning_rate = 0.01, .n_iter = 15});
/// ada.fit(train);
/// ada.partial_fit(new_x, new_y);  // keeps learning from where fit stopped
/// @endcode
class NN_API AdalineSGD : public LinearNeuron {
 public:
  /// @throws nn::Error when learning_rate is not finite and positive or n_iter < 0.
  explicit AdalineSGD(const AdalineSGDOptions& options = {});

  /// Re-seeds the generator, re-initialises the weights, clears losses(), then runs n_iter epochs.
  /// Two-class data, labels 0/1. @return *this. @throws nn::Error for an empty dataset, a
  /// regression dataset or other labels.
  AdalineSGD& fit(const data::Dataset& data);
  AdalineSGD& fit(const Tensor& x, std::span<const int32_t> y);  ///< As fit(const data::Dataset&); x: [N, F]; y: N labels 0/1

  /// Online learning: one update per sample, in the order given, without shuffling. Initialises the
  /// weights (as fit does) only when there are none yet; otherwise the feature count must match
  /// (nn::Error if not). Leaves losses() alone. Returns the mean loss of these samples (each measured
  /// before its own update).
  double partial_fit(const data::Dataset& data);
  /// As partial_fit(const data::Dataset&), with x: [N, F] (or [N, ...]) and y: N labels, each 0 or 1.
  double partial_fit(const Tensor& x, std::span<const int32_t> y);
  double partial_fit(std::span<const float> x, int32_t y);  ///< one sample of F features and its label 0 or 1

  /// Mean per-sample loss of each epoch of the last fit.
  const std::vector<double>& losses() const { return losses_; }
  const AdalineSGDOptions& options() const { return options_; }  ///< the options it was built with
  /// The generator that draws the weights and the shuffles (its state, for tests and checkpoints).
  const Rng& rng() const { return rng_; }

 private:
  void run(const Samples& s);
  double learn(const Samples& s);
  double update(const float* x, int32_t y);
  void initialize(int64_t n_features);
  AdalineSGDOptions options_;
  Rng rng_;
  std::vector<double> losses_;
  std::vector<int64_t> order_;
};

}  // namespace nn::classic
