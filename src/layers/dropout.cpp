#include "nn/layers/dropout.hpp"

#include <charconv>
#include <cstring>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"

namespace nn {

Dropout::Dropout(float p, DropoutOptions options)
    : p_(p), rng_(&register_rng("rng", Rng(options.seed ? *options.seed : global_rng().next_u64()))) {
  NN_CHECK(p >= 0.0f && p <= 1.0f, "Dropout: expected p in [0, 1], found ", p);
}

const Tensor& Dropout::forward(const Tensor& x) {
  ran_ = true;
  y_.resize(x.shape());
  masked_ = is_training() && p_ > 0.0f;
  if (!masked_) {
    if (x.numel() > 0) std::memcpy(y_.data(), x.data(), static_cast<size_t>(x.numel()) * sizeof(float));
    return y_;
  }
  mask_.resize(x.shape());
  const float keep = p_ < 1.0f ? 1.0f / (1.0f - p_) : 0.0f;
  const double p = p_;
  float* m = mask_.data();
  float* y = y_.data();
  const float* xd = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) {
    m[i] = rng_->uniform() < p ? 0.0f : keep;
    y[i] = xd[i] * m[i];
  }
  return y_;
}

const Tensor& Dropout::backward(const Tensor& dy) {
  NN_CHECK(ran_, "Dropout: backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), "Dropout: expected output gradient of shape ", y_.shape().str(), ", found ",
           dy.shape().str());
  dx_.resize(dy.shape());
  if (!masked_) {
    if (dy.numel() > 0) std::memcpy(dx_.data(), dy.data(), static_cast<size_t>(dy.numel()) * sizeof(float));
    return dx_;
  }
  const float* m = mask_.data();
  const float* g = dy.data();
  float* d = dx_.data();
  for (int64_t i = 0; i < dy.numel(); ++i) d[i] = g[i] * m[i];
  return dx_;
}

nlohmann::json Dropout::settings() const { return nlohmann::json::object({{"p", p_}}); }

std::string Dropout::extra_repr() const { return "p=" + repr_float(p_) + ", inplace=False"; }

}  // namespace nn
