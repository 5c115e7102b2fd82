#include "nn/layers/gelu.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kCubic = 0.044715;

}  // namespace

GeluApproximate GELU::parse_approximate(const std::string& word) {
  if (word == "none") return GeluApproximate::none;
  if (word == "tanh") return GeluApproximate::tanh;
  fail("GELU: expected approximate 'none' or 'tanh', found '", word, "'");
}

const Tensor& GELU::forward(const Tensor& x) {
  x_ = &x;
  if (x.is_cuda()) {
    y_.resize(x.shape(), x.device());
    ops::cuda::activation_forward(approximate_ == GeluApproximate::none ? ops::cuda::Act::gelu
                                                                        : ops::cuda::Act::gelu_tanh,
                                  x.data(), y_.data(), x.numel(), 0.0f);
    return y_;
  }
  y_.resize(x.shape());
  const float* in = x.data();
  float* out = y_.data();
  const int64_t n = x.numel();
  if (approximate_ == GeluApproximate::none) {
    for (int64_t i = 0; i < n; ++i) {
      const double v = in[i];
      out[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v * kInvSqrt2)));
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const double v = in[i];
      out[i] = static_cast<float>(0.5 * v * (1.0 + std::tanh(kSqrt2OverPi * (v + kCubic * v * v * v))));
    }
  }
  return y_;
}

const Tensor& GELU::backward(const Tensor& dy) {
  NN_CHECK(x_ != nullptr, "GELU: backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), "GELU: expected output gradient of shape ", y_.shape().str(), ", found ",
           dy.shape().str());
  if (dy.is_cuda()) {
    dx_.resize(dy.shape(), dy.device());
    ops::cuda::activation_backward(approximate_ == GeluApproximate::none ? ops::cuda::Act::gelu
                                                                         : ops::cuda::Act::gelu_tanh,
                                   x_->data(), nullptr, dy.data(), dx_.data(), dy.numel(), 0.0f);
    return dx_;
  }
  dx_.resize(dy.shape());
  const float* in = x_->data();
  const float* g = dy.data();
  float* d = dx_.data();
  const int64_t n = dy.numel();
  if (approximate_ == GeluApproximate::none) {
    // d/dx x Phi(x) = Phi(x) + x phi(x)
    for (int64_t i = 0; i < n; ++i) {
      const double v = in[i];
      const double cdf = 0.5 * (1.0 + std::erf(v * kInvSqrt2));
      const double pdf = kInvSqrt2Pi * std::exp(-0.5 * v * v);
      d[i] = static_cast<float>(g[i] * (cdf + v * pdf));
    }
  } else {
    // With u = sqrt(2/pi) (x + c x^3), t = tanh u: y' = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 c x^2)
    for (int64_t i = 0; i < n; ++i) {
      const double v = in[i];
      const double t = std::tanh(kSqrt2OverPi * (v + kCubic * v * v * v));
      const double du = kSqrt2OverPi * (1.0 + 3.0 * kCubic * v * v);
      d[i] = static_cast<float>(g[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du));
    }
  }
  return dx_;
}

std::string GELU::extra_repr() const {
  return approximate_ == GeluApproximate::none ? "approximate='none'" : "approximate='tanh'";
}

nlohmann::json GELU::settings() const {
  nlohmann::json j = nlohmann::json::object();
  if (approximate_ == GeluApproximate::tanh) j["approximate"] = "tanh";
  return j;
}

}  // namespace nn
