// Every layer on every device from one table (tests/device_table.hpp): the same module with the
// same initial weights run on the CPU and on the device must give the same output, input gradient,
// parameter gradients and buffers within 1e-4 relative, and pass a gradient check on the device.
// Without a GPU the CUDA cases are skipped with a message saying so.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device_table.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/gelu.hpp"
#include "nn/layers/layer_norm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/pool.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/ops/counter_rng.hpp"
#include "nn/random.hpp"

namespace {

using nn::Device;
using nn::Shape;
using nn::Tensor;
using nn::testing::max_relative_error;

constexpr double kTolerance = 1e-4;  // GPU against CPU, relative (the bound)

struct LayerCase {
  std::string name;
  std::function<std::unique_ptr<nn::Module>()> make;
  Shape input;
  bool eval = false;  // run in evaluation mode (batch norm's running statistics)
};

void PrintTo(const LayerCase& c, std::ostream* out) { *out << c.name; }

template <class M, class... Args>
std::function<std::unique_ptr<nn::Module>()> maker(Args... args) {
  return [=]() -> std::unique_ptr<nn::Module> { return std::make_unique<M>(args...); };
}

std::vector<LayerCase> layer_cases() {
  using nn::Size2;
  return {
      {"Linear", maker<nn::Linear>(int64_t{5}, int64_t{4}), Shape{6, 5}},
      {"LinearNoBiasWeightDecay",
       maker<nn::Linear>(int64_t{5}, int64_t{3}, nn::LinearOptions{.bias = false, .weight_decay = 0.1f}),
       Shape{4, 5}},
      {"Sigmoid", maker<nn::Sigmoid>(), Shape{6, 5}},
      {"Tanh", maker<nn::Tanh>(), Shape{6, 5}},
      {"ReLU", maker<nn::ReLU>(), Shape{2, 3, 4, 5}},
      {"LeakyReLU", maker<nn::LeakyReLU>(0.1f), Shape{6, 5}},
      {"Identity", maker<nn::Identity>(), Shape{6, 5}},
      {"Softmax", maker<nn::Softmax>(), Shape{6, 7}},
      {"GELU", maker<nn::GELU>(nn::GeluApproximate::none), Shape{6, 5}},
      {"GELUTanh", maker<nn::GELU>(nn::GeluApproximate::tanh), Shape{6, 5}},
      {"Flatten", maker<nn::Flatten>(), Shape{2, 3, 4, 5}},
      {"Conv2D", maker<nn::Conv2D>(int64_t{3}, int64_t{4}, Size2(3), nn::ConvOptions{.padding = 1}),
       Shape{2, 3, 6, 7}},
      {"Conv2DStride2", maker<nn::Conv2D>(int64_t{2}, int64_t{3}, Size2(3, 2), nn::ConvOptions{.stride = 2}),
       Shape{3, 2, 7, 8}},
      {"MaxPool2D", maker<nn::MaxPool2D>(Size2(2), Size2(0), Size2(0)), Shape{2, 3, 6, 8}},
      {"MaxPool2DPadded", maker<nn::MaxPool2D>(Size2(3), Size2(2), Size2(1)), Shape{2, 2, 7, 7}},
      {"AvgPool2D", maker<nn::AvgPool2D>(Size2(3), Size2(2), Size2(1)), Shape{2, 2, 7, 6}},
      {"BatchNorm1d", maker<nn::BatchNorm1d>(int64_t{5}, nn::BatchNormOptions{}), Shape{8, 5}},
      {"BatchNorm2d", maker<nn::BatchNorm2d>(int64_t{3}, nn::BatchNormOptions{}), Shape{4, 3, 5, 5}},
      {"BatchNorm2dEval", maker<nn::BatchNorm2d>(int64_t{3}, nn::BatchNormOptions{}), Shape{4, 3, 5, 5}, true},
      {"LayerNorm", maker<nn::LayerNorm>(int64_t{5}, nn::LayerNormOptions{}), Shape{6, 5}},
      {"DropoutEval", maker<nn::Dropout>(0.5f, nn::DropoutOptions{}), Shape{6, 5}, true},
      // A ReLU next to a MaxPool2D: one fused pass on the CPU, two layers on a GPU.
      {"SequentialReluMaxPool",
       [] {
         return std::unique_ptr<nn::Module>(
             std::make_unique<nn::Sequential>(nn::ReLU(), nn::MaxPool2D(nn::Size2(2), nn::Size2(0), nn::Size2(0))));
       },
       Shape{2, 3, 6, 8}},
  };
}

struct LayerOnDevice : ::testing::TestWithParam<std::tuple<Device, LayerCase>> {};

TEST_P(LayerOnDevice, MatchesCpu) {
  const auto& [device, c] = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  nn::manual_seed(7);
  std::unique_ptr<nn::Module> cpu = c.make();
  nn::manual_seed(7);
  std::unique_ptr<nn::Module> dev = c.make();
  cpu->train(!c.eval);
  dev->train(!c.eval);
  dev->to(device);
  const Tensor x = nn::testing::random_normal(c.input, 11);
  const Tensor& y_cpu = cpu->forward(x);
  const Tensor dy = nn::testing::random_normal(y_cpu.shape(), 13);
  const Tensor& dx_cpu = cpu->backward(dy);

  const Tensor xd = x.to(device), dyd = dy.to(device);
  const Tensor& y_dev = dev->forward(xd);
  EXPECT_EQ(y_dev.device(), device);
  EXPECT_LT(max_relative_error(y_dev, y_cpu), kTolerance) << c.name << ": output";
  const Tensor& dx_dev = dev->backward(dyd);
  EXPECT_LT(max_relative_error(dx_dev, dx_cpu), kTolerance) << c.name << ": input gradient";
  const auto pc = cpu->named_parameters();
  const auto pd = dev->named_parameters();
  ASSERT_EQ(pc.size(), pd.size());
  for (size_t i = 0; i < pc.size(); ++i) {
    EXPECT_EQ(pd[i].second->grad.device(), device) << pc[i].first;
    EXPECT_LT(max_relative_error(pd[i].second->grad, pc[i].second->grad), kTolerance) << c.name << ": "
                                                                                         << pc[i].first;
  }
  const auto bc = cpu->named_buffers();
  const auto bd = dev->named_buffers();
  ASSERT_EQ(bc.size(), bd.size());
  for (size_t i = 0; i < bc.size(); ++i)
    EXPECT_LT(max_relative_error(*bd[i].second, *bc[i].second), kTolerance) << c.name << ": " << bc[i].first;
}

// A central-difference check of the device's gradients of L = sum(y * r), every input element and
// every parameter element perturbed through a host copy.
TEST_P(LayerOnDevice, GradcheckOnDevice) {
  const auto& [device, c] = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  if (c.name.find("MaxPool") != std::string::npos) GTEST_SKIP() << "max pooling is not differentiable at ties; compared above";
  nn::manual_seed(3);
  std::unique_ptr<nn::Module> m = c.make();
  m->train(!c.eval);
  m->to(device);
  if (c.name == "LinearNoBiasWeightDecay") GTEST_SKIP() << "its gradient includes the L2 term, not part of sum(y * r)";
  std::vector<float> x = nn::testing::random_normal(c.input, 21).to_vector();
  for (float& v : x) v += v < 0.0f ? -0.05f : 0.05f;  // no input within the step of ReLU's kink
  const Tensor r = nn::testing::random_normal(m->forward(Tensor(c.input, std::span<const float>(x)).to(device)).shape(), 23);
  const Tensor rd = r.to(device);
  Tensor xd;  // alive until the backward (layers keep a pointer to their input)
  auto objective = [&]() {
    xd = Tensor(c.input, std::span<const float>(x)).to(device);
    const std::vector<float> y = m->forward(xd).to_vector();
    double s = 0.0;
    for (size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y[i]) * r[static_cast<int64_t>(i)];
    return s;
  };
  m->zero_grad();
  objective();
  const std::vector<float> dx = m->backward(rd).to_vector();
  const double h = 1e-2, atol = 1e-3, rtol = 1e-2;
  auto check = [&](std::vector<float>& values, const std::vector<float>& analytic, const std::string& where,
                   const std::function<void()>& store) {
    for (size_t i = 0; i < values.size(); ++i) {
      const float saved = values[i];
      values[i] = static_cast<float>(saved + h);
      store();
      const double up = objective();
      values[i] = static_cast<float>(saved - h);
      store();
      const double down = objective();
      values[i] = saved;
      store();
      const double numeric = (up - down) / (2 * h);
      const double a = analytic[i];
      EXPECT_LE(std::fabs(a - numeric), atol + rtol * std::max(std::fabs(a), std::fabs(numeric)))
          << c.name << ": " << where << "[" << i << "] analytic " << analytic[i] << ", numeric " << numeric;
    }
  };
  if (dx.size() == x.size()) check(x, dx, "input", [] {});
  for (auto& [name, p] : m->named_parameters()) {
    std::vector<float> values = p->data.to_vector();
    const std::vector<float> grad = p->grad.to_vector();
    const Shape shape = p->data.shape();
    check(values, grad, name, [&, p = p] { p->data = Tensor(shape, std::span<const float>(values)).to(device); });
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, LayerOnDevice,
                         ::testing::Combine(::testing::ValuesIn(nn::testing::device_cases()),
                                            ::testing::ValuesIn(layer_cases())),
                         nn::testing::device_and_case_name<LayerCase>);

// Dropout on a device: the mask of draw k is dropout_keeps(seed, k, i, p) with the seed the layer's
// generator gives first: the host recomputes it bit for bit, and the next forward draws a new one.
class DropoutOnDevice : public ::testing::TestWithParam<Device> {};

TEST_P(DropoutOnDevice, MaskIsTheCounterBasedGeneratorsBits) {
  const Device device = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(device);
  if (device.is_cpu()) GTEST_SKIP() << "the CPU's dropout draws from nn::Rng (its own tests)";
  const float p = 0.3f;
  nn::Dropout drop(p, {.seed = 99});
  const uint64_t seed = nn::Rng(99).next_u64();
  const Tensor x(Shape{7, 9}, 1.0f);
  const Tensor xd = x.to(device);
  for (uint64_t draw = 0; draw < 3; ++draw) {
    const std::vector<float> y = drop.forward(xd).to_vector();
    int kept = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      const float want = nn::dropout_keeps(seed, draw, i, p) ? 1.0f / (1.0f - p) : 0.0f;
      EXPECT_EQ(y[i], want) << "draw " << draw << ", element " << i;
      kept += y[i] != 0.0f;
    }
    EXPECT_GT(kept, 0);
    const std::vector<float> dx = drop.backward(Tensor(Shape{7, 9}, 2.0f).to(device)).to_vector();
    for (size_t i = 0; i < dx.size(); ++i) EXPECT_EQ(dx[i], 2.0f * y[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, DropoutOnDevice, ::testing::ValuesIn(nn::testing::device_cases()),
                         nn::testing::device_case_name);

}  // namespace
