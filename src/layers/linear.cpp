#include "nn/layers/linear.hpp"

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/gemm.hpp"
#include "../ops/cuda/device_check.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

Linear::Linear(int64_t in_features, int64_t out_features, LinearOptions options)
    : Linear(out_features, options) {
  NN_CHECK(in_features > 0, "Linear: expected in_features > 0, found ", in_features);
  initialize(in_features);
}

Linear::Linear(int64_t out_features, LinearOptions options) : out_(out_features), options_(options) {
  NN_CHECK(out_features > 0, "Linear: expected out_features > 0, found ", out_features);
  NN_CHECK(options.weight_decay >= 0.0f, "Linear: expected weight_decay >= 0, found ", options.weight_decay);
  options_.rng = nullptr;  // only used while initialising
  rng_ = options.rng;
  weight_ = &register_parameter("weight", Tensor(Shape{out_, 0}));
  if (options.bias) bias_ = &register_parameter("bias", Tensor(Shape{out_}));
}

void Linear::initialize(int64_t in_features) {
  NN_CHECK(in_ == 0, "Linear: already initialised with in_features=", in_);
  in_ = in_features;
  weight_->data = Tensor(Shape{out_, in_});
  weight_->grad = Tensor(Shape{out_, in_});
  init_weights(weight_->data, in_, {options_.init, options_.gain, options_.alpha},
               rng_ ? *rng_ : global_rng());
  rng_ = nullptr;
  // Sized at the first input of a model already moved to a GPU: the new tensors follow it there.
  if (device().is_cuda()) to(device());
}

const Tensor& Linear::forward(const Tensor& x) {
  NN_CHECK(x.rank() == 2, "Linear(", in_ ? std::to_string(in_) : "?", ", ", out_,
           "): expected input of shape [N, in_features], found ", x.shape().str());
  if (in_ == 0) initialize(x.dim(1));
  NN_CHECK(x.dim(1) == in_, "Linear(", in_, ", ", out_, "): expected input of shape [N, ", in_, "], found ",
           x.shape().str());
  const int64_t n = x.dim(0);
  x_ = &x;
  if (x.is_cuda()) {
    ops::cuda::check_device(weight_->data, x.device(), repr(), "the weight");
    y_.resize(Shape{n, out_}, x.device());
    ops::cuda::gemm(ops::Trans::No, ops::Trans::Yes, n, out_, in_, 1.0f, x.data(), in_, weight_->data.data(), in_,
                    0.0f, y_.data(), out_);
    if (bias_) ops::cuda::add_bias_rows(y_.data(), bias_->data.data(), n, out_);
    return y_;
  }
  y_.resize(Shape{n, out_});
  // y (N, out) = x (N, in) * W^T (in, out)
  ops::gemm(ops::Trans::No, ops::Trans::Yes, n, out_, in_, 1.0f, x.data(), in_, weight_->data.data(), in_, 0.0f,
            y_.data(), out_);
  if (bias_) ops::add_bias_rows(y_.data(), bias_->data.data(), n, out_);
  return y_;
}

const Tensor& Linear::backward(const Tensor& dy) {
  NN_CHECK(x_ != nullptr, "Linear: backward called before forward");
  const int64_t n = x_->dim(0);
  NN_CHECK(dy.rank() == 2 && dy.dim(0) == n && dy.dim(1) == out_, "Linear(", in_, ", ", out_,
           "): expected output gradient of shape ", Shape{n, out_}.str(), ", found ", dy.shape().str());
  if (x_->is_cuda()) return backward_cuda(dy);
  // dW (out, in) += dy^T (out, N) * x (N, in)
  ops::gemm(ops::Trans::Yes, ops::Trans::No, out_, in_, n, 1.0f, dy.data(), out_, x_->data(), in_, 1.0f,
            weight_->grad.data(), in_);
  if (options_.weight_decay != 0.0f)
    ops::axpy(options_.weight_decay, weight_->data.data(), weight_->grad.data(), weight_->data.numel());
  // db (out) += sum over N of dy
  if (bias_) ops::sum_rows_accumulate(dy.data(), bias_->grad.data(), n, out_);
  if (!input_grad()) {
    dx_.resize(Shape{0});
    return dx_;
  }
  // dx (N, in) = dy (N, out) * W (out, in)
  dx_.resize(Shape{n, in_});
  ops::gemm(ops::Trans::No, ops::Trans::No, n, in_, out_, 1.0f, dy.data(), out_, weight_->data.data(), in_, 0.0f,
            dx_.data(), in_);
  return dx_;
}

// The same products on the device (cuBLAS), the same order of operations.
const Tensor& Linear::backward_cuda(const Tensor& dy) {
  const int64_t n = x_->dim(0);
  ops::cuda::check_device(dy, x_->device(), repr(), "the output gradient");
  ops::cuda::gemm(ops::Trans::Yes, ops::Trans::No, out_, in_, n, 1.0f, dy.data(), out_, x_->data(), in_, 1.0f,
                  weight_->grad.data(), in_);
  if (options_.weight_decay != 0.0f)
    ops::cuda::axpy(options_.weight_decay, weight_->data.data(), weight_->grad.data(), weight_->data.numel());
  if (bias_) ops::cuda::sum_rows_accumulate(dy.data(), bias_->grad.data(), n, out_);
  if (!input_grad()) {
    dx_.resize(Shape{0}, x_->device());
    return dx_;
  }
  dx_.resize(Shape{n, in_}, x_->device());
  ops::cuda::gemm(ops::Trans::No, ops::Trans::No, n, in_, out_, 1.0f, dy.data(), out_, weight_->data.data(), in_,
                  0.0f, dx_.data(), in_);
  return dx_;
}

Shape Linear::build(const Shape& input) {
  NN_CHECK(input.rank() == 1, repr(), ": expected samples of shape [in_features], found ", input.str());
  if (in_ == 0) initialize(input[0]);
  NN_CHECK(input[0] == in_, repr(), ": expected samples of shape [", in_, "], found ", input.str());
  return Shape{out_};
}

nlohmann::json Linear::settings() const {
  nlohmann::json j = {{"out", out_}, {"init", to_string(options_.init)}};
  if (options_.gain != 1.0f) j["gain"] = options_.gain;
  if (!options_.bias) j["bias"] = false;
  if (options_.weight_decay != 0.0f) j["weight_decay"] = options_.weight_decay;
  if (options_.alpha != LinearOptions{}.alpha) j["alpha"] = options_.alpha;
  return j;
}

std::string Linear::extra_repr() const {
  std::string s = "in_features=" + (in_ ? std::to_string(in_) : std::string("?")) +
                  ", out_features=" + std::to_string(out_) + ", bias=" + repr_bool(bias_ != nullptr);
  if (options_.weight_decay != 0.0f) s += ", weight_decay=" + repr_float(options_.weight_decay);
  return s;
}

void Linear::infer_from_saved(const std::string& name, const Shape& saved) {
  if (in_ == 0 && name == "weight" && saved.rank() == 2 && saved[0] == out_ && saved[1] > 0) initialize(saved[1]);
}

}  // namespace nn
