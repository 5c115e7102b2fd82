#include "nn/layers/batchnorm.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/ops/batchnorm.hpp"
#include "../ops/cuda/device_check.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

BatchNorm::BatchNorm(const char* name, int64_t num_features, BatchNormOptions options)
    : BatchNorm(name, Inferred{}, options) {
  NN_CHECK(num_features > 0, name, ": expected num_features > 0, found ", num_features);
  initialize(num_features);
}

BatchNorm::BatchNorm(const char* name, Inferred, BatchNormOptions options) : c_(0), options_(options) {
  NN_CHECK(options.eps > 0.0f, name, ": expected eps > 0, found ", options.eps);
  NN_CHECK(options.momentum >= 0.0f && options.momentum <= 1.0f, name, ": expected momentum in [0, 1], found ",
           options.momentum);
  if (options.affine) {
    weight_ = &register_parameter("weight", Tensor(Shape{0}));
    bias_ = &register_parameter("bias", Tensor(Shape{0}));
  }
  running_mean_ = &register_buffer("running_mean", Tensor(Shape{0}));
  running_var_ = &register_buffer("running_var", Tensor(Shape{0}));
  num_batches_ = &register_buffer("num_batches_tracked", Tensor(Shape{}));
}

void BatchNorm::initialize(int64_t num_features) {
  NN_CHECK(c_ == 0, repr(), ": already initialised with num_features=", c_);
  NN_CHECK(num_features > 0, repr(), ": expected num_features > 0, found ", num_features);
  c_ = num_features;
  if (weight_) {
    weight_->data = Tensor(Shape{c_}, 1.0f);
    weight_->grad = Tensor(Shape{c_});
    bias_->data = Tensor(Shape{c_});
    bias_->grad = Tensor(Shape{c_});
  }
  *running_mean_ = Tensor(Shape{c_});
  *running_var_ = Tensor(Shape{c_}, 1.0f);
  mean_ = Tensor(Shape{c_});
  var_ = Tensor(Shape{c_});
  invstd_ = Tensor(Shape{c_});
  // Sized at the first input of a model already moved to a GPU: the new tensors follow it there.
  if (device().is_cuda()) to(device());
}

const Tensor& BatchNorm::forward(const Tensor& x) {
  if (c_ == 0 && accepts_rank(x.rank())) initialize(x.dim(1));
  NN_CHECK(accepts_rank(x.rank()) && x.dim(1) == c_, repr(), ": expected input of shape ", layout(), " with C = ",
           c_, ", found ", x.shape().str());
  const int64_t n = x.dim(0);
  const int64_t l = x.numel() / (n * c_ > 0 ? n * c_ : 1);
  x_ = &x;
  // The CUDA kernels take the CPU kernels' arguments: only the function differs.
  const bool cuda = x.is_cuda();
  if (cuda) ops::cuda::check_device(*running_mean_, x.device(), repr(), "the running mean");
  y_.resize(x.shape(), x.device());
  const float* gamma = weight_ ? weight_->data.data() : nullptr;
  const float* beta = bias_ ? bias_->data.data() : nullptr;
  batch_stats_ = is_training();
  if (!batch_stats_) {
    (cuda ? ops::cuda::batch_norm_forward_eval : ops::batch_norm_forward_eval)(
        x.data(), n, c_, l, gamma, beta, running_mean_->data(), running_var_->data(), options_.eps, y_.data());
    return y_;
  }
  const int64_t m = n * l;
  NN_CHECK(m > 1, repr(), ": expected more than 1 value per channel when training, found input ",
           x.shape().str());
  mean_.resize(Shape{c_}, x.device());
  var_.resize(Shape{c_}, x.device());
  invstd_.resize(Shape{c_}, x.device());
  (cuda ? ops::cuda::batch_norm_forward_train : ops::batch_norm_forward_train)(
      x.data(), n, c_, l, gamma, beta, options_.eps, y_.data(), mean_.data(), var_.data(), invstd_.data());
  // running = (1 - momentum) running + momentum batch, with the unbiased variance.
  const float mo = options_.momentum;
  if (cuda) {
    ops::cuda::batch_norm_update_running(running_mean_->data(), running_var_->data(), mean_.data(), var_.data(), c_,
                                         m, mo, num_batches_->data());
    return y_;
  }
  const float unbias = static_cast<float>(static_cast<double>(m) / static_cast<double>(m - 1));
  float* rm = running_mean_->data();
  float* rv = running_var_->data();
  for (int64_t ch = 0; ch < c_; ++ch) {
    rm[ch] = (1.0f - mo) * rm[ch] + mo * mean_[ch];
    rv[ch] = (1.0f - mo) * rv[ch] + mo * var_[ch] * unbias;
  }
  (*num_batches_)[0] += 1.0f;
  return y_;
}

const Tensor& BatchNorm::backward(const Tensor& dy) {
  NN_CHECK(x_ != nullptr, repr(), ": backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), repr(), ": expected output gradient of shape ", y_.shape().str(), ", found ",
           dy.shape().str());
  const int64_t n = x_->dim(0);
  const int64_t l = x_->numel() / (n * c_ > 0 ? n * c_ : 1);
  const float* gamma = weight_ ? weight_->data.data() : nullptr;
  float* dgamma = weight_ ? weight_->grad.data() : nullptr;
  float* dbeta = bias_ ? bias_->grad.data() : nullptr;
  float* dx = nullptr;
  const bool cuda = x_->is_cuda();
  if (input_grad()) {
    dx_.resize(x_->shape(), x_->device());
    dx = dx_.data();
  } else {
    dx_.resize(Shape{0}, x_->device());
  }
  if (batch_stats_)
    (cuda ? ops::cuda::batch_norm_backward_train : ops::batch_norm_backward_train)(
        x_->data(), dy.data(), n, c_, l, gamma, mean_.data(), invstd_.data(), dx, dgamma, dbeta);
  else
    (cuda ? ops::cuda::batch_norm_backward_eval : ops::batch_norm_backward_eval)(
        x_->data(), dy.data(), n, c_, l, gamma, running_mean_->data(), running_var_->data(), options_.eps, dx, dgamma,
        dbeta);
  return dx_;
}

Shape BatchNorm::build(const Shape& input) {
  if (c_ == 0 && accepts_rank(input.rank() + 1)) initialize(input[0]);
  NN_CHECK(accepts_rank(input.rank() + 1) && input[0] == c_, repr(), ": expected input of shape ", layout(),
           " with C = ", c_, ", found samples of shape ", input.str());
  return input;
}

nlohmann::json BatchNorm::settings() const {
  nlohmann::json j = {{"eps", options_.eps}, {"momentum", options_.momentum}};
  if (c_ > 0) j["features"] = c_;
  return j;
}

std::string BatchNorm::extra_repr() const {
  return (c_ ? std::to_string(c_) : std::string("?")) + ", eps=" + repr_float(options_.eps) + ", momentum=" + repr_float(options_.momentum) +
         ", affine=" + repr_bool(options_.affine) + ", track_running_stats=True";
}

}  // namespace nn
