// LinearNeuron: what the classic single neurons (Perceptron, AdalineGD, AdalineSGD) share — one
// weight per feature and a bias, the net input z = w.x + b and the unit-step prediction
// (z >= threshold -> class 1, else 0). Two classes, labels 0 and 1, as in seed 001.
//
// Precision: features are read as float32 (the library's storage); weights, bias, net inputs,
// errors and losses are double. A sample with more than one dimension ([C, H, W]) is flattened.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn::classic {

class NN_API LinearNeuron {
 public:
  virtual ~LinearNeuron() = default;  ///< held and deleted through this base by the nn command
  /// The class name used in messages ("Perceptron").
  const char* type_name() const { return name_; }
  /// True once the weights exist (after fit, or partial_fit for AdalineSGD).
  bool fitted() const { return !w_.empty(); }
  /// Features per sample the neuron was fitted on; 0 before.
  int64_t n_features() const { return static_cast<int64_t>(w_.size()); }
  const std::vector<double>& weights() const { return w_; }
  double bias() const { return b_; }
  double threshold() const { return threshold_; }

  /// z = w.x + b for one sample of n_features() values; for each row of x ([N, F] or [N, ...]).
  double net_input(std::span<const float> x) const;
  std::vector<double> net_input(const Tensor& x) const;
  /// 1 where z >= threshold(), else 0 (the identity activation of Adaline changes nothing).
  int32_t predict(std::span<const float> x) const;
  std::vector<int32_t> predict(const Tensor& x) const;
  std::vector<int32_t> predict(const data::Dataset& data) const;
  /// Fraction of the samples of a two-class dataset that predict() classifies correctly.
  double accuracy(const data::Dataset& data) const;

 protected:
  LinearNeuron(const char* name, double threshold) : name_(name), threshold_(threshold) {}

  /// Samples as float rows, borrowed from the caller or converted (uint8 datasets) and owned.
  struct Samples {
    const float* x = nullptr;
    const int32_t* y = nullptr;  ///< null when only features were given
    int64_t n = 0;
    int64_t f = 0;
    const float* row(int64_t i) const { return x + i * f; }
    Tensor owned;
  };
  /// Checks a two-class dataset (labels 0/1, at least one sample) for `method` ("fit").
  Samples samples(const data::Dataset& data, const char* method) const;
  /// x: [N, F] or [N, ...]; y: N labels, each 0 or 1.
  Samples samples(const Tensor& x, std::span<const int32_t> y, const char* method) const;
  /// Features only (predict): x: [N, F] or [N, ...] with F == n_features().
  Samples features(const Tensor& x, const char* method) const;
  void check_fitted(const char* method) const;
  void check_features(int64_t found, const char* method) const;

  /// w ~ N(0, 0.01^2) drawn from rng, b = 0 (seed 001's initialisation).
  void init_weights(int64_t n_features, Rng& rng);
  double net_input(const float* x) const;

  std::vector<double> w_;
  double b_ = 0.0;

 private:
  const char* name_;
  double threshold_;
};

}  // namespace nn::classic
