#include "nn/layers/layer_norm.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "../ops/cuda/device_check.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

LayerNorm::LayerNorm(int64_t normalized_shape, LayerNormOptions options) : options_(options) {
  NN_CHECK(normalized_shape >= 0, "LayerNorm: expected normalized_shape > 0 (or 0: inferred), found ",
           normalized_shape);
  NN_CHECK(options.eps > 0.0f, "LayerNorm: expected eps > 0, found ", options.eps);
  if (options.elementwise_affine) {
    weight_ = &register_parameter("weight", Tensor(Shape{0}));
    bias_ = &register_parameter("bias", Tensor(Shape{0}));
  }
  if (normalized_shape > 0) initialize(normalized_shape);
}

void LayerNorm::initialize(int64_t normalized_shape) {
  NN_CHECK(f_ == 0, "LayerNorm: already initialised with normalized_shape=", f_);
  NN_CHECK(normalized_shape > 0, "LayerNorm: expected normalized_shape > 0, found ", normalized_shape);
  f_ = normalized_shape;
  if (weight_) {
    weight_->data = Tensor(Shape{f_}, 1.0f);
    weight_->grad = Tensor(Shape{f_});
    bias_->data = Tensor(Shape{f_});
    bias_->grad = Tensor(Shape{f_});
  }
  // Sized at the first input of a model already moved to a GPU: the new tensors follow it there.
  if (device().is_cuda()) to(device());
}

Shape LayerNorm::build(const Shape& input) {
  NN_CHECK(input.rank() >= 1, repr(), ": expected samples of shape [..., F], found ", input.str());
  const int64_t last = input[input.rank() - 1];
  if (f_ == 0) initialize(last);
  NN_CHECK(last == f_, repr(), ": expected samples of shape [..., ", f_, "], found ", input.str());
  return input;
}

const Tensor& LayerNorm::forward(const Tensor& x) {
  NN_CHECK(x.rank() >= 2, repr(), ": expected input of shape [N, ..., F], found ", x.shape().str());
  if (f_ == 0) initialize(x.dim(x.rank() - 1));
  NN_CHECK(x.dim(x.rank() - 1) == f_, repr(), ": expected input of shape [N, ..., ", f_, "], found ",
           x.shape().str());
  x_ = &x;
  const int64_t rows = x.numel() / f_;
  if (x.is_cuda()) {
    if (weight_) ops::cuda::check_device(weight_->data, x.device(), repr(), "the weight");
    y_.resize(x.shape(), x.device());
    mean_.resize(Shape{rows}, x.device());
    invstd_.resize(Shape{rows}, x.device());
    ops::cuda::layer_norm_forward(x.data(), rows, f_, weight_ ? weight_->data.data() : nullptr,
                                  bias_ ? bias_->data.data() : nullptr, options_.eps, y_.data(), mean_.data(),
                                  invstd_.data());
    return y_;
  }
  y_.resize(x.shape());
  mean_.resize(Shape{rows}, Device::cpu());
  invstd_.resize(Shape{rows}, Device::cpu());
  const float* w = weight_ ? weight_->data.data() : nullptr;
  const float* b = bias_ ? bias_->data.data() : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * f_;
    float* out = y_.data() + r * f_;
    double sum = 0.0;
    for (int64_t k = 0; k < f_; ++k) sum += in[k];
    const double mean = sum / static_cast<double>(f_);
    double sq = 0.0;
    for (int64_t k = 0; k < f_; ++k) sq += (in[k] - mean) * (in[k] - mean);
    const double invstd = 1.0 / std::sqrt(sq / static_cast<double>(f_) + options_.eps);
    mean_[r] = static_cast<float>(mean);
    invstd_[r] = static_cast<float>(invstd);
    for (int64_t k = 0; k < f_; ++k) {
      const double xh = (in[k] - mean) * invstd;
      out[k] = static_cast<float>(w ? xh * w[k] + b[k] : xh);
    }
  }
  return y_;
}

const Tensor& LayerNorm::backward(const Tensor& dy) {
  NN_CHECK(x_ != nullptr, repr(), ": backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), repr(), ": expected output gradient of shape ", y_.shape().str(), ", found ",
           dy.shape().str());
  const int64_t rows = dy.numel() / f_;
  const float* w = weight_ ? weight_->data.data() : nullptr;
  float* dw = weight_ ? weight_->grad.data() : nullptr;
  float* db = bias_ ? bias_->grad.data() : nullptr;
  if (dy.is_cuda()) {
    if (input_grad())
      dx_.resize(x_->shape(), dy.device());
    else
      dx_.resize(Shape{0}, dy.device());
    ops::cuda::layer_norm_backward(x_->data(), dy.data(), rows, f_, w, mean_.data(), invstd_.data(),
                                   input_grad() ? dx_.data() : nullptr, dw, db);
    return dx_;
  }
  if (input_grad())
    dx_.resize(x_->shape());
  else
    dx_.resize(Shape{0});
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x_->data() + r * f_;
    const float* g = dy.data() + r * f_;
    const double mean = mean_[r], invstd = invstd_[r];
    double sum_g = 0.0, sum_gxh = 0.0;
    for (int64_t k = 0; k < f_; ++k) {
      const double xh = (in[k] - mean) * invstd;
      const double gk = w ? g[k] * static_cast<double>(w[k]) : g[k];
      sum_g += gk;
      sum_gxh += gk * xh;
      if (dw) {
        dw[k] += static_cast<float>(g[k] * xh);
        db[k] += g[k];
      }
    }
    if (!input_grad()) continue;
    const double mg = sum_g / static_cast<double>(f_), mgxh = sum_gxh / static_cast<double>(f_);
    float* d = dx_.data() + r * f_;
    for (int64_t k = 0; k < f_; ++k) {
      const double xh = (in[k] - mean) * invstd;
      const double gk = w ? g[k] * static_cast<double>(w[k]) : g[k];
      d[k] = static_cast<float>(invstd * (gk - mg - xh * mgxh));
    }
  }
  return dx_;
}

std::string LayerNorm::extra_repr() const {
  std::string s = "(";
  s += f_ ? std::to_string(f_) : std::string("?");
  s += ",), eps=";
  s += repr_float(options_.eps);
  s += ", elementwise_affine=";
  s += repr_bool(options_.elementwise_affine);
  return s;
}

nlohmann::json LayerNorm::settings() const {
  nlohmann::json j = nlohmann::json::object();
  if (f_ > 0) j["features"] = f_;
  j["eps"] = options_.eps;
  if (!options_.elementwise_affine) j["elementwise_affine"] = false;
  return j;
}

void LayerNorm::infer_from_saved(const std::string& name, const Shape& saved) {
  if (f_ == 0 && (name == "weight" || name == "bias") && saved.rank() == 1 && saved[0] > 0) initialize(saved[0]);
}

}  // namespace nn
