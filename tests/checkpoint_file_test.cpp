// What a checkpoint file holds as text: History figures by train/history's one JSON rule
// (non-finite: null; the "nan" spellings of older files still load), the optimizer's own
// description as its settings, and shortest float spellings.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/io/checkpoint.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/optim/optimizer.hpp"

#include "support/support.hpp"

namespace {

using nlohmann::json;
using nn::io::CheckpointState;
using nn::test::error_of;
using nn::test::TempDir;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Rewrites a checkpoint file with its "state" metadata replaced.
void rewrite_state(const std::filesystem::path& from, const std::filesystem::path& to, const json& state) {
  auto file = nn::io::read_safetensors(from);
  file.metadata["state"] = state.dump();
  std::vector<std::pair<std::string, const nn::Tensor*>> tensors;
  for (auto& [n, t] : file.tensors) tensors.emplace_back(n, &t);
  nn::io::write_safetensors(to, tensors, file.metadata);
}

// Checkpoints written before non-finite figures became null spelled them "nan" (and "inf"); they
// still load, and a checkpoint written now has null there.
TEST(CheckpointFile, NonFiniteFiguresAreNullAndOldSpellingsStillLoad) {
  nn::manual_seed(1);
  nn::Sequential model(nn::Linear(2, 3));
  nn::SGD sgd(model.parameters(), {.lr = 0.1f, .momentum = 0.9f});
  CheckpointState st;
  nn::io::capture_training_state(st, model, sgd, nullptr);
  nn::train::EpochRecord r;
  r.train_loss = 0.25;
  r.val_accuracy = kNaN;
  r.samples_per_second = kInf;
  r.samples = 8;
  st.history.epochs = {r};
  st.epoch = 1;
  st.best = kNaN;
  TempDir dir;
  nn::io::save_checkpoint(dir / "c.safetensors", st);
  json state = json::parse(nn::io::read_safetensors(dir / "c.safetensors").metadata.at("state"));
  json& epoch0 = state["history"]["epochs"][0];
  EXPECT_TRUE(epoch0["val_accuracy"].is_null());
  EXPECT_TRUE(epoch0["samples_per_second"].is_null());
  EXPECT_TRUE(state["best"]["value"].is_null());
  EXPECT_TRUE(std::isnan(nn::io::load_checkpoint(dir / "c.safetensors").best));

  epoch0["val_accuracy"] = "nan";
  epoch0["samples_per_second"] = "inf";
  epoch0["lr"] = "-inf";
  state["best"]["value"] = "nan";
  rewrite_state(dir / "c.safetensors", dir / "old.safetensors", state);
  const CheckpointState back = nn::io::load_checkpoint(dir / "old.safetensors");
  ASSERT_EQ(back.history.size(), 1u);
  EXPECT_TRUE(std::isnan(back.history[0].val_accuracy));
  EXPECT_EQ(back.history[0].samples_per_second, kInf);
  EXPECT_EQ(back.history[0].lr, -kInf);
  EXPECT_EQ(back.history[0].train_loss, 0.25);
  EXPECT_EQ(back.history[0].samples, 8);
  EXPECT_TRUE(std::isnan(back.best));

  epoch0["lr"] = "fast";
  rewrite_state(dir / "c.safetensors", dir / "bad.safetensors", state);
  EXPECT_HAS(error_of([&] { nn::io::load_checkpoint(dir / "bad.safetensors"); }),
             "bad.safetensors: bad checkpoint state.history: epochs[0]: \"lr\": expected a number or null, "
             "found \"fast\"");
}

// The optimizer describes itself; checkpoints store and compare that description, so its text is
// fixed.
TEST(CheckpointFile, OptimizerSettingsAreTheOptimizersOwnDescription) {
  nn::Parameter w{"w", nn::Tensor(nn::Shape{2}), nn::Tensor(nn::Shape{2})};
  nn::SGD sgd({&w}, {.lr = 0.1f, .momentum = 0.9f, .weight_decay = 1e-4f, .nesterov = true});
  EXPECT_EQ(nn::io::optimizer_settings(sgd).dump(),
            "{\"dampening\":0.0,\"lr\":0.1,\"momentum\":0.9,\"nesterov\":true,\"type\":\"SGD\","
            "\"weight_decay\":0.0001}");
  nn::Adam adam({&w});
  EXPECT_EQ(nn::io::optimizer_settings(adam).dump(),
            "{\"amsgrad\":false,\"beta1\":0.9,\"beta2\":0.999,\"eps\":1e-08,\"lr\":0.001,\"type\":\"Adam\","
            "\"weight_decay\":0.0}");
  nn::AdamW adamw({&w});
  EXPECT_EQ(adamw.settings().dump(),
            "{\"amsgrad\":false,\"beta1\":0.9,\"beta2\":0.999,\"eps\":1e-08,\"lr\":0.001,\"type\":\"AdamW\","
            "\"weight_decay\":0.01}");
  EXPECT_EQ(nn::io::optimizer_settings(sgd), sgd.settings());
}

TEST(CheckpointFile, JsonFloatOfANonFiniteSettingIsNull) {
  EXPECT_TRUE(nn::json_float(std::numeric_limits<float>::quiet_NaN()).is_null());
  EXPECT_TRUE(nn::json_float(-std::numeric_limits<float>::infinity()).is_null());
  EXPECT_EQ(nn::json_float(1e-4f).dump(), "0.0001");
}

// Values no checkpoint written by nn holds are refused by name: negative counts, a generator in
// the all-zero state (it would give zeros forever).
TEST(CheckpointFile, ImpossibleStateValuesAreRefusedByName) {
  nn::manual_seed(1);
  nn::Sequential model(nn::Linear(2, 3));
  nn::SGD sgd(model.parameters(), {.lr = 0.1f});
  CheckpointState st;
  nn::io::capture_training_state(st, model, sgd, nullptr);
  st.epoch = 1;
  st.step = 4;
  TempDir dir;
  nn::io::save_checkpoint(dir / "c.safetensors", st);
  const json good = json::parse(nn::io::read_safetensors(dir / "c.safetensors").metadata.at("state"));
  EXPECT_EQ(nn::io::load_checkpoint(dir / "c.safetensors").step, 4);
  struct Case {
    const char* pointer;
    json value;
    const char* expect;
  } cases[] = {
      {"/step", -3, "expected epoch, batch and step >= 0, found 1, 0 and -3"},
      {"/epoch", -1, "expected epoch, batch and step >= 0, found -1"},
      {"/optimizer/steps", -5, "state.optimizer.steps: expected a count >= 0, found -5"},
      {"/scheduler_epoch", -7, "state.scheduler_epoch: expected an epoch >= 0 (or -1: no scheduler), found -7"},
      {"/best/epoch", -2, "state.best.epoch: expected an epoch >= 0 (or -1: none yet), found -2"},
      {"/rngs/global/s", json::array({0, 0, 0, 0}), "state.rngs.global: expected a generator state, found all zeros"},
  };
  for (const auto& c : cases) {
    json bad = good;
    bad[json::json_pointer(c.pointer)] = c.value;
    rewrite_state(dir / "c.safetensors", dir / "bad.safetensors", bad);
    const std::string msg = error_of([&] { nn::io::load_checkpoint(dir / "bad.safetensors"); });
    EXPECT_HAS(msg, c.expect);
    EXPECT_HAS(msg, "bad.safetensors");
  }
}

}  // namespace
