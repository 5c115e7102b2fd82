// The device table: every layer, loss and optimizer test that runs on each device takes its
// devices from here. On a machine without a GPU the CUDA cases are still listed, and skipped with
// a message saying so (GTEST_SKIP), so a run shows what it did not check.
//
//   class LinearOnDevice : public ::testing::TestWithParam<nn::Device> {};
//   TEST_P(LinearOnDevice, MatchesCpu) {
//     NN_SKIP_UNLESS_AVAILABLE(GetParam());
//     ... run on GetParam(), compare with the CPU through nn::testing::max_relative_error ...
//   }
//   INSTANTIATE_TEST_SUITE_P(Devices, LinearOnDevice, ::testing::ValuesIn(nn::testing::device_cases()),
//                            nn::testing::device_case_name);
#pragma once

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "nn/device.hpp"
#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn {
// How GoogleTest prints a Device parameter: "cpu", "cuda:0".
inline void PrintTo(const Device& d, std::ostream* os) { *os << d.str(); }
}  // namespace nn

namespace nn::testing {

// The CPU and every CUDA device this machine has: the devices a loop over "everything available" visits.
inline std::vector<Device> devices() {
  std::vector<Device> out{Device::cpu()};
  for (int i = 0; i < cuda::device_count(); ++i) out.push_back(Device::cuda(i));
  return out;
}

// The cases of a device-parameterised test: the CPU and every CUDA device, or the CPU and cuda:0
// when the machine has none, so the GPU case exists and is skipped with a message.
inline std::vector<Device> device_cases() {
  std::vector<Device> out{Device::cpu()};
  const int n = std::max(1, cuda::device_count());
  for (int i = 0; i < n; ++i) out.push_back(Device::cuda(i));
  return out;
}

// Why `device` cannot run here ("" when it can).
inline std::string unavailable_reason(Device device) {
  if (device.is_cpu()) return {};
  if (!cuda::built()) return "no CUDA device: nn was built without CUDA (NN_CUDA=OFF), " + device.str() + " skipped";
  if (device.index() >= cuda::device_count())
    return "no CUDA device: this machine has " + std::to_string(cuda::device_count()) +
           " CUDA devices (no GPU or no driver), " + device.str() + " skipped";
  return {};
}

// The test name suffix of a device case: "cpu", "cuda0".
inline std::string device_case_name(const ::testing::TestParamInfo<Device>& info) {
  return info.param.is_cpu() ? std::string("cpu") : "cuda" + std::to_string(info.param.index());
}

// The test name suffix of a (device, case) pair whose case has a `name`: "Linear_cpu", "Adam_cuda0".
template <class Case>
std::string device_and_case_name(const ::testing::TestParamInfo<std::tuple<Device, Case>>& info) {
  const Device device = std::get<0>(info.param);
  return std::get<1>(info.param).name + "_" + (device.is_cpu() ? "cpu" : "cuda" + std::to_string(device.index()));
}

// A CPU tensor of this shape with standard normal values drawn from Rng(seed).
inline Tensor random_normal(const Shape& shape, uint64_t seed) {
  Rng rng(seed);
  Tensor t(shape);
  for (float& v : t.span()) v = static_cast<float>(rng.normal());
  return t;
}

// The largest |got - want| / max(|want|, floor) over the elements, after copying `got` (on any
// device) to the host; floor = 1e-3 * max |want| (at least 1e-30) keeps elements near zero from
// dominating. Infinity when the shapes differ or a value is NaN in one and not the other.
inline double max_relative_error(const Tensor& got, const Tensor& want) {
  if (!(got.shape() == want.shape())) return INFINITY;
  const std::vector<float> g = got.to_vector(), w = want.to_vector();
  double scale = 0;
  for (float v : w) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  const double floor = std::max(1e-3 * scale, 1e-30);
  double worst = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(g[i]) != std::isnan(w[i])) return INFINITY;
    if (std::isnan(w[i])) continue;
    const double err = std::fabs(static_cast<double>(g[i]) - w[i]) / std::max(std::fabs(static_cast<double>(w[i])), floor);
    worst = std::max(worst, err);
  }
  return worst;
}

}  // namespace nn::testing

// Skips the running test, with the reason, when `device` is not available on this machine.
#define NN_SKIP_UNLESS_AVAILABLE(device)                                        \
  do {                                                                          \
    const std::string nn_skip_reason_ = ::nn::testing::unavailable_reason(device); \
    if (!nn_skip_reason_.empty()) GTEST_SKIP() << nn_skip_reason_;              \
  } while (false)
