// Activation layers. Sigmoid, Tanh, ReLU, LeakyReLU and Identity work elementwise on any shape;
// Softmax normalises each row of an (N, C) tensor.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/module.hpp"

namespace nn {

/// Shared plumbing: output and input-gradient buffers, and the shape check of backward().
class NN_API Activation : public Module {
 protected:
  void check_backward(const Tensor& dy) const;
  const Tensor* x_ = nullptr;
  Tensor y_, dx_;
};

class NN_API Sigmoid : public Activation {
 public:
  const Tensor& forward(const Tensor& x) override;   ///< y = 1 / (1 + e^-x)
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy * y (1 - y)
  std::string type_name() const override { return "Sigmoid"; }
  std::string spec_name() const override { return "sigmoid"; }
};

class NN_API Tanh : public Activation {
 public:
  const Tensor& forward(const Tensor& x) override;   ///< y = tanh x
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy * (1 - y^2)
  std::string type_name() const override { return "Tanh"; }
  std::string spec_name() const override { return "tanh"; }
};

class NN_API ReLU : public Activation {
 public:
  const Tensor& forward(const Tensor& x) override;   ///< y = max(0, x)
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy * [x > 0]
  std::string type_name() const override { return "ReLU"; }
  std::string spec_name() const override { return "relu"; }
};

class NN_API LeakyReLU : public Activation {
 public:
  explicit LeakyReLU(float negative_slope = 0.01f) : alpha_(negative_slope) {}
  const Tensor& forward(const Tensor& x) override;   ///< y = x if x > 0 else alpha x
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy if x > 0 else alpha dy
  std::string type_name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;
  std::string spec_name() const override { return "leakyrelu"; }
  nlohmann::json settings() const override;  ///< alpha
  float negative_slope() const { return alpha_; }

 private:
  float alpha_;
};

class NN_API Identity : public Activation {
 public:
  const Tensor& forward(const Tensor& x) override;   ///< y = x
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy
  std::string type_name() const override { return "Identity"; }
  std::string spec_name() const override { return "identity"; }
};

class NN_API Softmax : public Activation {
 public:
  /// x: (N, C) -> y: (N, C), each row exp(x - max) / sum, so large logits do not overflow.
  const Tensor& forward(const Tensor& x) override;
  /// dx = y * (dy - <dy, y>) per row.
  const Tensor& backward(const Tensor& dy) override;
  std::string type_name() const override { return "Softmax"; }
  std::string extra_repr() const override { return "dim=1"; }
  std::string spec_name() const override { return "softmax"; }
  Shape build(const Shape& input) override;  ///< input [C]
};

}  // namespace nn
