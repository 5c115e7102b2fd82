// Flatten: [N, d1, ..., dk] -> [N, d1 * ... * dk] (PyTorch's Flatten with start_dim=1, end_dim=-1);
// backward reshapes the gradient back to the input's shape.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/module.hpp"

namespace nn {

class NN_API Flatten : public Module {
 public:
  const Tensor& forward(const Tensor& x) override;
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
