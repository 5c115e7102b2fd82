// LayerNorm (Ba, Kiros & Hinton 2016) with PyTorch's semantics over the last dimension: each row
// of F values (x of shape [..., F], usually [N, F]) becomes (x - mean) / sqrt(var + eps) * weight
// + bias, with the row's mean and biased variance, in training and evaluation alike. Parameters
// (elementwise_affine): weight (F, ones), bias (F, zeros). F is given or inferred from the first
// input (or Module::build). Spec: "layernorm", "layernorm:F", {"type": "layernorm", "eps": 1e-6}.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/module.hpp"

namespace nn {

struct NN_API LayerNormOptions {
  float eps = 1e-5f;
  bool elementwise_affine = true;  ///< false: no weight and bias
};

class NN_API LayerNorm : public Module {
 public:
  /// normalized_shape 0: taken from the last dimension of the first input.
  explicit LayerNorm(int64_t normalized_shape = 0, LayerNormOptions options = {});

  const Tensor& forward(const Tensor& x) override;
  /// Exact derivative through the row statistics: with xh = (x - mean) * invstd and g = dy * weight,
  /// dx = invstd (g - mean(g) - xh mean(g xh)); dweight += sum dy xh, dbias += sum dy.
  const Tensor& backward(const Tensor& dy) override;
  Shape build(const Shape& input) override;
  /// A deferred LayerNorm given a saved weight or bias [F] takes F.
  void infer_from_saved(const std::string& name, const Shape& saved) override;
  std::string type_name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;  ///< (F,), eps=1e-05, elementwise_affine=True
  std::string spec_name() const override { return "layernorm"; }
  nlohmann::json settings() const override;

  int64_t normalized_shape() const { return f_; }  ///< 0 until inferred
  const LayerNormOptions& options() const { return options_; }
  Parameter* weight() { return weight_; }
  Parameter* bias() { return bias_; }
  /// Sets F and sizes weight and bias (what the first forward does when it was deferred).
  void initialize(int64_t normalized_shape);

 private:
  int64_t f_ = 0;
  LayerNormOptions options_;
  Parameter* weight_ = nullptr;
  Parameter* bias_ = nullptr;
  const Tensor* x_ = nullptr;
  Tensor mean_, invstd_;  ///< (rows): the last forward's statistics
  Tensor y_, dx_;
};

}  // namespace nn
