// GELU (Hendrycks & Gimpel 2016), PyTorch's two forms:
//   none (exact): y = x Phi(x) = x/2 (1 + erf(x / sqrt 2))
//   tanh:         y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// elementwise on any shape. Spec: "gelu", "gelu:tanh", {"type": "gelu", "approximate": "tanh"}.
#pragma once

#include "nn/export.hpp"

#include <string>

#include "nn/layers/module.hpp"

namespace nn {

enum class GeluApproximate { none, tanh };

class NN_API GELU : public Module {
 public:
  explicit GELU(GeluApproximate approximate = GeluApproximate::none) : approximate_(approximate) {}
  /// "none" or "tanh"; nn::Error naming the word otherwise.
  static GeluApproximate parse_approximate(const std::string& word);

  const Tensor& forward(const Tensor& x) override;
  /// dx = dy * y'(x), from the input kept by forward.
  const Tensor& backward(const Tensor& dy) override;
  std::string type_name() const override { return "GELU"; }
  std::string extra_repr() const override;  ///< approximate='none'
  std::string spec_name() const override { return "gelu"; }
  nlohmann::json settings() const override;

  GeluApproximate approximate() const { return approximate_; }

 private:
  GeluApproximate approximate_;
  const Tensor* x_ = nullptr;
  Tensor y_, dx_;
};

}  // namespace nn
