/// @file
/// nn::Linear, the fully connected layer, and its options.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/init.hpp"
#include "nn/layers/module.hpp"

namespace nn {

/// The settings of a nn::Linear beyond its sizes.
struct NN_API LinearOptions {
  Init init = Init::xavier;    ///< how the weight is drawn (the bias starts at zero)
  float gain = 1.0f;           ///< scales the initial weights' standard deviation (see nn::Init)
  float alpha = 0.01f;         ///< slope assumed by Init::he_leaky
  bool bias = true;            ///< whether the layer has a bias b
  /// L2 on the weight: backward adds weight_decay * W to dW (not to the bias), so any optimizer
  /// applies it; >= 0.
  float weight_decay = 0.0f;
  /// Where the initial weights come from; nullptr: nn::global_rng(). Not owned; used only when the
  /// weights are drawn (for a deferred input size, at the first forward or build()), so it must
  /// live until then.
  Rng* rng = nullptr;
};

/// The fully connected layer: y = x W^T + b, with W (out, in) and b (out) as PyTorch stores them.
/// x is (N, in), y is (N, out). The parameters are "weight" and, with options.bias, "bias".
/// @code
/// nn::Linear fc(784, 128, {.init = nn::Init::he});
/// nn::Linear head(10);   // in_features taken from the first input
/// @endcode
class NN_API Linear : public Module {
 public:
  /// Input size known: the weights are drawn now.
  /// @throws nn::Error when in_features or out_features <= 0, or weight_decay < 0.
  Linear(int64_t in_features, int64_t out_features, LinearOptions options = {});
  /// Input size inferred from the first forward's x (a lazy layer, like PyTorch's LazyLinear);
  /// weight and bias exist (the weight empty, (out, 0)) from the start, so an optimizer may be
  /// built before the first forward.
  /// @throws nn::Error when out_features <= 0 or weight_decay < 0.
  explicit Linear(int64_t out_features, LinearOptions options = {});

  /// x: (N, in) -> (N, out); a deferred layer takes `in` from x first.
  /// @throws nn::Error when x is not (N, in).
  const Tensor& forward(const Tensor& x) override;
  /// dy: (N, out) -> dx: (N, in); dW += dy^T x (+ weight_decay W), db += sum_n dy
  const Tensor& backward(const Tensor& dy) override;

  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;
  std::string spec_name() const override { return "linear"; }
  /// out, init, and those that differ from the defaults: gain, bias, weight_decay, alpha.
  nlohmann::json settings() const override;
  /// input [in_features] -> [out_features]; draws the weights when in_features was deferred.
  Shape build(const Shape& input) override;
  /// A deferred Linear(out) given a saved weight [out, in] takes in.
  void infer_from_saved(const std::string& name, const Shape& saved) override;

  int64_t in_features() const { return in_; }  ///< 0 until inferred
  int64_t out_features() const { return out_; }  ///< the number of outputs
  bool initialized() const { return in_ > 0; }    ///< whether in_features is known and the weights drawn
  /// The options it was built with (`rng` is always null here: it is used only while initialising).
  const LinearOptions& options() const { return options_; }
  /// W, (out, in); a reference into this layer, valid for its lifetime.
  Parameter& weight() { return *weight_; }
  /// b, (out); null when the layer has no bias. Valid for the layer's lifetime.
  Parameter* bias() { return bias_; }
  /// Sets the input size and draws the weights (what the first forward does when it was deferred).
  /// @throws nn::Error when the input size is already set.
  void initialize(int64_t in_features);

 private:
  const Tensor& backward_cuda(const Tensor& dy);  ///< backward() of an input on a CUDA device
  int64_t in_ = 0;
  int64_t out_ = 0;
  LinearOptions options_;
  Parameter* weight_ = nullptr;
  Parameter* bias_ = nullptr;
  Rng* rng_ = nullptr;
  const Tensor* x_ = nullptr;
  Tensor y_, dx_;
};

}  // namespace nn
