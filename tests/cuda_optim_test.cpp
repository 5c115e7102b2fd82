// Optimizers and gradient clipping on every device from one table, and whole training steps: a
// small MLP trained a few steps on the device must follow the CPU's losses and weights within 1e-4
// relative. Without a GPU the CUDA cases are skipped with a message saying so.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device_table.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/clip_grad.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/random.hpp"

namespace {

using nn::Device;
using nn::Shape;
using nn::Tensor;
using nn::testing::max_relative_error;

constexpr double kTolerance = 1e-4;

std::unique_ptr<nn::Sequential> mlp() {
  nn::manual_seed(5);
  return std::make_unique<nn::Sequential>(nn::Linear(6, 8), nn::Tanh(), nn::Linear(8, 3));
}

struct OptimizerCase {
  std::string name;
  std::function<std::unique_ptr<nn::Optimizer>(std::vector<nn::Parameter*>)> make;
};

void PrintTo(const OptimizerCase& c, std::ostream* out) { *out << c.name; }

std::vector<OptimizerCase> optimizer_cases() {
  return {
      {"SGD", [](auto p) { return std::make_unique<nn::SGD>(p, nn::SGDOptions{.lr = 0.1f}); }},
      {"SGDMomentumDampening",
       [](auto p) {
         return std::make_unique<nn::SGD>(p, nn::SGDOptions{.lr = 0.1f, .momentum = 0.9f, .dampening = 0.1f});
       }},
      {"SGDNesterovWeightDecay",
       [](auto p) {
         return std::make_unique<nn::SGD>(
             p, nn::SGDOptions{.lr = 0.05f, .momentum = 0.9f, .weight_decay = 0.01f, .nesterov = true});
       }},
      {"Adam", [](auto p) { return std::make_unique<nn::Adam>(p, nn::AdamOptions{.lr = 0.01f, .weight_decay = 0.01f}); }},
      {"AdamW", [](auto p) { return std::make_unique<nn::AdamW>(p, nn::AdamWOptions{.lr = 0.01f}); }},
      {"AMSGrad", [](auto p) { return std::make_unique<nn::Adam>(p, nn::AdamOptions{.lr = 0.01f, .amsgrad = true}); }},
  };
}

struct OptimizerOnDevice : ::testing::TestWithParam<std::tuple<Device, OptimizerCase>> {};

// Five steps with labels, one learning-rate change in between (a scheduler's), on both devices.
TEST_P(OptimizerOnDevice, TrainingStepsMatchCpu) {
  const auto& [device, c] = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  auto cpu = mlp(), dev = mlp();
  dev->to(device);
  auto opt_cpu = c.make(cpu->parameters()), opt_dev = c.make(dev->parameters());
  nn::SoftmaxCrossEntropyLoss loss_cpu, loss_dev;
  const Tensor x = nn::testing::random_normal(Shape{10, 6}, 3);
  const Tensor xd = x.to(device);
  const std::vector<int32_t> labels = {0, 1, 2, 0, 1, 2, 2, 1, 0, 0};
  for (int step = 0; step < 5; ++step) {
    if (step == 3) {
      opt_cpu->set_lr(opt_cpu->lr() * 0.5f);
      opt_dev->set_lr(opt_dev->lr() * 0.5f);
    }
    opt_cpu->zero_grad();
    opt_dev->zero_grad();
    const float want = loss_cpu.forward(cpu->forward(x), labels);
    const float got = loss_dev.forward(dev->forward(xd), labels);
    EXPECT_NEAR(got, want, kTolerance * std::max(1.0f, std::fabs(want))) << c.name << " step " << step;
    cpu->backward(loss_cpu.backward());
    dev->backward(loss_dev.backward());
    opt_cpu->step();
    opt_dev->step();
    EXPECT_TRUE(opt_dev->last_step_finite());
  }
  EXPECT_EQ(opt_dev->step_count(), 5);
  opt_dev->sync_step_count();
  EXPECT_EQ(opt_dev->step_count(), 5);
  const auto pc = cpu->named_parameters(), pd = dev->named_parameters();
  for (size_t i = 0; i < pc.size(); ++i) {
    EXPECT_EQ(pd[i].second->data.device(), device);
    EXPECT_LT(max_relative_error(pd[i].second->data, pc[i].second->data), kTolerance) << c.name << " "
                                                                                        << pc[i].first;
  }
  for (size_t i = 0; i < pc.size(); ++i) {
    const auto sc = opt_cpu->state(i), sd = opt_dev->state(i);
    ASSERT_EQ(sc.size(), sd.size());
    for (size_t k = 0; k < sc.size(); ++k)
      if (sc[k]->defined()) {
        EXPECT_LT(max_relative_error(*sd[k], *sc[k]), kTolerance) << c.name << " state " << k;
      }
  }
}

// A step that writes a non-finite weight is reported on the device too.
TEST_P(OptimizerOnDevice, NonFiniteStepIsReported) {
  const auto& [device, c] = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  auto dev = mlp();
  dev->to(device);
  auto opt = c.make(dev->parameters());
  opt->zero_grad();
  for (nn::Parameter* p : dev->parameters()) p->grad.fill(INFINITY);
  opt->step();
  EXPECT_FALSE(opt->last_step_finite()) << c.name;
}

// With set_zero_grad_in_step (what the Trainer uses), the step leaves every gradient zero and the
// weights the same as a plain step followed by zero_grad(), on every device.
TEST_P(OptimizerOnDevice, ZeroGradInStepLeavesZeroGradients) {
  const auto& [device, c] = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  auto plain = mlp(), fused = mlp();
  plain->to(device);
  fused->to(device);
  auto opt_plain = c.make(plain->parameters()), opt_fused = c.make(fused->parameters());
  ASSERT_TRUE(opt_fused->set_zero_grad_in_step(true)) << c.name;
  nn::SoftmaxCrossEntropyLoss loss_plain, loss_fused;
  const Tensor x = nn::testing::random_normal(Shape{10, 6}, 4).to(device);
  const std::vector<int32_t> labels = {2, 1, 0, 0, 1, 2, 2, 1, 0, 1};
  opt_fused->zero_grad();
  for (int step = 0; step < 3; ++step) {
    opt_plain->zero_grad();
    loss_plain.forward(plain->forward(x), labels);
    loss_fused.forward(fused->forward(x), labels);
    plain->backward(loss_plain.backward());
    fused->backward(loss_fused.backward());
    opt_plain->step();
    opt_fused->step();
    for (nn::Parameter* p : fused->parameters())
      for (float g : p->grad.to_vector()) ASSERT_EQ(g, 0.0f) << c.name << " step " << step;
  }
  const auto pp = plain->named_parameters(), pf = fused->named_parameters();
  for (size_t i = 0; i < pp.size(); ++i)
    EXPECT_EQ(pf[i].second->data.to_vector(), pp[i].second->data.to_vector()) << c.name << " " << pp[i].first;
}

INSTANTIATE_TEST_SUITE_P(Devices, OptimizerOnDevice,
                         ::testing::Combine(::testing::ValuesIn(nn::testing::device_cases()),
                                            ::testing::ValuesIn(optimizer_cases())),
                         nn::testing::device_and_case_name<OptimizerCase>);

class ClipOnDevice : public ::testing::TestWithParam<Device> {};

TEST_P(ClipOnDevice, NormAndValueMatchCpu) {
  const Device device = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  for (const float norm_type : {2.0f, INFINITY}) {
    auto cpu = mlp(), dev = mlp();
    dev->to(device);
    for (auto* m : {cpu.get(), dev.get()}) {
      uint64_t seed = 40;
      for (nn::Parameter* p : m->parameters()) {
        const Tensor g = nn::testing::random_normal(p->grad.shape(), seed++);
        p->grad.copy_from(g.to(p->grad.device()));
      }
    }
    const float want = nn::clip_grad_norm_(cpu->parameters(), 0.5f, norm_type);
    const float got = nn::clip_grad_norm_(dev->parameters(), 0.5f, norm_type);
    EXPECT_NEAR(got, want, kTolerance * want) << "norm type " << norm_type;
    nn::clip_grad_value_(cpu->parameters(), 0.01f);
    nn::clip_grad_value_(dev->parameters(), 0.01f);
    const auto pc = cpu->parameters(), pd = dev->parameters();
    for (size_t i = 0; i < pc.size(); ++i)
      EXPECT_LT(max_relative_error(pd[i]->grad, pc[i]->grad), kTolerance) << "parameter " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, ClipOnDevice, ::testing::ValuesIn(nn::testing::device_cases()),
                         nn::testing::device_case_name);

}  // namespace
