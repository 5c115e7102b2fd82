#include "nn/layers/dropout.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <span>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "../cuda/runtime.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

Dropout::Dropout(float p, DropoutOptions options)
    : p_(p), rng_(&register_rng("rng", Rng(options.seed ? *options.seed : global_rng().next_u64()))) {
  NN_CHECK(p >= 0.0f && p <= 1.0f, "Dropout: expected p in [0, 1], found ", p);
}

const Tensor& Dropout::forward(const Tensor& x) {
  ran_ = true;
  if (x.is_cuda()) return forward_cuda(x);
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
  // The uniform draws in blocks on the stack (a call per value was a third of the layer's time):
  // the same numbers, in the same order.
  constexpr int64_t kBlock = 256;
  double u[kBlock];
  for (int64_t i0 = 0; i0 < x.numel(); i0 += kBlock) {
    const int64_t len = std::min(kBlock, x.numel() - i0);
    rng_->fill_uniform(std::span<double>(u, static_cast<size_t>(len)));
    for (int64_t k = 0; k < len; ++k) {
      const int64_t i = i0 + k;
      m[i] = u[k] < p ? 0.0f : keep;
      y[i] = xd[i] * m[i];
    }
  }
  return y_;
}

const Tensor& Dropout::backward(const Tensor& dy) {
  NN_CHECK(ran_, "Dropout: backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), "Dropout: expected output gradient of shape ", y_.shape().str(), ", found ",
           dy.shape().str());
  if (dy.is_cuda()) {
    dx_.resize(dy.shape(), dy.device());
    if (masked_)
      ops::cuda::multiply(dy.data(), mask_.data(), dx_.data(), dy.numel());
    else
      ops::cuda::copy(dy.data(), dx_.data(), dy.numel());
    return dx_;
  }
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

// On a CUDA device the mask comes from the counter-based generator (nn/ops/counter_rng.hpp) keyed by
// a seed drawn once from this layer's generator, and a draw counter that lives and advances on the
// device, so a forward captured in a CUDA graph draws a new mask on every replay. Mask i of draw k
// is nn::dropout_keeps(seed, k, i, p): the host can recompute any mask exactly.
const Tensor& Dropout::forward_cuda(const Tensor& x) {
  y_.resize(x.shape(), x.device());
  masked_ = is_training() && p_ > 0.0f;
  if (!masked_) {
    ops::cuda::copy(x.data(), y_.data(), x.numel());
    return y_;
  }
  if (!device_state_.defined() || device_state_.device() != x.device()) {
    // [seed, draw counter] as two 64-bit words (4 floats of storage).
    const uint64_t state[2] = {rng_->next_u64(), 0};
    device_state_.resize(Shape{4}, x.device());
    cuda::detail::copy_h2d(device_state_.data(), state, sizeof state);
  }
  mask_.resize(x.shape(), x.device());
  const float keep = p_ < 1.0f ? 1.0f / (1.0f - p_) : 0.0f;
  ops::cuda::dropout_forward(x.data(), y_.data(), mask_.data(), x.numel(), p_, keep,
                             reinterpret_cast<uint64_t*>(device_state_.data()));
  return y_;
}

nlohmann::json Dropout::settings() const { return nlohmann::json::object({{"p", p_}}); }

std::string Dropout::extra_repr() const { return "p=" + repr_float(p_) + ", inplace=False"; }

}  // namespace nn
