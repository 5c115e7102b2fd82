/// @file
/// nn::LayerNorm, layer normalisation over the last dimension, and its options.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/module.hpp"

namespace nn {

/// The settings of a nn::LayerNorm (PyTorch's defaults).
struct NN_API LayerNormOptions {
  float eps = 1e-5f;  ///< added to the variance before the square root; > 0
  bool elementwise_affine = true;  ///< false: no weight and bias
};

/// LayerNorm (Ba, Kiros & Hinton 2016) with PyTorch's semantics over the last dimension: each row
/// of F values (x of shape [..., F], usually [N, F]) becomes (x - mean) / sqrt(var + eps) * weight
/// + bias, with the row's mean and biased variance, in training and evaluation alike. Parameters
/// (elementwise_affine): weight (F, ones), bias (F, zeros). F is given or inferred from the first
/// input (or Module::build). In a model spec: "layernorm", "layernorm:F",
/// {"type": "layernorm", "eps": 1e-6}.
class NN_API LayerNorm : public Module {
 public:
  /// normalized_shape 0: taken from the last dimension of the first input.
  /// @throws nn::Error when normalized_shape < 0 or eps <= 0.
  explicit LayerNorm(int64_t normalized_shape = 0, LayerNormOptions options = {});

  /// x: (N, ..., F) -> y of the same shape, each row of F normalised; a deferred layer takes F from
  /// x first.
  /// @throws nn::Error when x has rank < 2 or its last dimension is not F.
  const Tensor& forward(const Tensor& x) override;
  /// Exact derivative through the row statistics: with xh = (x - mean) * invstd and g = dy * weight,
  /// dx = invstd (g - mean(g) - xh mean(g xh)); dweight += sum dy xh, dbias += sum dy.
  const Tensor& backward(const Tensor& dy) override;
  /// Samples [..., F] -> the same shape; sizes a deferred layer from the last dimension.
  /// @throws nn::Error when the last dimension is not F.
  Shape build(const Shape& input) override;
  /// A deferred LayerNorm given a saved weight or bias [F] takes F.
  void infer_from_saved(const std::string& name, const Shape& saved) override;
  std::string type_name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;  ///< (F,), eps=1e-05, elementwise_affine=True
  std::string spec_name() const override { return "layernorm"; }
  nlohmann::json settings() const override;  ///< features (once known), eps, elementwise_affine when false

  int64_t normalized_shape() const { return f_; }  ///< 0 until inferred
  const LayerNormOptions& options() const { return options_; }  ///< the options it was built with
  Parameter* weight() { return weight_; }  ///< gamma, (F); null without elementwise_affine. Valid for the layer's lifetime
  Parameter* bias() { return bias_; }      ///< beta, (F); null without elementwise_affine. Valid for the layer's lifetime
  /// Sets F and sizes weight and bias (what the first forward does when it was deferred).
  /// @throws nn::Error when F is already set or normalized_shape <= 0.
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
