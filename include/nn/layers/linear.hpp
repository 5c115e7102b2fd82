// Linear: y = x W^T + b, with W (out, in) and b (out) as PyTorch stores them.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/init.hpp"
#include "nn/layers/module.hpp"

namespace nn {

struct NN_API LinearOptions {
  Init init = Init::xavier;
  float gain = 1.0f;
  float alpha = 0.01f;         ///< slope assumed by Init::he_leaky
  bool bias = true;
  float weight_decay = 0.0f;   ///< L2 on the weight: backward adds weight_decay * W to dW (seed 002)
  Rng* rng = nullptr;          ///< where the initial weights come from; nullptr: nn::global_rng()
};

class NN_API Linear : public Module {
 public:
  /// Input size known: the weights are drawn now.
  Linear(int64_t in_features, int64_t out_features, LinearOptions options = {});
  /// Input size inferred from the first forward's x (seed 003); weight and bias exist (empty) from
  /// the start, so an optimizer may be built before the first forward.
  explicit Linear(int64_t out_features, LinearOptions options = {});

  /// x: (N, in) -> (N, out)
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
  int64_t out_features() const { return out_; }
  bool initialized() const { return in_ > 0; }
  const LinearOptions& options() const { return options_; }
  Parameter& weight() { return *weight_; }
  Parameter* bias() { return bias_; }
  /// Sets the input size and draws the weights (what the first forward does when it was deferred).
  void initialize(int64_t in_features);

 private:
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
