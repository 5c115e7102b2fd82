/// @file
/// Learning-rate schedulers, stepped once per epoch: StepLR, MultiStepLR, ExponentialLR,
/// CosineAnnealingLR (PyTorch's formulas, in closed form).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "nn/optim/optimizer.hpp"

namespace nn {

/// A learning-rate schedule, stepped once per epoch. Each computes the rate in closed form from the
/// optimizer's initial rate (lr0) and the epoch count, so its whole state is one integer and a
/// resumed run gets the same rate at the same epoch. It keeps a reference to the optimizer, which
/// must outlive it.
/// @code
/// nn::SGD opt(net.parameters(), {.lr = 0.1f});
/// nn::StepLR sched(opt, 30);           // 0.1 for epochs 0-29, 0.01 for 30-59, ...
/// for (int e = 0; e < 90; ++e) { train_one_epoch(); sched.step(); }
/// @endcode
class NN_API Scheduler {
 public:
  /// A schedule for `optimizer`, at epoch 0; lr0 is optimizer.initial_lr(). It does not change the
  /// optimizer's rate until step() or set_epoch().
  explicit Scheduler(Optimizer& optimizer);
  virtual ~Scheduler() = default;
  /// Advances one epoch and sets the optimizer's learning rate.
  void step();
  float lr() const { return optimizer_.lr(); }  ///< the optimizer's current learning rate
  /// The rate for a given epoch (0-based), without side effects.
  virtual float lr_at(int64_t epoch) const = 0;
  int64_t epoch() const { return epoch_; }  ///< the epochs stepped so far (0 at construction)
  /// Jumps to an epoch (a resumed run) and sets the optimizer's rate accordingly.
  /// @throws nn::Error when epoch < 0.
  void set_epoch(int64_t epoch);
  virtual std::string type_name() const = 0;  ///< the name as PyTorch spells it ("StepLR")

 protected:
  Optimizer& optimizer_;  ///< the optimizer whose rate it sets; not owned
  float base_lr_;         ///< lr0: the optimizer's initial rate
  int64_t epoch_ = 0;     ///< the current epoch
};

/// lr = lr0 * gamma^floor(epoch / step_size)
class NN_API StepLR : public Scheduler {
 public:
  /// Multiplies the rate by `gamma` every `step_size` epochs.
  /// @throws nn::Error when step_size <= 0 or gamma <= 0.
  StepLR(Optimizer& optimizer, int64_t step_size, float gamma = 0.1f);
  float lr_at(int64_t epoch) const override;
  std::string type_name() const override { return "StepLR"; }

 private:
  int64_t step_size_;
  float gamma_;
};

/// lr = lr0 * gamma^(number of milestones <= epoch)
class NN_API MultiStepLR : public Scheduler {
 public:
  /// Multiplies the rate by `gamma` at each of the epochs in `milestones`.
  /// @throws nn::Error when the milestones are not in increasing order or gamma <= 0.
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, float gamma = 0.1f);
  float lr_at(int64_t epoch) const override;
  std::string type_name() const override { return "MultiStepLR"; }

 private:
  std::vector<int64_t> milestones_;
  float gamma_;
};

/// lr = lr0 * gamma^epoch
class NN_API ExponentialLR : public Scheduler {
 public:
  /// Multiplies the rate by `gamma` every epoch.
  /// @throws nn::Error when gamma <= 0.
  ExponentialLR(Optimizer& optimizer, float gamma);
  float lr_at(int64_t epoch) const override;
  std::string type_name() const override { return "ExponentialLR"; }

 private:
  float gamma_;
};

/// lr = eta_min + (lr0 - eta_min) (1 + cos(pi epoch / t_max)) / 2, held at eta_min after t_max.
class NN_API CosineAnnealingLR : public Scheduler {
 public:
  /// Anneals from lr0 down to `eta_min` over `t_max` epochs along half a cosine.
  /// @throws nn::Error when t_max <= 0 or eta_min < 0.
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, float eta_min = 0.0f);
  float lr_at(int64_t epoch) const override;
  std::string type_name() const override { return "CosineAnnealingLR"; }

 private:
  int64_t t_max_;
  float eta_min_;
};

}  // namespace nn
