/// @file
/// nn::GELU, the Gaussian error linear unit activation.
#pragma once

#include "nn/export.hpp"

#include <string>

#include "nn/layers/module.hpp"

namespace nn {

/// Which form of GELU to compute (PyTorch's `approximate` argument).
enum class GeluApproximate {
  none,  ///< exact: y = x Phi(x) = x/2 (1 + erf(x / sqrt 2))
  tanh   ///< y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
};

/// GELU (Hendrycks & Gimpel 2016), PyTorch's two forms (see GeluApproximate), elementwise on any
/// shape. No parameters. In a model spec: "gelu", "gelu:tanh", or
/// {"type": "gelu", "approximate": "tanh"}.
class NN_API GELU : public Module {
 public:
  /// A GELU of the given form (the exact one by default).
  explicit GELU(GeluApproximate approximate = GeluApproximate::none) : approximate_(approximate) {}
  /// "none" or "tanh"; nn::Error naming the word otherwise.
  static GeluApproximate parse_approximate(const std::string& word);

  /// y = GELU(x), elementwise; y has x's shape.
  const Tensor& forward(const Tensor& x) override;
  /// dx = dy * y'(x), from the input kept by forward.
  /// @throws nn::Error when no forward came first or dy's shape differs from the output's.
  const Tensor& backward(const Tensor& dy) override;
  std::string type_name() const override { return "GELU"; }
  std::string extra_repr() const override;  ///< approximate='none'
  std::string spec_name() const override { return "gelu"; }
  nlohmann::json settings() const override;  ///< {} or {"approximate": "tanh"}

  GeluApproximate approximate() const { return approximate_; }  ///< the form it computes

 private:
  GeluApproximate approximate_;
  const Tensor* x_ = nullptr;
  Tensor y_, dx_;
};

}  // namespace nn
