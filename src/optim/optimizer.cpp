#include "nn/optim/optimizer.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/parallel.hpp"

namespace nn {

nlohmann::json json_float(float v) {
  if (!std::isfinite(v)) return nullptr;
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  double d = 0.0;
  std::from_chars(buf, r.ptr, d);
  return d;
}

nlohmann::json Optimizer::settings() const { return {{"type", type_name()}, {"lr", json_float(initial_lr())}}; }

Optimizer::Optimizer(std::vector<Parameter*> params, float lr)
    : params_(std::move(params)), lr_(lr), initial_lr_(lr) {
  NN_CHECK(lr >= 0.0f && std::isfinite(lr), "optimizer: expected a learning rate >= 0, found ", lr);
  for (size_t i = 0; i < params_.size(); ++i)
    NN_CHECK(params_[i] != nullptr, "optimizer: parameter ", i, " is null");
}

void Optimizer::zero_grad() {
  for (Parameter* p : params_) {
    if (p->grad.is_cuda()) {  // an asynchronous memset on the device
      p->grad.zero();
      continue;
    }
    float* g = p->grad.data();
    parallel_chunks(p->grad.numel(), 1, [g](int64_t lo, int64_t hi) { std::fill(g + lo, g + hi, 0.0f); });
  }
}

void Optimizer::set_lr(float lr) {
  NN_CHECK(lr >= 0.0f && std::isfinite(lr), type_name(), ": expected a learning rate >= 0, found ", lr);
  lr_ = lr;
  // A captured CUDA step reads the rate from the device: it must see the new one on its next replay.
  if (device_scalars_.is_cuda()) upload_lr();
}

void Optimizer::ensure_like(Tensor& buf, const Parameter& p) {
  if (!(buf.shape() == p.data.shape()) || !buf.defined()) {
    buf.resize(p.data.shape(), p.data.device());
    buf.zero();
  } else if (buf.device() != p.data.device()) {
    buf.to_(p.data.device());  // the state follows its parameter to another device, values kept
  }
}

Optimizer& Optimizer::to(Device device) {
  for (size_t i = 0; i < params_.size(); ++i)
    for (Tensor* t : state(i)) t->to_(device);
  return *this;
}

bool Optimizer::all_finite(const float* w, int64_t n) {
  uint32_t bad = 0;
  for (int64_t j = 0; j < n; ++j) bad |= (std::bit_cast<uint32_t>(w[j]) & 0x7f800000u) == 0x7f800000u ? 1u : 0u;
  return bad == 0;
}

// ---- SGD ------------------------------------------------------------------------------------------

SGD::SGD(std::vector<Parameter*> params, SGDOptions o) : Optimizer(std::move(params), o.lr), options_(o) {
  NN_CHECK(o.momentum >= 0.0f, "SGD: expected momentum >= 0, found ", o.momentum);
  NN_CHECK(o.weight_decay >= 0.0f, "SGD: expected weight_decay >= 0, found ", o.weight_decay);
  NN_CHECK(!o.nesterov || (o.momentum > 0.0f && o.dampening == 0.0f),
           "SGD: Nesterov momentum needs momentum > 0 and dampening 0, found momentum ", o.momentum,
           " and dampening ", o.dampening);
  momentum_.resize(params_.size());
}

nlohmann::json SGD::settings() const {
  nlohmann::json j = Optimizer::settings();
  j["momentum"] = json_float(options_.momentum);
  j["dampening"] = json_float(options_.dampening);
  j["weight_decay"] = json_float(options_.weight_decay);
  j["nesterov"] = options_.nesterov;
  return j;
}

namespace {

// The update loops, one per case so that each is a branch-free loop the compiler vectorises; every
// element is updated on its own, so the result does not depend on how the loop is split.
// With Zero, each gradient is set to zero as it is read (Optimizer::set_zero_grad_in_step). GCC
// would split those stores out of the loop into a memset, a second pass over the gradient: the
// kernels ask it not to.
#if defined(__GNUC__) && !defined(__clang__)
#define NN_ONE_PASS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NN_ONE_PASS
#endif

// 1 when x is NaN or infinite: the kernels OR it over the weights they write and return whether
// every one was finite (Optimizer::last_step_finite), in the same pass.
inline uint32_t non_finite(float x) { return (std::bit_cast<uint32_t>(x) & 0x7f800000u) == 0x7f800000u ? 1u : 0u; }

template <bool Zero>
NN_ONE_PASS bool sgd_plain(float* __restrict w, float* __restrict g, int64_t n, float lr, float wd) {
  uint32_t bad = 0;
  for (int64_t j = 0; j < n; ++j) {
    const float gj = g[j];
    if (Zero) g[j] = 0.0f;
    const float wj = w[j] - lr * (gj + wd * w[j]);
    w[j] = wj;
    bad |= non_finite(wj);
  }
  return bad == 0;
}

template <bool First, bool Nesterov, bool Zero>
NN_ONE_PASS bool sgd_momentum(float* __restrict w, float* __restrict g, float* __restrict b, int64_t n, float lr,
                              float mu, float damp, float wd) {
  uint32_t bad = 0;
  for (int64_t j = 0; j < n; ++j) {
    const float gj = g[j] + wd * w[j];
    if (Zero) g[j] = 0.0f;
    const float bj = First ? gj : mu * b[j] + (1.0f - damp) * gj;
    b[j] = bj;
    const float wj = w[j] - lr * (Nesterov ? gj + mu * bj : bj);
    w[j] = wj;
    bad |= non_finite(wj);
  }
  return bad == 0;
}

using SgdMomentumKernel = bool (*)(float*, float*, float*, int64_t, float, float, float, float);
// The kernel for (first step, Nesterov, zero the gradient).
SgdMomentumKernel sgd_momentum_kernel(bool first, bool nesterov, bool zero) {
  static constexpr SgdMomentumKernel kernels[8] = {
      &sgd_momentum<false, false, false>, &sgd_momentum<false, false, true>, &sgd_momentum<false, true, false>,
      &sgd_momentum<false, true, true>,   &sgd_momentum<true, false, false>, &sgd_momentum<true, false, true>,
      &sgd_momentum<true, true, false>,   &sgd_momentum<true, true, true>};
  return kernels[(first ? 4 : 0) + (nesterov ? 2 : 0) + (zero ? 1 : 0)];
}

}  // namespace

void SGD::step() {
  if (on_cuda()) return step_cuda();
  const float lr = lr_, mu = options_.momentum, wd = options_.weight_decay, damp = options_.dampening;
  const bool nesterov = options_.nesterov, zero = zero_grad_in_step_;
  std::atomic<bool> finite{true};
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter& p = *params_[i];
    float* w = p.data.data();
    float* g = p.grad.data();
    const int64_t n = p.data.numel();
    if (mu == 0.0f) {
      parallel_chunks(n, 3, [&](int64_t lo, int64_t hi) {
        if (!(zero ? &sgd_plain<true> : &sgd_plain<false>)(w + lo, g + lo, hi - lo, lr, wd))
          finite.store(false, std::memory_order_relaxed);
      });
      continue;
    }
    const bool first = !(momentum_[i].defined() && momentum_[i].shape() == p.data.shape());
    ensure_like(momentum_[i], p);
    float* b = momentum_[i].data();
    const SgdMomentumKernel kernel = sgd_momentum_kernel(first, nesterov, zero);
    parallel_chunks(n, 5, [&](int64_t lo, int64_t hi) {
      if (!kernel(w + lo, g + lo, b + lo, hi - lo, lr, mu, damp, wd)) finite.store(false, std::memory_order_relaxed);
    });
  }
  last_step_finite_ = finite.load();
  finite_on_device_ = false;
  ++steps_;
}

// ---- Adam / AdamW ---------------------------------------------------------------------------------

Adam::Adam(std::vector<Parameter*> params, AdamOptions o) : Adam(std::move(params), o, false) {}

Adam::Adam(std::vector<Parameter*> params, AdamOptions o, bool decoupled)
    : Optimizer(std::move(params), o.lr), options_(o), decoupled_(decoupled) {
  NN_CHECK(o.beta1 >= 0.0f && o.beta1 < 1.0f, type_name(), ": expected 0 <= beta1 < 1, found ", o.beta1);
  NN_CHECK(o.beta2 >= 0.0f && o.beta2 < 1.0f, type_name(), ": expected 0 <= beta2 < 1, found ", o.beta2);
  NN_CHECK(o.eps >= 0.0f, type_name(), ": expected eps >= 0, found ", o.eps);
  NN_CHECK(o.weight_decay >= 0.0f, type_name(), ": expected weight_decay >= 0, found ", o.weight_decay);
  m_.resize(params_.size());
  v_.resize(params_.size());
  vmax_.resize(params_.size());
}

nlohmann::json Adam::settings() const {
  nlohmann::json j = Optimizer::settings();
  j["beta1"] = json_float(options_.beta1);
  j["beta2"] = json_float(options_.beta2);
  j["eps"] = json_float(options_.eps);
  j["weight_decay"] = json_float(options_.weight_decay);
  j["amsgrad"] = options_.amsgrad;
  return j;
}

std::vector<Tensor*> Adam::state(size_t i) {
  if (options_.amsgrad) return {&m_[i], &v_[i], &vmax_[i]};
  return {&m_[i], &v_[i]};
}

namespace {

template <bool Decoupled, bool Amsgrad, bool Zero>
NN_ONE_PASS bool adam_update(float* __restrict w, float* __restrict g, float* __restrict m, float* __restrict v,
                             float* __restrict vmax, int64_t n, float lr, float b1, float b2, float eps, float wd,
                             float step_size, float sqrt_bc2) {
  uint32_t bad = 0;
  for (int64_t j = 0; j < n; ++j) {
    float gj = g[j];
    if (Zero) g[j] = 0.0f;
    float wj = w[j];
    if (Decoupled)
      wj *= 1.0f - lr * wd;
    else
      gj += wd * wj;
    const float mj = b1 * m[j] + (1.0f - b1) * gj;
    float vj = b2 * v[j] + (1.0f - b2) * gj * gj;
    m[j] = mj;
    v[j] = vj;
    if (Amsgrad) {
      vj = std::max(vmax[j], vj);
      vmax[j] = vj;
    }
    const float wn = wj - step_size * mj / (std::sqrt(vj) / sqrt_bc2 + eps);
    w[j] = wn;
    bad |= non_finite(wn);
  }
  return bad == 0;
}

using AdamKernel = bool (*)(float*, float*, float*, float*, float*, int64_t, float, float, float, float, float,
                            float, float);
// The kernel for (decoupled weight decay, AMSGrad, zero the gradient).
AdamKernel adam_kernel(bool decoupled, bool amsgrad, bool zero) {
  static constexpr AdamKernel kernels[8] = {
      &adam_update<false, false, false>, &adam_update<false, false, true>, &adam_update<false, true, false>,
      &adam_update<false, true, true>,   &adam_update<true, false, false>, &adam_update<true, false, true>,
      &adam_update<true, true, false>,   &adam_update<true, true, true>};
  return kernels[(decoupled ? 4 : 0) + (amsgrad ? 2 : 0) + (zero ? 1 : 0)];
}

}  // namespace

void Adam::step() {
  if (on_cuda()) return step_cuda();
  const int64_t t = steps_ + 1;
  const float b1 = options_.beta1, b2 = options_.beta2, eps = options_.eps, wd = options_.weight_decay;
  const double bc1 = 1.0 - std::pow(static_cast<double>(b1), static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(static_cast<double>(b2), static_cast<double>(t));
  const float step_size = static_cast<float>(lr_ / bc1);
  const float sqrt_bc2 = static_cast<float>(std::sqrt(bc2));
  const float lr = lr_;
  const bool amsgrad = options_.amsgrad;
  const AdamKernel kernel = adam_kernel(decoupled_, amsgrad, zero_grad_in_step_);
  std::atomic<bool> finite{true};
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter& p = *params_[i];
    ensure_like(m_[i], p);
    ensure_like(v_[i], p);
    if (amsgrad) ensure_like(vmax_[i], p);
    float* w = p.data.data();
    float* g = p.grad.data();
    float* m = m_[i].data();
    float* v = v_[i].data();
    float* vmax = amsgrad ? vmax_[i].data() : nullptr;
    parallel_chunks(p.data.numel(), amsgrad ? 6 : 5, [&](int64_t lo, int64_t hi) {
      if (!kernel(w + lo, g + lo, m + lo, v + lo, amsgrad ? vmax + lo : nullptr, hi - lo, lr, b1, b2, eps, wd,
                  step_size, sqrt_bc2))
        finite.store(false, std::memory_order_relaxed);
    });
  }
  last_step_finite_ = finite.load();
  finite_on_device_ = false;
  steps_ = t;
}

AdamW::AdamW(std::vector<Parameter*> params, AdamWOptions o)
    : Adam(std::move(params),
           AdamOptions{.lr = o.lr, .beta1 = o.beta1, .beta2 = o.beta2, .eps = o.eps,
                       .weight_decay = o.weight_decay, .amsgrad = o.amsgrad},
           true) {}

}  // namespace nn
