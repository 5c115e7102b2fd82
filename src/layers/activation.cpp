#include "nn/layers/activation.hpp"

#include <cstring>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/ops/elementwise.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

namespace {
// The CUDA branch of an element-wise activation's forward: y on x's device.
const Tensor& forward_cuda(ops::cuda::Act act, const Tensor& x, Tensor& y, float alpha = 0.0f) {
  y.resize(x.shape(), x.device());
  ops::cuda::activation_forward(act, x.data(), y.data(), x.numel(), alpha);
  return y;
}
// ... and of its backward: x for relu/leaky relu, y for sigmoid/tanh.
const Tensor& backward_cuda(ops::cuda::Act act, const Tensor* x, const Tensor& y, const Tensor& dy, Tensor& dx,
                            float alpha = 0.0f) {
  dx.resize(dy.shape(), dy.device());
  ops::cuda::activation_backward(act, x ? x->data() : nullptr, y.data(), dy.data(), dx.data(), dy.numel(), alpha);
  return dx;
}
}  // namespace

void Activation::check_backward(const Tensor& dy) const {
  NN_CHECK(x_ != nullptr, type_name(), ": backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), type_name(), ": expected output gradient of shape ", y_.shape().str(),
           ", found ", dy.shape().str());
}

const Tensor& Sigmoid::forward(const Tensor& x) {
  x_ = &x;
  if (x.is_cuda()) return forward_cuda(ops::cuda::Act::sigmoid, x, y_);
  y_.resize(x.shape());
  ops::sigmoid_forward(x.data(), y_.data(), x.numel());
  return y_;
}

const Tensor& Sigmoid::backward(const Tensor& dy) {
  check_backward(dy);
  if (dy.is_cuda()) return backward_cuda(ops::cuda::Act::sigmoid, nullptr, y_, dy, dx_);
  dx_.resize(dy.shape());
  ops::sigmoid_backward(y_.data(), dy.data(), dx_.data(), dy.numel());
  return dx_;
}

const Tensor& Tanh::forward(const Tensor& x) {
  x_ = &x;
  if (x.is_cuda()) return forward_cuda(ops::cuda::Act::tanh, x, y_);
  y_.resize(x.shape());
  ops::tanh_forward(x.data(), y_.data(), x.numel());
  return y_;
}

const Tensor& Tanh::backward(const Tensor& dy) {
  check_backward(dy);
  if (dy.is_cuda()) return backward_cuda(ops::cuda::Act::tanh, nullptr, y_, dy, dx_);
  dx_.resize(dy.shape());
  ops::tanh_backward(y_.data(), dy.data(), dx_.data(), dy.numel());
  return dx_;
}

const Tensor& ReLU::forward(const Tensor& x) {
  x_ = &x;
  if (x.is_cuda()) return forward_cuda(ops::cuda::Act::relu, x, y_);
  y_.resize(x.shape());
  ops::relu_forward(x.data(), y_.data(), x.numel());
  return y_;
}

const Tensor& ReLU::backward(const Tensor& dy) {
  check_backward(dy);
  if (dy.is_cuda()) return backward_cuda(ops::cuda::Act::relu, &y_, y_, dy, dx_);  // y > 0 where x > 0
  dx_.resize(dy.shape());
  // y > 0 exactly where x > 0, and y_ is ours, so the mask does not depend on the caller's x.
  ops::relu_backward(y_.data(), dy.data(), dx_.data(), dy.numel());
  return dx_;
}

const Tensor& LeakyReLU::forward(const Tensor& x) {
  x_ = &x;
  if (x.is_cuda()) return forward_cuda(ops::cuda::Act::leaky_relu, x, y_, alpha_);
  y_.resize(x.shape());
  ops::leaky_relu_forward(x.data(), y_.data(), x.numel(), alpha_);
  return y_;
}

const Tensor& LeakyReLU::backward(const Tensor& dy) {
  check_backward(dy);
  if (dy.is_cuda()) return backward_cuda(ops::cuda::Act::leaky_relu, x_, y_, dy, dx_, alpha_);
  dx_.resize(dy.shape());
  ops::leaky_relu_backward(x_->data(), dy.data(), dx_.data(), dy.numel(), alpha_);
  return dx_;
}

nlohmann::json LeakyReLU::settings() const { return nlohmann::json::object({{"alpha", alpha_}}); }

std::string LeakyReLU::extra_repr() const { return "negative_slope=" + repr_float(alpha_); }

const Tensor& Identity::forward(const Tensor& x) {
  x_ = &x;
  y_.copy_from(x);
  return y_;
}

const Tensor& Identity::backward(const Tensor& dy) {
  check_backward(dy);
  dx_.copy_from(dy);
  return dx_;
}

const Tensor& Softmax::forward(const Tensor& x) {
  NN_CHECK(x.rank() == 2, "Softmax: expected input of shape [N, C], found ", x.shape().str());
  x_ = &x;
  if (x.is_cuda()) {
    y_.resize(x.shape(), x.device());
    ops::cuda::softmax_rows(x.data(), y_.data(), x.dim(0), x.dim(1));
    return y_;
  }
  y_.resize(x.shape());
  ops::softmax_rows(x.data(), y_.data(), x.dim(0), x.dim(1));
  return y_;
}

Shape Softmax::build(const Shape& input) {
  NN_CHECK(input.rank() == 1, "Softmax: expected samples of shape [C], found ", input.str());
  return input;
}

const Tensor& Softmax::backward(const Tensor& dy) {
  check_backward(dy);
  if (dy.is_cuda()) {
    dx_.resize(dy.shape(), dy.device());
    ops::cuda::softmax_rows_backward(y_.data(), dy.data(), dx_.data(), dy.dim(0), dy.dim(1));
    return dx_;
  }
  dx_.resize(dy.shape());
  ops::softmax_rows_backward(y_.data(), dy.data(), dx_.data(), dy.dim(0), dy.dim(1));
  return dx_;
}

}  // namespace nn
