/// @file
/// Optimizers over a model's parameters: the base nn::Optimizer, nn::SGD, nn::Adam and nn::AdamW.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/layers/module.hpp"

namespace nn {

/// A float as JSON with its shortest decimal spelling (0.001f -> 0.001, not 0.0010000000474974513);
/// null when it is not finite.
NN_API nlohmann::json json_float(float v);

/// An optimizer: updates a list of parameters from their gradients, once per step().
///
/// State (momentum buffers, Adam moments) belongs to each parameter object: slot i of the state goes
/// with params()[i]. It is sized on the first step, so a Linear whose input size is inferred may be
/// handed over before its first forward. The optimizer keeps the Parameter pointers it was given,
/// not the parameters: the module that owns them must outlive it. step() runs its loops in parallel
/// (see nn::set_num_threads), but an optimizer is not to be used from several threads at once.
/// @code
/// nn::Adam opt(net.parameters(), {.lr = 1e-3f});
/// for (auto& batch : loader) { opt.zero_grad(); ...; net.backward(dy); opt.step(); }
/// @endcode
class NN_API Optimizer {
 public:
  /// An optimizer over `params` with learning rate `lr`.
  /// @throws nn::Error when lr is negative or not finite, or a pointer is null.
  explicit Optimizer(std::vector<Parameter*> params, float lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;             ///< not copyable: it holds per-parameter state
  Optimizer& operator=(const Optimizer&) = delete;  ///< not copyable: it holds per-parameter state

  /// Updates every parameter from its gradient, then counts the step (step_count()) and records
  /// last_step_finite().
  virtual void step() = 0;
  /// Sets every parameter's gradient to zero.
  void zero_grad();
  /// Asks step() to also set every gradient to zero in the pass that reads it, which is what a
  /// zero_grad() right after the step would do, without a second pass over the gradients (the
  /// Trainer turns it on for a fit). Off by default. Returns whether the optimizer does it: SGD,
  /// Adam and AdamW do; for an optimizer that does not (can_zero_grad_in_step() false) the setting
  /// stays off and the caller keeps calling zero_grad().
  bool set_zero_grad_in_step(bool on) {
    zero_grad_in_step_ = on && can_zero_grad_in_step();
    return zero_grad_in_step_;
  }
  /// Whether step() sets the gradients to zero (see set_zero_grad_in_step()).
  bool zero_grad_in_step() const { return zero_grad_in_step_; }
  /// Whether this optimizer's step() honours set_zero_grad_in_step(true); false unless a subclass says so.
  virtual bool can_zero_grad_in_step() const { return false; }

  float lr() const { return lr_; }  ///< the learning rate the next step() uses
  /// Sets the learning rate for the following steps (what a Scheduler does each epoch).
  /// @throws nn::Error when lr is negative or not finite.
  void set_lr(float lr);
  /// The learning rate the optimizer was built with; schedulers scale it.
  float initial_lr() const { return initial_lr_; }
  int64_t step_count() const { return steps_; }  ///< the number of step() calls so far (Adam's t)
  /// Whether every weight the latest step() wrote is finite (true before the first step). The
  /// Trainer stops a diverging run on the first step that breaks it.
  // Checked in the update loops, on data already in cache.
  // On a CUDA device the flag is read back from the device here, not in step().
  bool last_step_finite() const { return finite_on_device_ ? device_finite() : last_step_finite_; }
  const std::vector<Parameter*>& params() const { return params_; }  ///< the parameters it updates, in order
  virtual std::string type_name() const = 0;  ///< "SGD", "Adam", "AdamW"
  /// What the optimizer is, as checkpoints compare it: {"type": type_name(), "lr": the initial rate,
  /// ...every option of the optimizer}, each float by json_float.
  virtual nlohmann::json settings() const;

  /// The state tensors of parameter i, in a fixed order (for checkpoints). Pointers into the
  /// optimizer, valid for its lifetime; undefined tensors until the first step() sizes them.
  virtual std::vector<Tensor*> state(size_t i) = 0;
  /// Moves the state (momentum buffers, Adam moments) to `device`, the model's, keeping its values;
  /// returns *this. step() moves a state tensor to its parameter's device by itself when they
  /// differ; this does it up front (a checkpoint's state loaded on the host, before a step).
  /// @throws nn::Error when the device cannot be used.
  Optimizer& to(Device device);
  /// Whether step() on a GPU may be captured once into a CUDA graph and replayed (Trainer's
  /// whole-step graphs): true only when it reads nothing from the host that changes from step to
  /// step (the learning rate and Adam's step count live on the device, uploaded by a plain step()
  /// when they changed) and leaves its finite flag on the device, read by last_step_finite(). When
  /// a scheduler changes the learning rate, the Trainer runs one plain step before it replays the
  /// graph again. The default: false (plain launches).
  virtual bool graph_capturable() const { return false; }
  /// Sets the step count, e.g. when resuming from a checkpoint (Adam's bias correction depends on it).
  void set_step_count(int64_t steps) {
    steps_ = steps;
    device_steps_ = -1;  // a CUDA step uploads it first
  }
  /// For steps replayed from a captured CUDA graph, which advance the step count on the device
  /// only: sets step_count() from the device's count (no-op on the CPU). Waits for the device.
  void sync_step_count();

 protected:
  /// Whether the parameters live on a CUDA device (the first one's device decides).
  bool on_cuda() const { return !params_.empty() && params_[0]->data.is_cuda(); }
  /// Before a step on the device: the learning rate and the step count uploaded where they changed,
  /// the non-finite flag cleared. Captured in a CUDA graph, it replays as the clearing only.
  void begin_device_step();
  /// Copies lr_ to the device's learning rate (device_scalars_ on a CUDA device).
  void upload_lr();
  /// After a step on the device: the device's step count advanced, steps_ too.
  void end_device_step();
  float* device_lr();            ///< the learning rate on the device (begin_device_step() first)
  int64_t* device_step_count();  ///< step() calls so far, on the device
  int32_t* device_nonfinite();   ///< 1 when the latest step wrote a non-finite weight
  /// Reads the device's non-finite flag (waits for the device).
  bool device_finite() const;
  /// Makes sure `buf` matches p's current shape (zero-filled when it had to change) and lives on
  /// p's device (moved there with its values when it does not).
  static void ensure_like(Tensor& buf, const Parameter& p);
  /// Whether w[0..n) are all finite (no NaN, no infinity).
  // An integer OR over the exponent bits, which vectorises.
  static bool all_finite(const float* w, int64_t n);
  std::vector<Parameter*> params_;  ///< the parameters, not owned
  float lr_;                        ///< the current learning rate
  float initial_lr_;                ///< the learning rate given at construction
  int64_t steps_ = 0;               ///< step() calls so far
  bool last_step_finite_ = true;    ///< what last_step_finite() returns; step() sets it
  bool zero_grad_in_step_ = false;  ///< step() zeroes the gradients it reads (set_zero_grad_in_step())
  /// On a CUDA device: lr (float), the non-finite flag (int32), the step count (int64 at float 2).
  Tensor device_scalars_;
  float device_lr_value_ = -1.0f;  ///< the learning rate last uploaded (-1: none yet)
  int64_t device_steps_ = -1;      ///< the step count the device holds as far as the host knows
  bool finite_on_device_ = false;  ///< whether last_step_finite() must read the device's flag
};

/// The settings of nn::SGD.
struct NN_API SGDOptions {
  float lr = 0.01f;           ///< the learning rate; >= 0
  float momentum = 0.0f;      ///< mu; 0: plain SGD, no momentum buffer
  float dampening = 0.0f;     ///< scales the new gradient in the momentum buffer by (1 - dampening)
  float weight_decay = 0.0f;  ///< L2: adds weight_decay * w to the gradient
  bool nesterov = false;      ///< Nesterov momentum; needs momentum > 0 and dampening 0
};

/// SGD as PyTorch defines it: g = grad + wd w; b = mu b + (1 - dampening) g (b = g on the first
/// step); w -= lr * (nesterov ? g + mu b : b). With a constant lr and no dampening this is the
/// classic momentum update v = mu v - lr g; w += v with v = -lr b, step for step.
class NN_API SGD : public Optimizer {
 public:
  /// SGD over `params`: `SGD(net.parameters(), {.lr = 0.1f, .momentum = 0.9f})`.
  /// @throws nn::Error when lr or momentum or weight_decay is negative, or nesterov is set without
  ///   momentum > 0 and dampening 0.
  SGD(std::vector<Parameter*> params, SGDOptions options = {});
  void step() override;
  std::string type_name() const override { return "SGD"; }
  nlohmann::json settings() const override;  ///< lr, momentum, dampening, weight_decay, nesterov
  std::vector<Tensor*> state(size_t i) override { return {&momentum_[i]}; }  ///< the momentum buffer b
  bool can_zero_grad_in_step() const override { return true; }  ///< step() can zero the gradients
  /// true: on a GPU the learning rate and the step count are read from the device.
  bool graph_capturable() const override { return true; }
  const SGDOptions& options() const { return options_; }  ///< the options it was built with

 private:
  void step_cuda();  ///< step() with the parameters on a CUDA device
  SGDOptions options_;
  std::vector<Tensor> momentum_;
};

/// The settings of nn::Adam and nn::AdamW (PyTorch's defaults, but for AdamW's weight decay).
struct NN_API AdamOptions {
  float lr = 1e-3f;           ///< the learning rate; >= 0
  float beta1 = 0.9f;         ///< decay of the first moment m; in [0, 1)
  float beta2 = 0.999f;       ///< decay of the second moment v; in [0, 1)
  float eps = 1e-8f;          ///< added to the denominator; >= 0
  float weight_decay = 0.0f;  ///< Adam: L2 added to the gradient; AdamW: decoupled decay
  bool amsgrad = false;       ///< AMSGrad: divide by the largest v so far (one more state tensor)
};

/// Adam (Kingma & Ba 2015) with PyTorch's update: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
class NN_API Adam : public Optimizer {
 public:
  /// Adam over `params`: `Adam(net.parameters(), {.lr = 3e-4f})`.
  /// @throws nn::Error when lr, eps or weight_decay is negative, or a beta is outside [0, 1).
  Adam(std::vector<Parameter*> params, AdamOptions options = {});
  void step() override;
  std::string type_name() const override { return decoupled_ ? "AdamW" : "Adam"; }
  nlohmann::json settings() const override;  ///< lr, beta1, beta2, eps, weight_decay, amsgrad
  std::vector<Tensor*> state(size_t i) override;  ///< m and v, and the running max of v with amsgrad
  bool can_zero_grad_in_step() const override { return true; }  ///< step() can zero the gradients
  /// true: on a GPU the learning rate and the step count (bias corrections) are read from the device.
  bool graph_capturable() const override { return true; }
  const AdamOptions& options() const { return options_; }  ///< the options it was built with

 protected:
  /// Adam, or AdamW when `decoupled` (weight decay applied to w, not added to the gradient).
  /// @throws nn::Error as the public constructor.
  Adam(std::vector<Parameter*> params, AdamOptions options, bool decoupled);

 private:
  void step_cuda();  ///< step() with the parameters on a CUDA device
  AdamOptions options_;
  bool decoupled_;
  std::vector<Tensor> m_, v_, vmax_;
};

/// The settings of nn::AdamW: those of AdamOptions with PyTorch's AdamW defaults, so that a
/// field left out keeps its AdamW default (weight decay 0.01, not Adam's 0).
struct NN_API AdamWOptions {
  float lr = 1e-3f;            ///< the learning rate; >= 0
  float beta1 = 0.9f;          ///< decay of the first moment m; in [0, 1)
  float beta2 = 0.999f;        ///< decay of the second moment v; in [0, 1)
  float eps = 1e-8f;           ///< added to the denominator; >= 0
  float weight_decay = 0.01f;  ///< decoupled decay: w *= 1 - lr * weight_decay before each step
  bool amsgrad = false;        ///< AMSGrad: divide by the largest v so far (one more state tensor)
};

/// AdamW (Loshchilov & Hutter 2019): w *= 1 - lr wd before the Adam step. PyTorch's default
/// weight decay is 0.01.
class NN_API AdamW : public Adam {
 public:
  /// AdamWOptions{}: PyTorch's defaults, weight decay 0.01.
  static AdamWOptions defaults() { return AdamWOptions{}; }
  /// AdamW over `params`: `AdamW(net.parameters(), {.lr = 3e-4f})` keeps the weight decay 0.01.
  /// @throws nn::Error when lr, eps or weight_decay is negative, or a beta is outside [0, 1).
  AdamW(std::vector<Parameter*> params, AdamWOptions options = {});
};

}  // namespace nn
