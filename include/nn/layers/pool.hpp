/// @file
/// 2-D pooling layers over NCHW activations: nn::MaxPool2D and nn::AvgPool2D, with PyTorch's
/// semantics (ceil_mode=False, dilation 1).
#pragma once

#include "nn/export.hpp"

#include <vector>

#include "nn/layers/module.hpp"
#include "nn/layers/size2.hpp"
#include "nn/ops/window.hpp"

namespace nn {

/// The base of the two pooling layers: the window geometry, shape checks and buffers.
///
/// Output size floor((H + 2p - k) / s) + 1 for each spatial dimension; max pooling pads with -inf,
/// average pooling with zeros and divides by kh*kw (count_include_pad=True). The stride defaults to
/// the kernel size (a stride of 0 stands for that, like PyTorch's None); the padding may be at most
/// half the kernel size. A single non-square kernel is written Size2{kh, kw}: MaxPool2D({kh, kw})
/// would also match the copy constructor. No parameters.
class NN_API Pool2D : public Module {
 public:
  Size2 kernel_size() const { return {win_.kh, win_.kw}; }  ///< (kh, kw)
  Size2 stride() const { return {win_.sh, win_.sw}; }       ///< (sh, sw), the kernel size when given as 0
  Size2 padding() const { return {win_.ph, win_.pw}; }      ///< (ph, pw) on each side
  nlohmann::json settings() const override;  ///< kernel, stride, padding
  /// input [C, H, W] -> [C, OH, OW]
  /// @throws nn::Error when input is not of rank 3 or the kernel is larger than the padded input.
  Shape build(const Shape& input) override;

 protected:
  /// The geometry; stride 0 means the kernel size. `name` ("MaxPool2d") is for error messages.
  /// @throws nn::Error when the kernel or stride is <= 0, or the padding is < 0 or more than half
  ///   the kernel.
  Pool2D(const char* name, Size2 kernel, Size2 stride, Size2 padding);
  /// Checks x and sizes y_ (N, C, OH, OW); returns the number of planes N*C.
  /// @throws nn::Error when x is not (N, C, H, W) or the kernel is larger than the padded input.
  int64_t prepare_forward(const Tensor& x);
  /// Checks that a forward came first and dy has the output's shape.
  /// @throws nn::Error otherwise.
  void check_backward(const Tensor& dy) const;
  ops::Window2d win_;          ///< kernel, stride and padding
  const Tensor* x_ = nullptr;  ///< the last forward's input; null before the first forward
  /// The output buffer forward() returns.
  Tensor y_, dx_;  ///< the input-gradient buffer backward() returns
};

/// Max pooling: each output is the largest value of its kh x kw window, per channel (PyTorch's
/// MaxPool2d). The gradient flows to the chosen element of each window.
/// @code
/// nn::MaxPool2D pool(2);   // (N, C, 28, 28) -> (N, C, 14, 14)
/// @endcode
class NN_API MaxPool2D : public Pool2D {
 public:
  /// MaxPool2D(2), MaxPool2D(3, 2, 1), MaxPool2D({2, 3}, {1, 2}), MaxPool2D(Size2{2, 3}).
  /// @throws nn::Error when the kernel or stride is <= 0, or the padding is < 0 or more than half
  ///   the kernel.
  explicit MaxPool2D(Size2 kernel, Size2 stride = 0, Size2 padding = 0);
  /// x: (N, C, H, W) -> (N, C, OH, OW), the largest value of each window (the first on ties).
  const Tensor& forward(const Tensor& x) override;
  /// dx: dy routed to the element each window chose; zero elsewhere.
  const Tensor& backward(const Tensor& dy) override;
  /// forward() fused with a ReLU next to this layer, in one pass over x (what Sequential runs for a
  /// ReLU right before or after a MaxPool2D). relu_first: x is the ReLU's input and the ReLU comes
  /// first; else the ReLU follows. Returns the pair's output, equal bit for bit to the two layers'.
  const Tensor& forward_relu(const Tensor& x, bool relu_first);
  /// backward() of the pair forward_relu() ran: dy is the gradient of the pair's output; returns
  /// the gradient with respect to the pair's input, equal bit for bit to the two layers'.
  const Tensor& backward_relu(const Tensor& dy);
  std::string type_name() const override { return "MaxPool2d"; }
  std::string spec_name() const override { return "maxpool"; }
  std::string extra_repr() const override;

 private:
  std::vector<int32_t> argmax_;  ///< (N, C, OH, OW): index h*W + w in its plane
  Tensor argmax_cuda_;           ///< the same on a CUDA device (int32 in float storage)
};

/// Average pooling: each output is the mean of its kh x kw window, per channel, padding counted as
/// zeros (PyTorch's AvgPool2d with count_include_pad=True).
class NN_API AvgPool2D : public Pool2D {
 public:
  /// AvgPool2D(2), AvgPool2D(3, 1, 1), AvgPool2D(Size2{2, 3}); stride 0 means the kernel size.
  /// @throws nn::Error when the kernel or stride is <= 0, or the padding is < 0 or more than half
  ///   the kernel.
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
