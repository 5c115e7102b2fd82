#include "nn/layers/pool.hpp"

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/ops/pool.hpp"
#include "../ops/cuda/device_check.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

namespace {
// PyTorch prints an int for a square size and a tuple otherwise.
std::string size_repr(Size2 s) { return s.square() ? std::to_string(s.h) : s.str(); }
}  // namespace

Pool2D::Pool2D(const char* name, Size2 kernel, Size2 stride, Size2 padding) {
  const Size2 s = stride == Size2(0) ? kernel : stride;
  NN_CHECK(kernel.h > 0 && kernel.w > 0, name, ": expected kernel_size > 0, found ", kernel.str());
  NN_CHECK(s.h > 0 && s.w > 0, name, ": expected stride > 0, found ", s.str());
  NN_CHECK(padding.h >= 0 && padding.w >= 0 && 2 * padding.h <= kernel.h && 2 * padding.w <= kernel.w, name,
           ": expected padding between 0 and half the kernel size ", kernel.str(), ", found ", padding.str());
  win_ = {kernel.h, kernel.w, s.h, s.w, padding.h, padding.w};
}

Shape Pool2D::build(const Shape& input) {
  NN_CHECK(input.rank() == 3, repr(), ": expected samples of shape [C, H, W], found ", input.str());
  NN_CHECK(win_.fits(input[1], input[2]), repr(), ": kernel ", kernel_size().str(),
           " is larger than the padded input of samples ", input.str());
  return Shape{input[0], win_.out_h(input[1]), win_.out_w(input[2])};
}

nlohmann::json Pool2D::settings() const {
  auto size2 = [](Size2 s) { return s.h == s.w ? nlohmann::json(s.h) : nlohmann::json::array({s.h, s.w}); };
  return {{"kernel", size2(kernel_size())}, {"stride", size2(stride())}, {"padding", size2(padding())}};
}

int64_t Pool2D::prepare_forward(const Tensor& x) {
  NN_CHECK(x.rank() == 4, repr(), ": expected input of shape [N, C, H, W], found ", x.shape().str());
  const int64_t h = x.dim(2), w = x.dim(3);
  NN_CHECK(win_.fits(h, w), repr(), ": kernel ", kernel_size().str(), " is larger than the padded input (",
           h + 2 * win_.ph, ", ", w + 2 * win_.pw, ") of input ", x.shape().str());
  x_ = &x;
  y_.resize(Shape{x.dim(0), x.dim(1), win_.out_h(h), win_.out_w(w)}, x.device());
  return x.dim(0) * x.dim(1);
}

void Pool2D::check_backward(const Tensor& dy) const {
  NN_CHECK(x_ != nullptr, repr(), ": backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), repr(), ": expected output gradient of shape ", y_.shape().str(), ", found ",
           dy.shape().str());
}

MaxPool2D::MaxPool2D(Size2 kernel, Size2 stride, Size2 padding)
    : Pool2D("MaxPool2d", kernel, stride, padding) {}

const Tensor& MaxPool2D::forward(const Tensor& x) {
  const int64_t planes = prepare_forward(x);
  if (x.is_cuda()) {
    argmax_cuda_.resize(y_.shape(), x.device());  // int32 indices in float storage
    ops::cuda::max_pool2d_forward(x.data(), planes, x.dim(2), x.dim(3), win_, y_.data(),
                                  ops::cuda::as_int32(argmax_cuda_));
    return y_;
  }
  argmax_.resize(static_cast<size_t>(y_.numel()));
  ops::max_pool2d_forward(x.data(), planes, x.dim(2), x.dim(3), win_, y_.data(), argmax_.data());
  return y_;
}

const Tensor& MaxPool2D::backward(const Tensor& dy) {
  check_backward(dy);
  if (dy.is_cuda()) {
    dx_.resize(x_->shape(), dy.device());
    ops::cuda::max_pool2d_backward(dy.data(), ops::cuda::as_int32(argmax_cuda_), x_->dim(0) * x_->dim(1),
                                   x_->dim(2), x_->dim(3), win_, dx_.data());
    return dx_;
  }
  dx_.resize(x_->shape());
  ops::max_pool2d_backward(dy.data(), argmax_.data(), x_->dim(0) * x_->dim(1), x_->dim(2), x_->dim(3), win_,
                           dx_.data());
  return dx_;
}

const Tensor& MaxPool2D::forward_relu(const Tensor& x, bool relu_first) {
  const int64_t planes = prepare_forward(x);
  argmax_.resize(static_cast<size_t>(y_.numel()));
  ops::max_pool2d_relu_forward(x.data(), planes, x.dim(2), x.dim(3), win_, relu_first, y_.data(), argmax_.data());
  return y_;
}

const Tensor& MaxPool2D::backward_relu(const Tensor& dy) {
  check_backward(dy);
  dx_.resize(x_->shape());
  ops::max_pool2d_relu_backward(dy.data(), y_.data(), argmax_.data(), x_->dim(0) * x_->dim(1), x_->dim(2),
                                x_->dim(3), win_, dx_.data());
  return dx_;
}

std::string MaxPool2D::extra_repr() const {
  return "kernel_size=" + size_repr(kernel_size()) + ", stride=" + size_repr(stride()) +
         ", padding=" + size_repr(padding()) + ", dilation=1, ceil_mode=False";
}

AvgPool2D::AvgPool2D(Size2 kernel, Size2 stride, Size2 padding)
    : Pool2D("AvgPool2d", kernel, stride, padding) {}

const Tensor& AvgPool2D::forward(const Tensor& x) {
  const int64_t planes = prepare_forward(x);
  if (x.is_cuda()) {
    ops::cuda::avg_pool2d_forward(x.data(), planes, x.dim(2), x.dim(3), win_, y_.data());
    return y_;
  }
  ops::avg_pool2d_forward(x.data(), planes, x.dim(2), x.dim(3), win_, y_.data());
  return y_;
}

const Tensor& AvgPool2D::backward(const Tensor& dy) {
  check_backward(dy);
  if (dy.is_cuda()) {
    dx_.resize(x_->shape(), dy.device());
    ops::cuda::avg_pool2d_backward(dy.data(), x_->dim(0) * x_->dim(1), x_->dim(2), x_->dim(3), win_, dx_.data());
    return dx_;
  }
  dx_.resize(x_->shape());
  ops::avg_pool2d_backward(dy.data(), x_->dim(0) * x_->dim(1), x_->dim(2), x_->dim(3), win_, dx_.data());
  return dx_;
}

std::string AvgPool2D::extra_repr() const {
  return "kernel_size=" + size_repr(kernel_size()) + ", stride=" + size_repr(stride()) +
         ", padding=" + size_repr(padding());
}

}  // namespace nn
