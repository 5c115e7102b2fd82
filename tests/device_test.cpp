// nn::Device (parsing, printing, errors), nn::cuda's questions on this machine, and tensors and
// modules moved between devices. The CPU cases run everywhere; the CUDA cases come from the device
// table (device_table.hpp) and are skipped, with the reason, where there is no GPU.
#include <cstring>

#include <gtest/gtest.h>

#include "cuda/runtime.hpp"
#include "device_table.hpp"
#include "nn/device.hpp"
#include "nn/error.hpp"
#include "nn/io/model_io.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/tensor.hpp"
#include "nn/version.hpp"
#include "support/support.hpp"

namespace nn {
namespace {

using test::error_of;

TEST(Device, DefaultIsTheCpu) {
  constexpr Device d;
  static_assert(d == Device::cpu());
  EXPECT_TRUE(d.is_cpu());
  EXPECT_FALSE(d.is_cuda());
  EXPECT_EQ(d.type(), Device::Type::cpu);
  EXPECT_EQ(d.index(), 0);
  EXPECT_EQ(d.str(), "cpu");
}

TEST(Device, CudaDevicesAreNumbered) {
  constexpr Device d = Device::cuda(3);
  EXPECT_TRUE(d.is_cuda());
  EXPECT_EQ(d.type(), Device::Type::cuda);
  EXPECT_EQ(d.index(), 3);
  EXPECT_EQ(d.str(), "cuda:3");
  EXPECT_EQ(Device::cuda().str(), "cuda:0");
  EXPECT_EQ(Device::cuda(), Device::cuda(0));
  EXPECT_NE(Device::cuda(0), Device::cuda(1));
  EXPECT_NE(Device::cuda(0), Device::cpu());
}

TEST(Device, ParsesWhatItPrints) {
  EXPECT_EQ(Device::parse("cpu"), Device::cpu());
  EXPECT_EQ(Device::parse("cuda"), Device::cuda(0));
  EXPECT_EQ(Device::parse("cuda:0"), Device::cuda(0));
  EXPECT_EQ(Device::parse("cuda:7"), Device::cuda(7));
  EXPECT_EQ(Device::parse("cuda:1023"), Device::cuda(1023));
  for (Device d : {Device::cpu(), Device::cuda(0), Device::cuda(12)}) EXPECT_EQ(Device::parse(d.str()), d);
}

TEST(Device, RejectsOtherNamesWithTheAcceptedForms) {
  for (const char* bad : {"", "gpu", "CPU", "Cuda", "cuda:", "cuda:-1", "cuda:+1", "cuda:x", "cuda:1x", "cuda: 1",
                          "cuda:1024", "cuda:99999999999999999999", "cuda0", " cpu", "cpu:0", "auto"}) {
    const std::string m = error_of([&] { Device::parse(bad); });
    EXPECT_HAS(m, "expected cpu, cuda or cuda:N");
    EXPECT_HAS(m, std::string("found '") + bad + "'");
  }
}

// NN_CUDA (nn/version.hpp) is defined when the CUDA backend is built.
TEST(Device, CudaBuiltSaysHowNnWasConfigured) {
#ifdef NN_CUDA
  EXPECT_TRUE(cuda::built());
#else
  EXPECT_FALSE(cuda::built());
  EXPECT_EQ(cuda::device_count(), 0);  // without the backend there is never a device
#endif
  EXPECT_EQ(cuda::built(), cuda::detail::built());
}

TEST(Device, AvailabilityAndTheDefaultAgree) {
  const int n = cuda::device_count();  // never throws: 0 without a driver or a GPU
  EXPECT_GE(n, 0);
  EXPECT_EQ(cuda::is_available(), n > 0);
  EXPECT_EQ(default_device(), n > 0 ? Device::cuda(0) : Device::cpu());
  if (!cuda::built()) {
    EXPECT_EQ(n, 0);
  }
}

TEST(Device, WithoutAGpuUsingOneIsAnErrorNamingIt) {
  if (cuda::is_available()) GTEST_SKIP() << "this machine has a CUDA device: the no-GPU errors are not reachable";
  const std::string m = error_of([] { Tensor t(Shape{2, 3}, Device::cuda(0)); });
  EXPECT_HAS(m, "cuda:0");
  EXPECT_HAS(m, cuda::built() ? "no such CUDA device (this machine has 0 CUDA devices)" : "nn was built without CUDA");
  // A failed move leaves the tensor where it was, values and all.
  Tensor x(Shape{2}, {1.0f, 2.0f});
  EXPECT_FALSE(error_of([&] { x.to_(Device::cuda(1)); }).empty());
  EXPECT_TRUE(x.device().is_cpu());
  EXPECT_EQ(x.to_vector(), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_FALSE(error_of([&] { (void)x.to(Device::cuda()); }).empty());
}

TEST(Device, RuntimeLayerWithoutAGpuThrowsAndCountsNone) {
  if (cuda::is_available()) GTEST_SKIP() << "this machine has a CUDA device";
  EXPECT_FALSE(cuda::detail::capturing());
  EXPECT_HAS(error_of([] { cuda::detail::stream(); }), cuda::built() ? "no CUDA device" : "built without CUDA");
  EXPECT_HAS(error_of([] { cuda::detail::device_alloc(16); }), cuda::built() ? "no CUDA device" : "built without CUDA");
  EXPECT_HAS(error_of([] { cuda::detail::set_device(0); }), "cuda:0");
  cuda::detail::device_free(nullptr);  // no-ops, never throw
  cuda::detail::pinned_free(nullptr);
  cuda::detail::destroy_graph(nullptr);
  cuda::detail::abort_capture();
}

// ---- tensors on the CPU -------------------------------------------------------------------------

TEST(TensorDevice, CpuIsWhereTensorsLiveByDefault) {
  Tensor undefined;
  EXPECT_TRUE(undefined.device().is_cpu());
  Tensor z(Shape{2, 3}, Device::cpu());
  EXPECT_TRUE(z.device().is_cpu());
  EXPECT_FALSE(z.is_cuda());
  EXPECT_EQ(z.to_vector(), std::vector<float>(6, 0.0f));
  Tensor moved = std::move(z);
  EXPECT_TRUE(moved.device().is_cpu());
}

TEST(TensorDevice, ToTheSameDeviceIsACopy) {
  Tensor x = test::random_tensor(Shape{3, 4}, 5);
  Tensor y = x.to(Device::cpu());
  EXPECT_EQ(test::bits(y), test::bits(x));
  EXPECT_NE(y.data(), x.data());
  EXPECT_EQ(y.shape(), x.shape());
  const float* before = x.data();
  x.to_(Device::cpu());  // already there: nothing moves
  EXPECT_EQ(x.data(), before);
  EXPECT_FALSE(Tensor().to(Device::cpu()).defined());
}

TEST(TensorDevice, ResizeOnTheSameDeviceKeepsTheStorage) {
  Tensor x(Shape{4, 4});
  const float* before = x.data();
  x.resize(Shape{2, 8}, Device::cpu());
  EXPECT_EQ(x.data(), before);
  x.resize(Shape{3, 3});
  EXPECT_EQ(x.data(), before);
  EXPECT_TRUE(x.device().is_cpu());
}

TEST(TensorDevice, CopyFromToADeviceTakesShapeAndValues) {
  Tensor src = test::random_tensor(Shape{2, 5}, 9);
  Tensor dst;
  dst.copy_from(src, Device::cpu());
  EXPECT_EQ(dst.shape(), src.shape());
  EXPECT_EQ(test::bits(dst), test::bits(src));
}

TEST(TensorDevice, SizeLimitAppliesToEveryDevice) {
  TensorSizeLimit limit(64);
  EXPECT_HAS(error_of([] { Tensor t(Shape{100}, Device::cpu()); }), "more than the limit of 64 bytes");
  if (cuda::is_available()) {
    EXPECT_HAS(error_of([] { Tensor t(Shape{100}, Device::cuda()); }), "more than the limit of 64 bytes");
  }
}

TEST(ModuleDevice, ToCpuKeepsEverythingAndSaysWhere) {
  Sequential net(Linear(3, 4), ReLU(), BatchNorm1d(4), Linear(4, 2));
  const io::StateDict before = io::state_dict(net);
  EXPECT_TRUE(net.device().is_cpu());
  Module& same = net.to(Device::cpu());
  EXPECT_EQ(&same, &net);
  EXPECT_TRUE(net.device().is_cpu());
  const io::StateDict after = io::state_dict(net);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].first, before[i].first);
    EXPECT_EQ(test::bits(after[i].second), test::bits(before[i].second)) << after[i].first;
    EXPECT_TRUE(after[i].second.device().is_cpu());
  }
}

TEST(ModuleDevice, AMoveToAMissingGpuFailsBeforeMovingAnything) {
  if (cuda::is_available()) GTEST_SKIP() << "this machine has a CUDA device";
  Sequential net(Linear(3, 4), ReLU(), Linear(4, 2));
  EXPECT_FALSE(error_of([&] { net.to(Device::cuda(0)); }).empty());
  EXPECT_TRUE(net.device().is_cpu());
  for (Parameter* p : net.parameters()) EXPECT_TRUE(p->data.device().is_cpu());
}

// ---- every device of the table (the CUDA cases skipped without a GPU) ----------------------------

class OnDevice : public ::testing::TestWithParam<Device> {};

TEST_P(OnDevice, TensorRoundTripIsExact) {
  NN_SKIP_UNLESS_AVAILABLE(GetParam());
  const Device d = GetParam();
  const Tensor x = test::random_tensor(Shape{7, 13}, 3);
  Tensor on = x.to(d);
  EXPECT_EQ(on.device(), d);
  EXPECT_EQ(on.is_cuda(), d.is_cuda());
  EXPECT_EQ(on.shape(), x.shape());
  EXPECT_EQ(test::bits(on.to(Device::cpu())), test::bits(x));
  EXPECT_EQ(on.to_vector(), x.to_vector());
  on.to_(Device::cpu());
  EXPECT_TRUE(on.device().is_cpu());
  EXPECT_EQ(test::bits(on), test::bits(x));
}

TEST_P(OnDevice, FillCloneAndCopyWorkThere) {
  NN_SKIP_UNLESS_AVAILABLE(GetParam());
  const Device d = GetParam();
  Tensor z(Shape{3, 5}, d);
  EXPECT_EQ(z.device(), d);
  EXPECT_EQ(z.to_vector(), std::vector<float>(15, 0.0f));
  z.fill(2.5f);
  EXPECT_EQ(z.to_vector(), std::vector<float>(15, 2.5f));
  Tensor c = z.clone();
  EXPECT_EQ(c.device(), d);
  EXPECT_NE(c.data(), z.data());
  z.zero();
  EXPECT_EQ(c.to_vector(), std::vector<float>(15, 2.5f));
  EXPECT_EQ(z.to_vector(), std::vector<float>(15, 0.0f));
  // copy_from follows the source's device; the two-argument form puts the copy where it is told.
  const Tensor host = test::random_tensor(Shape{4, 2}, 11);
  Tensor dst;
  dst.copy_from(host, d);
  EXPECT_EQ(dst.device(), d);
  EXPECT_EQ(dst.to_vector(), host.to_vector());
  Tensor follow;
  follow.copy_from(dst);
  EXPECT_EQ(follow.device(), d);
  EXPECT_EQ(follow.to_vector(), host.to_vector());
  Tensor back(Shape{1});
  back.copy_from(dst, Device::cpu());
  EXPECT_EQ(test::bits(back), test::bits(host));
}

TEST_P(OnDevice, ResizeKeepsTheDeviceAndReusesStorage) {
  NN_SKIP_UNLESS_AVAILABLE(GetParam());
  const Device d = GetParam();
  Tensor t;
  t.resize(Shape{8, 8}, d);
  EXPECT_EQ(t.device(), d);
  const float* before = t.data();
  t.resize(Shape{4, 4});  // smaller: same storage, same device
  EXPECT_EQ(t.data(), before);
  EXPECT_EQ(t.device(), d);
  t.resize(Shape{2, 32}, d);
  EXPECT_EQ(t.data(), before);
  t.resize(Shape{2, 3}, Device::cpu());  // another device: new storage there
  EXPECT_TRUE(t.device().is_cpu());
  EXPECT_EQ(t.numel(), 6);
}

TEST_P(OnDevice, ModuleMovesParametersGradientsAndBuffers) {
  NN_SKIP_UNLESS_AVAILABLE(GetParam());
  const Device d = GetParam();
  Sequential net(Linear(3, 4), ReLU(), BatchNorm1d(4), Linear(4, 2));
  for (Parameter* p : net.parameters()) test::fill_uniform(p->grad, 17);
  const io::StateDict before = io::state_dict(net);
  std::vector<std::vector<float>> grads;
  for (Parameter* p : net.parameters()) grads.push_back(p->grad.to_vector());
  net.to(d);
  EXPECT_EQ(net.device(), d);
  for (const auto& [name, child] : net.children()) EXPECT_EQ(child->device(), d) << name;
  const std::vector<Parameter*> params = net.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i]->data.device(), d);
    EXPECT_EQ(params[i]->grad.device(), d);
    EXPECT_EQ(params[i]->grad.to_vector(), grads[i]);
  }
  for (Tensor* b : net.buffers()) EXPECT_EQ(b->device(), d);
  const io::StateDict after = io::state_dict(net);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i].second.to_vector(), before[i].second.to_vector());
  net.to(Device::cpu());
  for (Parameter* p : net.parameters()) EXPECT_TRUE(p->data.device().is_cpu());
}

TEST_P(OnDevice, OptimizerStateMovesWithItsValues) {
  NN_SKIP_UNLESS_AVAILABLE(GetParam());
  const Device d = GetParam();
  Sequential net(Linear(3, 2));
  Adam opt(net.parameters(), {.lr = 0.1f});
  for (Parameter* p : net.parameters()) test::fill_uniform(p->grad, 23);
  opt.step();  // on the CPU: sizes m and v
  std::vector<std::vector<float>> state;
  for (size_t i = 0; i < opt.params().size(); ++i)
    for (Tensor* t : opt.state(i)) state.push_back(t->to_vector());
  net.to(d);
  opt.to(d);
  size_t k = 0;
  for (size_t i = 0; i < opt.params().size(); ++i)
    for (Tensor* t : opt.state(i)) {
      EXPECT_EQ(t->device(), d);
      EXPECT_EQ(t->to_vector(), state[k++]);
    }
}

TEST_P(OnDevice, FilesAreTheSameFromEveryDevice) {
  NN_SKIP_UNLESS_AVAILABLE(GetParam());
  const Device d = GetParam();
  test::TempDir dir;
  Sequential net(Linear(3, 4), ReLU(), Linear(4, 2));
  io::save(net, dir / "cpu.safetensors");
  net.to(d);
  io::save(net, dir / "device.safetensors");
  EXPECT_EQ(test::read_file(dir / "device.safetensors"), test::read_file(dir / "cpu.safetensors"));
  // Loading into a model on the device puts the file's values there.
  Sequential other(Linear(3, 4), ReLU(), Linear(4, 2));
  other.to(d);
  io::load_state_dict(other, io::read_state_dict(dir / "cpu.safetensors"));
  const io::StateDict want = io::state_dict(net), got = io::state_dict(other);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].second.device(), d) << got[i].first;
    EXPECT_EQ(got[i].second.to_vector(), want[i].second.to_vector()) << got[i].first;
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, OnDevice, ::testing::ValuesIn(testing::device_cases()), testing::device_case_name);

}  // namespace
}  // namespace nn
