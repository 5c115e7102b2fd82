// Learning-rate schedulers, stepped once per epoch. Each computes the rate in closed form from the
// optimizer's initial rate and the epoch count (seed 002's formulas), so its whole state is one
// integer and a resumed run gets the same rate at the same epoch.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "nn/optim/optimizer.hpp"

namespace nn {

class NN_API Scheduler {
 public:
  explicit Scheduler(Optimizer& optimizer);
  virtual ~Scheduler() = default;
  /// Advances one epoch and sets the optimizer's learning rate.
  void step();
  float lr() const { return optimizer_.lr(); }
  /// The rate for a given epoch (0-based), without side effects.
  virtual float lr_at(int64_t epoch) const = 0;
  int64_t epoch() const { return epoch_; }
  /// Jumps to an epoch (a resumed run) and sets the optimizer's rate accordingly.
  void set_epoch(int64_t epoch);
  virtual std::string type_name() const = 0;

 protected:
  Optimizer& optimizer_;
  float base_lr_;
  int64_t epoch_ = 0;
};

/// lr = lr0 * gamma^floor(epoch / step_size)
class NN_API StepLR : public Scheduler {
 public:
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
  ExponentialLR(Optimizer& optimizer, float gamma);
  float lr_at(int64_t epoch) const override;
  std::string type_name() const override { return "ExponentialLR"; }

 private:
  float gamma_;
};

/// lr = eta_min + (lr0 - eta_min) (1 + cos(pi epoch / t_max)) / 2, held at eta_min after t_max.
class NN_API CosineAnnealingLR : public Scheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, float eta_min = 0.0f);
  float lr_at(int64_t epoch) const override;
  std::string type_name() const override { return "CosineAnnealingLR"; }

 private:
  int64_t t_max_;
  float eta_min_;
};

}  // namespace nn
