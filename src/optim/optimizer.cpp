#include "nn/optim/optimizer.hpp"

#include <cmath>

#include "nn/error.hpp"

namespace nn {

Optimizer::Optimizer(std::vector<Parameter*> params, float lr)
    : params_(std::move(params)), lr_(lr), initial_lr_(lr) {
  NN_CHECK(lr >= 0.0f && std::isfinite(lr), "optimizer: expected a learning rate >= 0, found ", lr);
  for (size_t i = 0; i < params_.size(); ++i)
    NN_CHECK(params_[i] != nullptr, "optimizer: parameter ", i, " is null");
}

void Optimizer::zero_grad() {
  for (Parameter* p : params_) p->grad.zero();
}

void Optimizer::set_lr(float lr) {
  NN_CHECK(lr >= 0.0f && std::isfinite(lr), type_name(), ": expected a learning rate >= 0, found ", lr);
  lr_ = lr;
}

void Optimizer::ensure_like(Tensor& buf, const Parameter& p) {
  if (!(buf.shape() == p.data.shape()) || !buf.defined()) {
    buf.resize(p.data.shape());
    buf.zero();
  }
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

void SGD::step() {
  const float lr = lr_, mu = options_.momentum, wd = options_.weight_decay, damp = options_.dampening;
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter& p = *params_[i];
    float* w = p.data.data();
    const float* g = p.grad.data();
    const int64_t n = p.data.numel();
    if (mu == 0.0f) {
      for (int64_t j = 0; j < n; ++j) w[j] -= lr * (g[j] + wd * w[j]);
      continue;
    }
    const bool first = !(momentum_[i].defined() && momentum_[i].shape() == p.data.shape());
    ensure_like(momentum_[i], p);
    float* b = momentum_[i].data();
    for (int64_t j = 0; j < n; ++j) {
      const float gj = g[j] + wd * w[j];
      b[j] = first ? gj : mu * b[j] + (1.0f - damp) * gj;
      w[j] -= lr * (options_.nesterov ? gj + mu * b[j] : b[j]);
    }
  }
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

std::vector<Tensor*> Adam::state(size_t i) {
  if (options_.amsgrad) return {&m_[i], &v_[i], &vmax_[i]};
  return {&m_[i], &v_[i]};
}

void Adam::step() {
  const int64_t t = steps_ + 1;
  const float b1 = options_.beta1, b2 = options_.beta2, eps = options_.eps, wd = options_.weight_decay;
  const double bc1 = 1.0 - std::pow(static_cast<double>(b1), static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(static_cast<double>(b2), static_cast<double>(t));
  const float step_size = static_cast<float>(lr_ / bc1);
  const float sqrt_bc2 = static_cast<float>(std::sqrt(bc2));
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter& p = *params_[i];
    ensure_like(m_[i], p);
    ensure_like(v_[i], p);
    if (options_.amsgrad) ensure_like(vmax_[i], p);
    float* w = p.data.data();
    const float* g = p.grad.data();
    float* m = m_[i].data();
    float* v = v_[i].data();
    float* vmax = options_.amsgrad ? vmax_[i].data() : nullptr;
    const int64_t n = p.data.numel();
    for (int64_t j = 0; j < n; ++j) {
      float gj = g[j];
      if (decoupled_)
        w[j] *= 1.0f - lr_ * wd;
      else
        gj += wd * w[j];
      m[j] = b1 * m[j] + (1.0f - b1) * gj;
      v[j] = b2 * v[j] + (1.0f - b2) * gj * gj;
      float vj = v[j];
      if (vmax) {
        vmax[j] = std::max(vmax[j], vj);
        vj = vmax[j];
      }
      w[j] -= step_size * m[j] / (std::sqrt(vj) / sqrt_bc2 + eps);
    }
  }
  steps_ = t;
}

AdamW::AdamW(std::vector<Parameter*> params, AdamOptions options) : Adam(std::move(params), options, true) {}

}  // namespace nn
