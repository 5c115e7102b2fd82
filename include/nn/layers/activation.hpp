/// @file
/// Activation layers. Sigmoid, Tanh, ReLU, LeakyReLU and Identity work elementwise on any shape;
/// Softmax normalises each row of an (N, C) tensor. None has parameters.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/module.hpp"

namespace nn {

/// The base of the activation layers, which have no parameters: y has the shape of x, and
/// backward(dy) needs dy of that shape. Derive from it for an activation of your own: forward()
/// sets x_ and fills y_, backward() calls check_backward() and fills dx_.
// Shared plumbing: output and input-gradient buffers, and the shape check of backward().
class NN_API Activation : public Module {
 protected:
  /// Checks that a forward came first and `dy` has the shape of the last output.
  /// @throws nn::Error otherwise, naming type_name().
  void check_backward(const Tensor& dy) const;
  const Tensor* x_ = nullptr;  ///< the last forward's input; null before the first forward
  /// The output buffer forward() returns.
  Tensor y_, dx_;  ///< the input-gradient buffer backward() returns
};

/// The logistic function, elementwise on any shape: y = 1 / (1 + e^-x), in (0, 1).
class NN_API Sigmoid : public Activation {
 public:
  const Tensor& forward(const Tensor& x) override;   ///< y = 1 / (1 + e^-x)
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy * y (1 - y)
  std::string type_name() const override { return "Sigmoid"; }
  std::string spec_name() const override { return "sigmoid"; }
};

/// The hyperbolic tangent, elementwise on any shape: y = tanh x, in (-1, 1).
class NN_API Tanh : public Activation {
 public:
  const Tensor& forward(const Tensor& x) override;   ///< y = tanh x
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy * (1 - y^2)
  std::string type_name() const override { return "Tanh"; }
  std::string spec_name() const override { return "tanh"; }
};

/// The rectified linear unit, elementwise on any shape: y = max(0, x). The derivative at 0 is
/// taken as 0.
class NN_API ReLU : public Activation {
 public:
  const Tensor& forward(const Tensor& x) override;   ///< y = max(0, x)
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy * [x > 0]
  std::string type_name() const override { return "ReLU"; }
  std::string spec_name() const override { return "relu"; }
};

/// The leaky ReLU, elementwise on any shape: y = x for x > 0, alpha x otherwise, with alpha the
/// negative slope (PyTorch's default 0.01).
class NN_API LeakyReLU : public Activation {
 public:
  /// A leaky ReLU with slope `negative_slope` for x <= 0.
  explicit LeakyReLU(float negative_slope = 0.01f) : alpha_(negative_slope) {}
  const Tensor& forward(const Tensor& x) override;   ///< y = x if x > 0 else alpha x
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy if x > 0 else alpha dy
  std::string type_name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;
  std::string spec_name() const override { return "leakyrelu"; }
  nlohmann::json settings() const override;  ///< alpha
  float negative_slope() const { return alpha_; }  ///< alpha, the slope for x <= 0

 private:
  float alpha_;
};

/// y = x: a placeholder layer (e.g. "no activation" in a model spec); forward copies x.
class NN_API Identity : public Activation {
 public:
  const Tensor& forward(const Tensor& x) override;   ///< y = x
  const Tensor& backward(const Tensor& dy) override;  ///< dx = dy
  std::string type_name() const override { return "Identity"; }
  std::string spec_name() const override { return "identity"; }
};

/// Softmax over the classes of each row: (N, C) -> (N, C), y_ij = exp(x_ij) / sum_k exp(x_ik), so
/// every row sums to 1 (PyTorch's Softmax(dim=1)). For training a classifier, prefer
/// SoftmaxCrossEntropyLoss on the logits: it is fused and numerically safer than Softmax followed by
/// CrossEntropyLoss.
class NN_API Softmax : public Activation {
 public:
  /// x: (N, C) -> y: (N, C), each row exp(x - max) / sum, so large logits do not overflow.
  /// @throws nn::Error when x is not of rank 2.
  const Tensor& forward(const Tensor& x) override;
  /// dx = y * (dy - <dy, y>) per row.
  const Tensor& backward(const Tensor& dy) override;
  std::string type_name() const override { return "Softmax"; }
  std::string extra_repr() const override { return "dim=1"; }
  std::string spec_name() const override { return "softmax"; }
  Shape build(const Shape& input) override;  ///< input [C]
};

}  // namespace nn
