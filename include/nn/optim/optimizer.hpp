// Optimizers over a model's parameters. State (momentum buffers, Adam moments) belongs to each
// parameter object: slot i of the state goes with parameters()[i]. It is sized on the first
// step, so a Linear whose input size is inferred may be handed over before its first forward.
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

class NN_API Optimizer {
 public:
  explicit Optimizer(std::vector<Parameter*> params, float lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// Updates every parameter from its gradient.
  virtual void step() = 0;
  /// Sets every parameter's gradient to zero.
  void zero_grad();

  float lr() const { return lr_; }
  void set_lr(float lr);
  /// The learning rate the optimizer was built with; schedulers scale it.
  float initial_lr() const { return initial_lr_; }
  int64_t step_count() const { return steps_; }
  /// Whether every weight the latest step() wrote is finite (checked in the update loops, on data
  /// already in cache). The Trainer stops a diverging run on the first step that breaks it.
  bool last_step_finite() const { return last_step_finite_; }
  const std::vector<Parameter*>& params() const { return params_; }
  virtual std::string type_name() const = 0;
  /// What the optimizer is, as checkpoints compare it: {"type": type_name(), "lr": the initial rate,
  /// ...every option of the optimizer}, each float by json_float.
  virtual nlohmann::json settings() const;

  /// The state tensors of parameter i, in a fixed order (for checkpoints).
  virtual std::vector<Tensor*> state(size_t i) = 0;
  void set_step_count(int64_t steps) { steps_ = steps; }

 protected:
  /// Makes sure `buf` matches p's current shape (zero-filled when it had to change).
  static void ensure_like(Tensor& buf, const Parameter& p);
  /// Whether w[0..n) are all finite: an integer OR over the exponent bits, which vectorises.
  static bool all_finite(const float* w, int64_t n);
  std::vector<Parameter*> params_;
  float lr_;
  float initial_lr_;
  int64_t steps_ = 0;
  bool last_step_finite_ = true;
};

struct NN_API SGDOptions {
  float lr = 0.01f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;  ///< L2: adds weight_decay * w to the gradient
  bool nesterov = false;
};

/// SGD as PyTorch defines it: g = grad + wd w; b = mu b + (1 - dampening) g (b = g on the first
/// step); w -= lr * (nesterov ? g + mu b : b). With a constant lr and no dampening this is seed
/// 000's v = mu v - lr g; w += v with v = -lr b, step for step.
class NN_API SGD : public Optimizer {
 public:
  SGD(std::vector<Parameter*> params, SGDOptions options = {});
  void step() override;
  std::string type_name() const override { return "SGD"; }
  nlohmann::json settings() const override;  ///< lr, momentum, dampening, weight_decay, nesterov
  std::vector<Tensor*> state(size_t i) override { return {&momentum_[i]}; }
  const SGDOptions& options() const { return options_; }

 private:
  SGDOptions options_;
  std::vector<Tensor> momentum_;
};

struct NN_API AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;  ///< Adam: L2 added to the gradient; AdamW: decoupled decay
  bool amsgrad = false;
};

/// Adam (Kingma & Ba 2015) with PyTorch's update: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
class NN_API Adam : public Optimizer {
 public:
  Adam(std::vector<Parameter*> params, AdamOptions options = {});
  void step() override;
  std::string type_name() const override { return decoupled_ ? "AdamW" : "Adam"; }
  nlohmann::json settings() const override;  ///< lr, beta1, beta2, eps, weight_decay, amsgrad
  std::vector<Tensor*> state(size_t i) override;
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::vector<Parameter*> params, AdamOptions options, bool decoupled);

 private:
  AdamOptions options_;
  bool decoupled_;
  std::vector<Tensor> m_, v_, vmax_;
};

/// AdamW (Loshchilov & Hutter 2019): w *= 1 - lr wd before the Adam step. PyTorch's default
/// weight decay is 0.01.
class NN_API AdamW : public Adam {
 public:
  static AdamOptions defaults() { return AdamOptions{.weight_decay = 0.01f}; }
  AdamW(std::vector<Parameter*> params, AdamOptions options = defaults());
};

}  // namespace nn
