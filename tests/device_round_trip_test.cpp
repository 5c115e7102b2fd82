// Device round trips: a run trained for 30 steps on one device, checkpointed to a file, resumed
// from the file on another device, goes on with the losses of the uninterrupted CPU run. CPU to
// CPU the losses are the same bits (the moves and the files change nothing); with a GPU on either
// side they agree within 1e-4 relative (its sums run in another order). The GPU cases come from
// the device table and are skipped, with the reason, where there is no GPU.
#include <bit>
#include <cmath>
#include <filesystem>
#include <ostream>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "device_table.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/train/trainer.hpp"
#include "support/checkpoint_rig.hpp"
#include "support/support.hpp"

namespace nn {
namespace {

using test::Opt;
using test::Rig;

struct Sides {
  Device first, second;
};
void PrintTo(const Sides& s, std::ostream* os) { *os << s.first.str() << " then " << s.second.str(); }

std::vector<Sides> round_trips() {
  std::vector<Sides> out;
  for (Device gpu : testing::device_cases())
    if (gpu.is_cuda()) {
      out.push_back({Device::cpu(), gpu});
      out.push_back({gpu, Device::cpu()});
    }
  out.push_back({Device::cpu(), Device::cpu()});
  return out;
}

std::string sides_name(const ::testing::TestParamInfo<Sides>& info) {
  auto name = [](Device d) { return d.is_cpu() ? std::string("cpu") : "cuda" + std::to_string(d.index()); };
  return name(info.param.first) + "_then_" + name(info.param.second);
}

class DeviceRoundTrip : public ::testing::TestWithParam<Sides> {};

TEST_P(DeviceRoundTrip, ResumedOnTheOtherDeviceGivesTheSameLosses) {
  const Sides s = GetParam();
  NN_SKIP_UNLESS_AVAILABLE(s.first);
  NN_SKIP_UNLESS_AVAILABLE(s.second);
  const test::Split data = test::blobs();
  for (Opt kind : {Opt::sgd, Opt::adam}) {
    const test::Full full = test::uninterrupted(kind, data);  // the reference: the CPU, no stop

    Rig a(kind);
    a.model.to(s.first);
    a.optimizer->to(s.first);
    const io::CheckpointState st = test::trained_state(a, data);  // 30 steps on the first device
    test::TempDir dir;
    const std::filesystem::path path = dir / "ck.safetensors";
    io::save_checkpoint(path, st);
    const io::CheckpointState back = io::load_checkpoint(path);

    Rig b(kind, 1234);
    io::restore_training_state(back, b.model, *b.optimizer, b.scheduler.get());
    b.model.to(s.second);
    b.optimizer->to(s.second);
    test::LossLog log;
    train::Trainer t({&log});
    auto opts = test::kFit;
    opts.start_epoch = back.epoch;
    opts.start_batch = back.batch;
    t.fit(b.model, b.loss, *b.optimizer, data.train, &data.val, opts, b.scheduler.get(), back.history);

    ASSERT_EQ(log.losses.size() + 30, full.losses.size());
    const bool exact = s.first.is_cpu() && s.second.is_cpu();
    for (size_t i = 0; i < log.losses.size(); ++i) {
      const float got = std::bit_cast<float>(log.losses[i]), want = std::bit_cast<float>(full.losses[i + 30]);
      if (exact) {
        EXPECT_EQ(log.losses[i], full.losses[i + 30]) << "step " << i + 31;
      } else {
        EXPECT_LE(std::fabs(got - want), 1e-4 * std::fabs(want)) << "step " << i + 31;
      }
    }
    b.model.to(Device::cpu());
    if (exact) {
      EXPECT_EQ(test::weight_bits(b.model), full.weights);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, DeviceRoundTrip, ::testing::ValuesIn(round_trips()), sides_name);

}  // namespace
}  // namespace nn
