// MaxPool2D and AvgPool2D over NCHW activations, with PyTorch's semantics (ceil_mode=False,
// dilation 1): output size floor((H + 2p - k) / s) + 1; max pooling pads with -inf, average
// pooling with zeros and divides by kh*kw (count_include_pad=True). The stride defaults to the
// kernel size (a stride of 0 stands for that, like PyTorch's None); the padding may be at most
// half the kernel size. A single non-square kernel is written Size2{kh, kw}: MaxPool2D({kh, kw})
// would also match the copy constructor.
#pragma once

#include "nn/export.hpp"

#include <vector>

#include "nn/layers/module.hpp"
#include "nn/layers/size2.hpp"
#include "nn/ops/window.hpp"

namespace nn {

/// The shared geometry, shape checks and buffers of the two pooling layers.
class NN_API Pool2D : public Module {
 public:
  Size2 kernel_size() const { return {win_.kh, win_.kw}; }
  Size2 stride() const { return {win_.sh, win_.sw}; }
  Size2 padding() const { return {win_.ph, win_.pw}; }
  nlohmann::json settings() const override;  ///< kernel, stride, padding
  /// input [C, H, W] -> [C, OH, OW]
  Shape build(const Shape& input) override;

 protected:
  Pool2D(const char* name, Size2 kernel, Size2 stride, Size2 padding);
  /// Checks x and sizes y_ (N, C, OH, OW); returns the number of planes N*C.
  int64_t prepare_forward(const Tensor& x);
  void check_backward(const Tensor& dy) const;
  ops::Window2d win_;
  const Tensor* x_ = nullptr;
  Tensor y_, dx_;
};

class NN_API MaxPool2D : public Pool2D {
 public:
  /// MaxPool2D(2), MaxPool2D(3, 2, 1), MaxPool2D({2, 3}, {1, 2}), MaxPool2D(Size2{2, 3}).
  explicit MaxPool2D(Size2 kernel, Size2 stride = 0, Size2 padding = 0);
  /// x: (N, C, H, W) -> (N, C, OH, OW), the largest value of each window (the first on ties).
  const Tensor& forward(const Tensor& x) override;
  /// dx: dy routed to the element each window chose; zero elsewhere.
  const Tensor& backward(const Tensor& dy) override;
  std::string type_name() const override { return "MaxPool2d"; }
  std::string spec_name() const override { return "maxpool"; }
  std::string extra_repr() const override;

 private:
  std::vector<int32_t> argmax_;  ///< (N, C, OH, OW): index h*W + w in its plane
};

class NN_API AvgPool2D : public Pool2D {
 public:
  explicit AvgPool2D(Size2 kernel, Size2 stride = 0, Size2 padding = 0);
  /// x: (N, C, H, W) -> (N, C, OH, OW), the sum of each window divided by kh*kw.
  const Tensor& forward(const Tensor& x) override;
  /// dx: each dy / (kh*kw) spread over its window.
  const Tensor& backward(const Tensor& dy) override;
  std::string type_name() const override { return "AvgPool2d"; }
  std::string spec_name() const override { return "avgpool"; }
  std::string extra_repr() const override;
};

}  // namespace nn
