/// @file
/// nn::Flatten: turns a batch of images or feature maps into a batch of vectors.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/module.hpp"

namespace nn {

/// Flatten: [N, d1, ..., dk] -> [N, d1 * ... * dk] (PyTorch's Flatten with start_dim=1,
/// end_dim=-1), e.g. between the convolutions and the Linear head of a CNN; backward reshapes the
/// gradient back to the input's shape. No parameters. The output is a copy in the layer's own buffer.
class NN_API Flatten : public Module {
 public:
  /// (N, d1, ..., dk) -> (N, d1 * ... * dk); a rank-1 input (N) becomes (N, 1).
  /// @throws nn::Error for a rank-0 input.
  const Tensor& forward(const Tensor& x) override;
  /// dy (N, d1 * ... * dk) -> dx of the last input's shape.
  /// @throws nn::Error when no forward came first or dy's shape differs from the output's.
  const Tensor& backward(const Tensor& dy) override;
  std::string type_name() const override { return "Flatten"; }
  std::string extra_repr() const override { return "start_dim=1, end_dim=-1"; }
  std::string spec_name() const override { return "flatten"; }
  Shape build(const Shape& input) override { return Shape{input.numel()}; }

 private:
  Shape in_shape_;
  bool ran_ = false;
  Tensor y_, dx_;
};

}  // namespace nn
