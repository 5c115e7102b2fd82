#include "nn/optim/clip_grad.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nn/error.hpp"
#include "../cuda/runtime.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

namespace {

// The first gradient's device, when it is a CUDA device (the others must be on it too).
bool on_cuda(std::span<Parameter* const> params) { return !params.empty() && params[0]->grad.is_cuda(); }

void check_one_device(std::span<Parameter* const> params, const char* who) {
  const Device device = params[0]->grad.device();
  for (const Parameter* p : params)
    NN_CHECK(p->grad.device() == device, who, ": expected every gradient on ", device.str(), ", found one on ",
             p->grad.device().str());
}

// The norm on the device: a double accumulator, then the norm and the clipping coefficient, then the
// scaling, all queued on nn's stream; only the norm comes back (the function returns it).
float clip_grad_norm_cuda(std::span<Parameter* const> params, float max_norm, bool inf_norm) {
  check_one_device(params, "clip_grad_norm_");
  // [0..1] the double accumulator, [2] the norm, [3] the coefficient; reused, per thread.
  thread_local Tensor scratch;
  scratch.resize(Shape{4}, params[0]->grad.device());
  auto* acc = reinterpret_cast<double*>(scratch.data());
  cuda::detail::memset_zero(acc, sizeof(double));
  for (const Parameter* p : params) ops::cuda::norm_accumulate(p->grad.data(), p->grad.numel(), inf_norm, acc);
  ops::cuda::norm_finish(acc, inf_norm, max_norm, scratch.data() + 2, scratch.data() + 3);
  for (Parameter* p : params) ops::cuda::scale_by(p->grad.data(), p->grad.numel(), scratch.data() + 3);
  float norm = 0.0f;
  cuda::detail::copy_d2h(&norm, scratch.data() + 2, sizeof norm);
  return norm;
}

}  // namespace

float clip_grad_norm_(std::span<Parameter* const> params, float max_norm, float norm_type) {
  NN_CHECK(std::isfinite(max_norm) && max_norm > 0.0f, "clip_grad_norm_: expected max_norm > 0, found ", max_norm);
  const bool inf_norm = std::isinf(norm_type) && norm_type > 0.0f;
  NN_CHECK(inf_norm || norm_type == 2.0f, "clip_grad_norm_: expected norm_type 2 or inf, found ", norm_type);
  if (on_cuda(params)) return clip_grad_norm_cuda(params, max_norm, inf_norm);
  double total = 0.0;
  for (const Parameter* p : params) {
    const float* g = p->grad.data();
    const int64_t n = p->grad.numel();
    if (inf_norm) {
      float m = 0.0f;
      for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(g[i]));
      // std::max drops a NaN: look for one separately.
      for (int64_t i = 0; i < n && std::isfinite(m); ++i)
        if (std::isnan(g[i])) m = std::numeric_limits<float>::quiet_NaN();
      total = std::isnan(m) || std::isnan(total) ? std::numeric_limits<double>::quiet_NaN()
                                                 : std::max(total, static_cast<double>(m));
    } else {
      double s = 0.0;
      for (int64_t i = 0; i < n; ++i) s += static_cast<double>(g[i]) * g[i];
      total += s;
    }
  }
  if (!inf_norm) total = std::sqrt(total);
  const auto norm = static_cast<float>(total);
  if (!std::isfinite(total)) return norm;
  const double coef = static_cast<double>(max_norm) / (total + 1e-6);
  if (coef < 1.0) {
    const auto c = static_cast<float>(coef);
    for (Parameter* p : params) {
      float* g = p->grad.data();
      const int64_t n = p->grad.numel();
      for (int64_t i = 0; i < n; ++i) g[i] *= c;
    }
  }
  return norm;
}

void clip_grad_value_(std::span<Parameter* const> params, float clip_value) {
  NN_CHECK(std::isfinite(clip_value) && clip_value > 0.0f, "clip_grad_value_: expected clip_value > 0, found ",
           clip_value);
  if (on_cuda(params)) {
    check_one_device(params, "clip_grad_value_");
    for (Parameter* p : params) ops::cuda::clamp(p->grad.data(), p->grad.numel(), clip_value);
    return;
  }
  for (Parameter* p : params) {
    float* g = p->grad.data();
    const int64_t n = p->grad.numel();
    for (int64_t i = 0; i < n; ++i) g[i] = std::clamp(g[i], -clip_value, clip_value);
  }
}

}  // namespace nn
