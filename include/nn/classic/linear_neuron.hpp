/// @file
/// @brief nn::classic::LinearNeuron, the common base of the classic single neurons (Perceptron,
/// AdalineGD, AdalineSGD).
///
/// One weight per feature and a bias, the net input z = w.x + b and the unit-step prediction
/// (z >= threshold -> class 1, else 0). Two classes, labels 0 and 1, as in the classic Perceptron
/// and Adaline.
///
/// Precision: features are read as float32 (the library's storage); weights, bias, net inputs,
/// errors and losses are double. A sample with more than one dimension ([C, H, W]) is flattened.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn::classic {

/// What the classic single neurons share: weights w (one per feature) and a bias b, the net input
/// z = w.x + b and the unit-step prediction 1 where z >= threshold(), else 0.
///
/// Not constructible by itself: use Perceptron, AdalineGD or AdalineSGD, which add a fit() rule.
/// A const neuron can be used for prediction from several threads at once; fitting is not
/// thread-safe. Every method that needs weights throws nn::Error (naming the class and the method)
/// before the first fit, and every method that takes features throws nn::Error when their width
/// differs from n_features().
class NN_API LinearNeuron {
 public:
  virtual ~LinearNeuron() = default;  ///< virtual: the nn command holds and deletes neurons through this base
  /// The class name used in messages ("Perceptron").
  const char* type_name() const { return name_; }
  /// True once the weights exist (after fit, or partial_fit for AdalineSGD).
  bool fitted() const { return !w_.empty(); }
  /// Features per sample the neuron was fitted on; 0 before.
  int64_t n_features() const { return static_cast<int64_t>(w_.size()); }
  /// The weights w, one per feature (empty before the first fit); valid until the next fit.
  const std::vector<double>& weights() const { return w_; }
  double bias() const { return b_; }            ///< the bias b (0 before the first fit)
  double threshold() const { return threshold_; }  ///< the decision threshold on z (from the options)

  /// The net input z = w.x + b of one sample of n_features() values.
  /// @throws nn::Error when not fitted or when x.size() != n_features().
  double net_input(std::span<const float> x) const;
  /// z = w.x + b for each row of x ([N, F] or [N, ...], flattened to F = n_features() values).
  /// @return N net inputs. @throws nn::Error when not fitted or when the width differs.
  std::vector<double> net_input(const Tensor& x) const;
  /// 1 where z >= threshold(), else 0 (the identity activation of Adaline changes nothing), for one
  /// sample of n_features() values.
  int32_t predict(std::span<const float> x) const;
  /// The predicted class (0 or 1) of each row of x ([N, F] or [N, ...]).
  std::vector<int32_t> predict(const Tensor& x) const;
  /// The predicted class (0 or 1) of each sample of `data` (float32 or uint8 features; labels unused).
  std::vector<int32_t> predict(const data::Dataset& data) const;
  /// Fraction of the samples of a two-class dataset that predict() classifies correctly, in [0, 1].
  double accuracy(const data::Dataset& data) const;

 protected:
  /// For the subclasses: `name` (a string literal, kept by pointer) names the class in messages.
  LinearNeuron(const char* name, double threshold) : name_(name), threshold_(threshold) {}

  /// Samples as float rows, borrowed from the caller or converted (uint8 datasets) and owned.
  struct Samples {
    const float* x = nullptr;    ///< n rows of f features, row-major (points into the caller's data or `owned`)
    const int32_t* y = nullptr;  ///< null when only features were given
    int64_t n = 0;               ///< the number of samples
    int64_t f = 0;               ///< features per sample
    const float* row(int64_t i) const { return x + i * f; }  ///< the f features of sample i
    Tensor owned;                ///< the float32 copy of uint8 features; undefined when x is borrowed
  };
  /// Checks a two-class dataset (labels 0/1, at least one sample) for `method` ("fit").
  Samples samples(const data::Dataset& data, const char* method) const;
  /// x: [N, F] or [N, ...]; y: N labels, each 0 or 1.
  Samples samples(const Tensor& x, std::span<const int32_t> y, const char* method) const;
  /// Features only (predict): x: [N, F] or [N, ...] with F == n_features().
  Samples features(const Tensor& x, const char* method) const;
  /// Throws nn::Error naming `method` when the neuron has no weights yet.
  void check_fitted(const char* method) const;
  /// Throws nn::Error naming `method` when `found` features differ from n_features().
  void check_features(int64_t found, const char* method) const;

  /// w ~ N(0, 0.01^2) drawn from rng, b = 0 (the classic Perceptron's and Adaline's initialisation).
  void init_weights(int64_t n_features, Rng& rng);
  /// z = w.x + b for n_features() values at x (no checks).
  double net_input(const float* x) const;

  std::vector<double> w_;  ///< the weights, one per feature; empty before the first fit
  double b_ = 0.0;         ///< the bias

 private:
  const char* name_;
  double threshold_;
};

}  // namespace nn::classic
