// ADAptive LInear NEurons (seed 001): the identity activation, the mean squared error
// L = mean((y - z)^2) and a unit-step prediction at 0.5 (labels are 0 and 1).
//  - AdalineGD: full-batch gradient descent, w += eta * 2 X^T (y - z) / n, b += eta * 2 mean(y - z);
//    losses() is the MSE of each epoch, measured before that epoch's update.
//  - AdalineSGD: one update per sample, w += eta * 2 (y - z) x, b += eta * 2 (y - z), samples
//    reshuffled every epoch; losses() is each epoch's mean per-sample loss; partial_fit() learns
//    from new samples without re-initialising the weights (online learning).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include "nn/classic/linear_neuron.hpp"
#include "nn/random.hpp"

namespace nn::classic {

struct NN_API AdalineGDOptions {
  double learning_rate = 0.01;  ///< eta > 0
  int64_t n_iter = 50;          ///< epochs, >= 0
  uint64_t random_state = 1;    ///< seed of the weight initialisation
  double threshold = 0.5;       ///< predict(): 1 where z >= threshold
};

class NN_API AdalineGD : public LinearNeuron {
 public:
  explicit AdalineGD(const AdalineGDOptions& options = {});

  /// Re-initialises the weights, then runs n_iter full-batch steps. Two-class data, labels 0/1.
  AdalineGD& fit(const data::Dataset& data);
  AdalineGD& fit(const Tensor& x, std::span<const int32_t> y);  ///< x: [N, F]; y: N labels 0/1

  /// MSE of each epoch (before its update).
  const std::vector<double>& losses() const { return losses_; }
  const AdalineGDOptions& options() const { return options_; }

 private:
  void run(const Samples& s);
  AdalineGDOptions options_;
  std::vector<double> losses_;
};

struct NN_API AdalineSGDOptions {
  double learning_rate = 0.01;  ///< eta > 0
  int64_t n_iter = 10;          ///< epochs, >= 0
  bool shuffle = true;          ///< reshuffle the samples before every epoch
  uint64_t random_state = 69;   ///< seed of the weights and of the shuffles (seed 001's default)
  double threshold = 0.5;       ///< predict(): 1 where z >= threshold
};

class NN_API AdalineSGD : public LinearNeuron {
 public:
  explicit AdalineSGD(const AdalineSGDOptions& options = {});

  /// Re-seeds the generator, re-initialises the weights, clears losses(), then runs n_iter epochs.
  AdalineSGD& fit(const data::Dataset& data);
  AdalineSGD& fit(const Tensor& x, std::span<const int32_t> y);  ///< x: [N, F]; y: N labels 0/1

  /// Online learning: one update per sample, in the order given, without shuffling. Initialises the
  /// weights (as fit does) only when there are none yet; otherwise the feature count must match.
  /// Leaves losses() and the generator alone. Returns the mean loss of these samples (each measured
  /// before its own update).
  double partial_fit(const data::Dataset& data);
  double partial_fit(const Tensor& x, std::span<const int32_t> y);
  double partial_fit(std::span<const float> x, int32_t y);  ///< one sample of F features

  /// Mean per-sample loss of each epoch of the last fit.
  const std::vector<double>& losses() const { return losses_; }
  const AdalineSGDOptions& options() const { return options_; }
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
