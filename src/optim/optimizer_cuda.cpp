// The optimizers' steps on a CUDA device (the CPU loops are in optimizer.cpp). The learning rate
// and the step count live on the device (device_scalars_), so a step captured in a CUDA graph
// replays with the current rate and the right bias corrections; the host only uploads what it
// changed (set_lr, set_step_count, a checkpoint) before a plain step.
#include <cmath>

#include "nn/error.hpp"
#include "nn/optim/optimizer.hpp"
#include "../cuda/runtime.hpp"
#include "../ops/cuda/device_check.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

namespace cu = ops::cuda;
namespace rt = nn::cuda::detail;

// Layout of device_scalars_ (4 floats): [0] lr, [1] non-finite flag (int32), [2..3] step count (int64).
float* Optimizer::device_lr() { return device_scalars_.data(); }
int32_t* Optimizer::device_nonfinite() { return reinterpret_cast<int32_t*>(device_scalars_.data() + 1); }
int64_t* Optimizer::device_step_count() { return reinterpret_cast<int64_t*>(device_scalars_.data() + 2); }

void Optimizer::begin_device_step() {
  const Device device = params_[0]->data.device();
  if (!device_scalars_.defined() || device_scalars_.device() != device) {
    device_scalars_.resize(Shape{4}, device);
    device_lr_value_ = -1.0f;
    device_steps_ = -1;
  }
  for (const Parameter* p : params_)
    cu::check_device(p->data, device, type_name(), "a parameter");
  // Uploads happen outside a capture (the warm-up step before it uploads both).
  if (lr_ != device_lr_value_) upload_lr();
  if (steps_ != device_steps_) {
    rt::copy_h2d(device_step_count(), &steps_, sizeof steps_);
    device_steps_ = steps_;
  }
  rt::memset_zero(device_nonfinite(), sizeof(int32_t));
}

void Optimizer::upload_lr() {
  rt::copy_h2d(device_lr(), &lr_, sizeof lr_);
  device_lr_value_ = lr_;
}

void Optimizer::end_device_step() {
  cu::adam_advance(device_step_count());
  ++steps_;
  device_steps_ = steps_;
  finite_on_device_ = true;
}

bool Optimizer::device_finite() const {
  int32_t bad = 0;
  rt::copy_d2h(&bad, device_scalars_.data() + 1, sizeof bad);
  return bad == 0;
}

void Optimizer::sync_step_count() {
  if (!device_scalars_.defined() || !device_scalars_.is_cuda() || device_steps_ < 0) return;
  int64_t steps = 0;
  rt::copy_d2h(&steps, device_scalars_.data() + 2, sizeof steps);
  steps_ = steps;
  device_steps_ = steps;
}

void SGD::step_cuda() {
  begin_device_step();
  const float mu = options_.momentum, wd = options_.weight_decay, damp = options_.dampening;
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter& p = *params_[i];
    float* b = nullptr;
    bool first = false;
    if (mu != 0.0f) {
      first = !(momentum_[i].defined() && momentum_[i].shape() == p.data.shape());
      ensure_like(momentum_[i], p);
      b = momentum_[i].data();
    }
    cu::sgd_update(p.data.data(), p.grad.data(), b, p.data.numel(), device_lr(), mu, damp, wd, options_.nesterov,
                   first, device_nonfinite());
    if (zero_grad_in_step_) p.grad.zero();  // (set_zero_grad_in_step: an asynchronous memset after the update)
  }
  end_device_step();
}

void Adam::step_cuda() {
  begin_device_step();
  const bool amsgrad = options_.amsgrad;
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter& p = *params_[i];
    ensure_like(m_[i], p);
    ensure_like(v_[i], p);
    if (amsgrad) ensure_like(vmax_[i], p);
    cu::adam_update(p.data.data(), p.grad.data(), m_[i].data(), v_[i].data(), amsgrad ? vmax_[i].data() : nullptr,
                    p.data.numel(), device_lr(), device_step_count(), options_.beta1, options_.beta2, options_.eps,
                    options_.weight_decay, decoupled_, amsgrad, device_nonfinite());
    if (zero_grad_in_step_) p.grad.zero();  // (set_zero_grad_in_step: an asynchronous memset after the update)
  }
  end_device_step();
}

}  // namespace nn
