#include "nn/optim/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "nn/error.hpp"

namespace nn {

Scheduler::Scheduler(Optimizer& optimizer) : optimizer_(optimizer), base_lr_(optimizer.initial_lr()) {}

void Scheduler::step() { set_epoch(epoch_ + 1); }

void Scheduler::set_epoch(int64_t epoch) {
  NN_CHECK(epoch >= 0, type_name(), ": expected a non-negative epoch, found ", epoch);
  epoch_ = epoch;
  optimizer_.set_lr(lr_at(epoch));
}

namespace {
float power(float base, int64_t exponent) {
  return static_cast<float>(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
}
}  // namespace

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, float gamma)
    : Scheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  NN_CHECK(step_size > 0, "StepLR: expected step_size > 0, found ", step_size);
  NN_CHECK(gamma > 0.0f, "StepLR: expected gamma > 0, found ", gamma);
}

float StepLR::lr_at(int64_t epoch) const { return base_lr_ * power(gamma_, epoch / step_size_); }

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, float gamma)
    : Scheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  NN_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()),
           "MultiStepLR: expected milestones in increasing order");
  NN_CHECK(gamma > 0.0f, "MultiStepLR: expected gamma > 0, found ", gamma);
}

float MultiStepLR::lr_at(int64_t epoch) const {
  const auto reached = std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return base_lr_ * power(gamma_, reached);
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, float gamma) : Scheduler(optimizer), gamma_(gamma) {
  NN_CHECK(gamma > 0.0f, "ExponentialLR: expected gamma > 0, found ", gamma);
}

float ExponentialLR::lr_at(int64_t epoch) const { return base_lr_ * power(gamma_, epoch); }

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, float eta_min)
    : Scheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  NN_CHECK(t_max > 0, "CosineAnnealingLR: expected t_max > 0, found ", t_max);
  NN_CHECK(eta_min >= 0.0f, "CosineAnnealingLR: expected eta_min >= 0, found ", eta_min);
}

float CosineAnnealingLR::lr_at(int64_t epoch) const {
  const double e = static_cast<double>(std::min(epoch, t_max_));
  const double cosine = (1.0 + std::cos(std::numbers::pi * e / static_cast<double>(t_max_))) / 2.0;
  return static_cast<float>(eta_min_ + (base_lr_ - eta_min_) * cosine);
}

}  // namespace nn
