// Every loss on every device from one table: value and gradient against the CPU within 1e-4
// relative, for dense targets, host labels and device labels through compute(), with the value left
// on the device until value() reads it. Without a GPU the CUDA cases are skipped with a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device_table.hpp"
#include "nn/error.hpp"
#include "nn/losses/loss.hpp"
#include "nn/random.hpp"

namespace {

using nn::Device;
using nn::Shape;
using nn::Tensor;
using nn::testing::max_relative_error;

constexpr double kTolerance = 1e-4;

enum class Pred { logits, probabilities, rows };  // rows: each row a softmax

Tensor make_pred(const Shape& shape, Pred kind, uint64_t seed) {
  nn::Rng rng(seed);
  Tensor t(shape);
  for (float& v : t.span()) v = static_cast<float>(rng.normal() * 2.0);
  if (kind == Pred::probabilities)
    for (float& v : t.span()) v = 1.0f / (1.0f + std::exp(-v));
  if (kind == Pred::rows) {
    const int64_t c = shape[1];
    for (int64_t r = 0; r < shape[0]; ++r) {
      float s = 0.0f;
      for (int64_t k = 0; k < c; ++k) s += (t[r * c + k] = std::exp(t[r * c + k]));
      for (int64_t k = 0; k < c; ++k) t[r * c + k] /= s;
    }
  }
  return t;
}

struct LossCase {
  std::string name;
  std::function<std::unique_ptr<nn::Loss>()> make;
  Shape pred;
  Pred kind;
  bool binary_labels;  // labels 0/1 for an (N, 1) prediction, else class indices
};

void PrintTo(const LossCase& c, std::ostream* out) { *out << c.name; }

template <class L, class... Args>
std::function<std::unique_ptr<nn::Loss>()> maker(Args... args) {
  return [=]() -> std::unique_ptr<nn::Loss> { return std::make_unique<L>(args...); };
}

std::vector<LossCase> loss_cases() {
  return {
      {"MSE", maker<nn::MSELoss>(), Shape{6, 4}, Pred::logits, false},
      {"MSEBinary", maker<nn::MSELoss>(), Shape{6, 1}, Pred::logits, true},
      {"BCE", maker<nn::BCELoss>(), Shape{6, 1}, Pred::probabilities, true},
      {"BCEWithLogits", maker<nn::BCEWithLogitsLoss>(), Shape{6, 1}, Pred::logits, true},
      {"CrossEntropy", maker<nn::CrossEntropyLoss>(), Shape{6, 5}, Pred::rows, false},
      {"SoftmaxCrossEntropy", maker<nn::SoftmaxCrossEntropyLoss>(), Shape{9, 5}, Pred::logits, false},
      {"SoftmaxCrossEntropyCancelled",
       [] {
         auto l = std::make_unique<nn::SoftmaxCrossEntropyLoss>();
         l->cancel_softmax();
         return std::unique_ptr<nn::Loss>(std::move(l));
       },
       Shape{6, 5}, Pred::rows, false},
  };
}

std::vector<int32_t> make_labels(const LossCase& c) {
  std::vector<int32_t> labels(static_cast<size_t>(c.pred[0]));
  const int32_t classes = c.binary_labels ? 2 : static_cast<int32_t>(c.pred[1]);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>((i * 7 + 3) % classes);
  return labels;
}

// A dense target: 0/1 for the binary losses, rows summing to 1 (soft labels) otherwise.
Tensor make_target(const LossCase& c) {
  if (c.binary_labels || c.name == "MSE") return make_pred(c.pred, Pred::probabilities, 31);
  return make_pred(c.pred, Pred::rows, 31);
}

// Labels as the raw bytes of a float tensor: copied to a device verbatim, they are int32 there.
Tensor labels_tensor(const std::vector<int32_t>& labels, Device device) {
  Tensor t(Shape{static_cast<int64_t>(labels.size())});
  std::memcpy(t.data(), labels.data(), labels.size() * sizeof(int32_t));
  return t.to(device);
}

struct LossOnDevice : ::testing::TestWithParam<std::tuple<Device, LossCase>> {};

TEST_P(LossOnDevice, DenseTargetMatchesCpu) {
  const auto& [device, c] = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  const Tensor pred = make_pred(c.pred, c.kind, 17), target = make_target(c);
  auto cpu = c.make(), dev = c.make();
  const float want = cpu->forward(pred, target);
  const Tensor pd = pred.to(device), td = target.to(device);
  const float got = dev->forward(pd, td);
  EXPECT_NEAR(got, want, kTolerance * std::max(1.0f, std::fabs(want))) << c.name;
  EXPECT_EQ(dev->backward().device(), device);
  EXPECT_LT(max_relative_error(dev->backward(), cpu->backward()), kTolerance) << c.name;
  // compute(): the same, the value read later.
  dev->compute(pd, td);
  EXPECT_EQ(dev->value_tensor().device(), device);
  EXPECT_NEAR(dev->value(), want, kTolerance * std::max(1.0f, std::fabs(want))) << c.name;
}

TEST_P(LossOnDevice, LabelsMatchCpu) {
  const auto& [device, c] = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  const Tensor pred = make_pred(c.pred, c.kind, 19);
  const std::vector<int32_t> labels = make_labels(c);
  auto cpu = c.make(), dev = c.make();
  const float want = cpu->forward(pred, labels);
  const Tensor pd = pred.to(device);
  EXPECT_NEAR(dev->forward(pd, labels), want, kTolerance * std::max(1.0f, std::fabs(want))) << c.name;
  EXPECT_LT(max_relative_error(dev->backward(), cpu->backward()), kTolerance) << c.name;
  if (device.is_cpu()) return;  // device labels exist on a GPU only
  const Tensor ld = labels_tensor(labels, device);
  auto fresh = c.make();
  fresh->compute(pd, nn::DeviceLabels{reinterpret_cast<const int32_t*>(ld.data()), ld.numel()});
  EXPECT_NEAR(fresh->value(), want, kTolerance * std::max(1.0f, std::fabs(want))) << c.name;
  EXPECT_LT(max_relative_error(fresh->backward(), cpu->backward()), kTolerance) << c.name;
}

TEST_P(LossOnDevice, DeviceLabelOutOfRangeIsReportedByValue) {
  const auto& [device, c] = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  if (device.is_cpu()) GTEST_SKIP() << "device labels exist on a GPU only (the CPU checks labels in forward)";
  std::vector<int32_t> labels = make_labels(c);
  labels[1] = 1000;
  const Tensor pd = make_pred(c.pred, c.kind, 19).to(device);
  const Tensor ld = labels_tensor(labels, device);
  auto loss = c.make();
  loss->compute(pd, nn::DeviceLabels{reinterpret_cast<const int32_t*>(ld.data()), ld.numel()});
  EXPECT_THROW(loss->value(), nn::Error) << c.name;
}

// A central-difference check of the device's gradient: each prediction element perturbed through a
// host copy, the loss read back from the device.
TEST_P(LossOnDevice, GradcheckOnDevice) {
  const auto& [device, c] = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  Tensor pred = make_pred(c.pred, c.kind, 23);
  if (c.kind != Pred::logits)  // keep p +- h inside (0, 1)
    for (float& v : pred.span()) v = std::clamp(v, 0.05f, 0.95f);
  const Tensor target = make_target(c).to(device);
  auto loss = c.make();
  std::vector<float> values = pred.to_vector();
  Tensor pd;  // alive while the loss's gradient refers to it
  auto value = [&]() {
    pd = Tensor(c.pred, std::span<const float>(values)).to(device);
    return static_cast<double>(loss->forward(pd, target));
  };
  value();
  const std::vector<float> analytic = loss->backward().to_vector();
  const double h = 1e-3, atol = 1e-3, rtol = 1e-2;
  for (size_t i = 0; i < values.size(); ++i) {
    const float saved = values[i];
    values[i] = static_cast<float>(saved + h);
    const double up = value();
    values[i] = static_cast<float>(saved - h);
    const double down = value();
    values[i] = saved;
    const double numeric = (up - down) / (2 * h), a = analytic[i];
    EXPECT_LE(std::fabs(a - numeric), atol + rtol * std::max(std::fabs(a), std::fabs(numeric)))
        << c.name << ": pred[" << i << "] analytic " << a << ", numeric " << numeric;
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, LossOnDevice,
                         ::testing::Combine(::testing::ValuesIn(nn::testing::device_cases()),
                                            ::testing::ValuesIn(loss_cases())),
                         nn::testing::device_and_case_name<LossCase>);

// compute() on the CPU is forward(), and value()/value_tensor() give its value.
TEST(LossCompute, OnTheCpuIsForward) {
  nn::SoftmaxCrossEntropyLoss loss;
  const Tensor pred = make_pred(Shape{4, 3}, Pred::logits, 5), target = make_pred(Shape{4, 3}, Pred::rows, 6);
  const float want = nn::SoftmaxCrossEntropyLoss().forward(pred, target);
  EXPECT_THROW(loss.value(), nn::Error);  // nothing computed yet
  loss.compute(pred, target);
  EXPECT_EQ(loss.value(), want);
  EXPECT_EQ(loss.value_tensor().device(), Device::cpu());
  EXPECT_EQ(loss.value_tensor().shape(), Shape{1});
  EXPECT_EQ(loss.value_tensor()[0], want);
}

TEST(LossCompute, DeviceLabelsNeedAPredictionOnADevice) {
  nn::SoftmaxCrossEntropyLoss loss;
  const Tensor pred(Shape{2, 3});
  const int32_t labels[2] = {0, 1};
  EXPECT_THROW(loss.compute(pred, nn::DeviceLabels{labels, 2}), nn::Error);
}

}  // namespace
