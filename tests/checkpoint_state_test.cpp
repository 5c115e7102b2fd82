// Checkpoint files and the training state in them: the bit-exact round trip, what is captured
// (buffers, dropout generators), and the refusals (other settings, architecture or optimizer,
// foreign or edited files, bad state), and the optimizer settings that checkpoints compare.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "nn/error.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"

#include "support/checkpoint_rig.hpp"
#include "support/support.hpp"

namespace {

using nn::test::bits;
using nn::test::error_of;
using nn::test::TempDir;

using nn::test::blobs;
using nn::test::mlp;
using nn::test::Opt;
using nn::test::Rig;
using nn::test::series_bits;
using nn::test::settings_of;
using nn::test::Split;
using nn::test::trained_state;
using nn::test::weight_bits;

namespace fs = std::filesystem;
namespace train = nn::train;
using nn::io::CheckpointState;
using nlohmann::json;

// ---- round trip ------------------------------------------------------------------------------------

void expect_same_dicts(const nn::io::StateDict& a, const nn::io::StateDict& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second.shape(), b[i].second.shape()) << a[i].first;
    EXPECT_EQ(bits(a[i].second), bits(b[i].second)) << a[i].first;
  }
}

void check_round_trip(Opt kind, size_t slots) {
  const Split data = blobs();
  Rig s(kind);
  const CheckpointState st = trained_state(s, data);
  EXPECT_EQ(st.optimizer.size(), slots * 4);  // 4 parameters
  TempDir dir;
  const fs::path path = dir.path() / "c.safetensors";
  nn::io::save_checkpoint(path, st);
  EXPECT_TRUE(nn::io::is_checkpoint_file(path));
  const CheckpointState back = nn::io::load_checkpoint(path);

  expect_same_dicts(back.model, st.model);
  expect_same_dicts(back.optimizer, st.optimizer);
  EXPECT_EQ(back.optimizer_type, s.optimizer->type_name());
  EXPECT_EQ(back.optimizer_steps, 30);
  EXPECT_EQ(back.scheduler_epoch, 1);
  EXPECT_EQ(back.epoch, 1);
  EXPECT_EQ(back.batch, 5);
  EXPECT_EQ(back.step, 30);
  EXPECT_EQ(back.rngs.at("global"), st.rngs.at("global"));
  EXPECT_TRUE(back.rngs.at("global").has_spare);
  ASSERT_EQ(back.history.size(), 1u);
  for (const char* name : {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds", "samples_per_second"})
    EXPECT_EQ(series_bits(back.history, name), series_bits(st.history, name)) << name;
  EXPECT_EQ(back.history.partial.epoch, 1);
  EXPECT_EQ(back.history.partial.batches, 5);
  EXPECT_EQ(back.history.partial.samples, st.history.partial.samples);
  EXPECT_EQ(std::bit_cast<uint64_t>(back.history.partial.loss_sum), std::bit_cast<uint64_t>(st.history.partial.loss_sum));
  EXPECT_EQ(back.history.partial.correct, st.history.partial.correct);
  EXPECT_EQ(back.monitor, "val_loss");
  EXPECT_EQ(std::bit_cast<uint64_t>(back.best), std::bit_cast<uint64_t>(st.best));
  EXPECT_EQ(back.best_epoch, 0);
  EXPECT_EQ(back.settings, st.settings);
  EXPECT_EQ(back.metadata.at("nn.note"), "a test");

  // Into fresh objects: the same weights, optimizer state and step count, scheduler epoch, RNG.
  Rig fresh(kind, 99);
  nn::manual_seed(5);
  nn::io::restore_training_state(back, fresh.model, *fresh.optimizer, fresh.scheduler.get());
  EXPECT_EQ(weight_bits(fresh.model), weight_bits(s.model));
  for (size_t i = 0; i < 4; ++i) {
    auto a = s.optimizer->state(i), b = fresh.optimizer->state(i);
    ASSERT_EQ(a.size(), slots);
    for (size_t k = 0; k < slots; ++k) EXPECT_EQ(bits(*a[k]), bits(*b[k]));
  }
  EXPECT_EQ(fresh.optimizer->step_count(), 30);
  EXPECT_EQ(fresh.scheduler->epoch(), 1);
  EXPECT_EQ(fresh.optimizer->lr(), s.optimizer->lr());
  EXPECT_EQ(nn::global_rng().state(), st.rngs.at("global"));
}

TEST(Checkpoint, RoundTripIsBitExactWithSgdMomentum) { check_round_trip(Opt::sgd, 1); }
TEST(Checkpoint, RoundTripIsBitExactWithAdam) { check_round_trip(Opt::adam, 3); }

TEST(Checkpoint, SgdWithoutMomentumHasNoStateAndRoundTrips) {
  auto model = mlp(3);
  nn::SGD sgd(model.parameters(), {.lr = 0.1f});
  CheckpointState st;
  nn::io::capture_training_state(st, model, sgd, nullptr);
  EXPECT_TRUE(st.optimizer.empty());
  EXPECT_EQ(st.scheduler_epoch, -1);
  TempDir dir;
  nn::io::save_checkpoint(dir.path() / "c.safetensors", st);
  const auto back = nn::io::load_checkpoint(dir.path() / "c.safetensors");
  auto other = mlp(4);
  nn::SGD sgd2(other.parameters(), {.lr = 0.1f});
  nn::io::restore_training_state(back, other, sgd2, nullptr);
  EXPECT_EQ(weight_bits(other), weight_bits(model));
}

TEST(Checkpoint, CapturesBuffersAndDropoutGenerators) {
  auto model = mlp(3, true);
  nn::SGD sgd(model.parameters(), {.lr = 0.1f});
  CheckpointState st;
  nn::io::capture_training_state(st, model, sgd, nullptr);
  std::vector<std::string> names;
  for (auto& [n, t] : st.model) names.push_back(n);
  EXPECT_NE(std::find(names.begin(), names.end(), "1.running_mean"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "1.running_var"), names.end());
  ASSERT_TRUE(st.rngs.count("dropout:3"));
  EXPECT_EQ(st.rngs.at("dropout:3"), dynamic_cast<nn::Dropout&>(model[3]).rng_state());
  // Into a model without the Dropout layer: refused.
  auto plain = mlp(3);
  nn::SGD sgd2(plain.parameters(), {.lr = 0.1f});
  EXPECT_THROW(nn::io::restore_training_state(st, plain, sgd2, nullptr), nn::Error);
}

// ---- refusals --------------------------------------------------------------------------------------

TEST(Checkpoint, ResumeWithOtherSettingsIsRefusedSayingWhatDiffers) {
  Rig adam(Opt::adam), sgd(Opt::sgd);
  CheckpointState ck;
  ck.settings = settings_of(adam);
  EXPECT_NO_THROW(nn::io::check_resume_settings(ck, settings_of(adam)));
  {
    const std::string m = error_of([&] { nn::io::check_resume_settings(ck, settings_of(sgd), "c.safetensors"); });
    EXPECT_NE(m.find("resume: c.safetensors: the checkpoint was trained with"), std::string::npos) << m;
    EXPECT_NE(m.find("optimizer.type Adam"), std::string::npos) << m;
    EXPECT_NE(m.find("optimizer.lr 0.01"), std::string::npos) << m;
    EXPECT_NE(m.find("this run asks for"), std::string::npos) << m;
    EXPECT_NE(m.find("optimizer.type SGD"), std::string::npos) << m;
    EXPECT_NE(m.find("optimizer.momentum 0.9"), std::string::npos) << m;
    EXPECT_EQ(m.find("batch_size"), std::string::npos) << m;  // equal settings are not listed
  }
  // Other data, other architecture.
  EXPECT_EQ(nn::io::settings_difference(settings_of(adam), settings_of(adam, "moons")),
            "the checkpoint was trained with data blobs:3; this run asks for data moons");
  json other = settings_of(adam);
  other["model"] = "linear:8,relu,linear:3";
  EXPECT_EQ(nn::io::settings_difference(settings_of(adam), other),
            "the checkpoint was trained with model linear:16,relu,linear:3; this run asks for model linear:8,relu,linear:3");
  // The same optimizer with another rate.
  Rig adam2(Opt::adam);
  auto* a2 = new nn::Adam(adam2.model.parameters(), {.lr = 0.001f, .amsgrad = true});
  adam2.scheduler.reset();
  adam2.optimizer.reset(a2);
  EXPECT_EQ(nn::io::settings_difference(settings_of(adam), settings_of(adam2)),
            "the checkpoint was trained with optimizer.lr 0.01; this run asks for optimizer.lr 0.001");
}

TEST(Checkpoint, RestoreRefusesAnotherArchitectureOrOptimizerAndChangesNothing) {
  const Split data = blobs();
  Rig s(Opt::adam);
  const CheckpointState st = trained_state(s, data);

  nn::manual_seed(3);
  nn::Sequential narrow(nn::Linear(2, 8), nn::ReLU(), nn::Linear(8, 3));
  nn::Adam adam(narrow.parameters(), {.lr = 0.01f, .amsgrad = true});
  nn::StepLR sched(adam, 1, 0.5f);
  const auto before = weight_bits(narrow);
  EXPECT_HAS(error_of([&] { nn::io::restore_training_state(st, narrow, adam, &sched); }), "0.weight");
  EXPECT_EQ(weight_bits(narrow), before);
  EXPECT_EQ(adam.step_count(), 0);

  Rig sgd(Opt::sgd, 3);
  EXPECT_THROW(nn::io::restore_training_state(st, sgd.model, *sgd.optimizer, sgd.scheduler.get()), nn::Error);
  Rig nosched(Opt::adam, 3);
  EXPECT_THROW(nn::io::restore_training_state(st, nosched.model, *nosched.optimizer, nullptr), nn::Error);
}

TEST(Checkpoint, MissingOrForeignFilesAreErrors) {
  TempDir dir;
  EXPECT_HAS(error_of([&] { nn::io::load_checkpoint(dir.path() / "nothing.safetensors"); }), "no such checkpoint file");
  EXPECT_EQ(nn::io::resolve_checkpoint_path(dir.path()), dir.path() / "last.safetensors");
  EXPECT_THROW(nn::io::load_checkpoint(nn::io::resolve_checkpoint_path(dir.path())), nn::Error);

  // A model file is not a checkpoint.
  nn::Tensor w(nn::Shape{2, 2});
  nn::io::write_safetensors(dir.path() / "m.safetensors", {{"0.weight", &w}}, {{"format", "nn.model"}});
  EXPECT_FALSE(nn::io::is_checkpoint_file(dir.path() / "m.safetensors"));
  EXPECT_THROW(nn::io::load_checkpoint(dir.path() / "m.safetensors"), nn::Error);

  // Settings that do not match their hash (edited by hand) are refused.
  Rig s(Opt::sgd);
  CheckpointState st;
  nn::io::capture_training_state(st, s.model, *s.optimizer, s.scheduler.get());
  st.settings = settings_of(s);
  nn::io::save_checkpoint(dir.path() / "c.safetensors", st);
  auto file = nn::io::read_safetensors(dir.path() / "c.safetensors");
  file.metadata["settings"] = settings_of(s, "moons").dump();
  std::vector<std::pair<std::string, const nn::Tensor*>> tensors;
  for (auto& [n, t] : file.tensors) tensors.emplace_back(n, &t);
  nn::io::write_safetensors(dir.path() / "edited.safetensors", tensors, file.metadata);
  EXPECT_HAS(error_of([&] { nn::io::load_checkpoint(dir.path() / "edited.safetensors"); }), "hash");
}

TEST(Checkpoint, JsonFloatIsShortest) {
  EXPECT_EQ(nn::io::json_float(0.001f).dump(), "0.001");
  EXPECT_EQ(nn::io::json_float(0.9f).dump(), "0.9");
  EXPECT_EQ(nn::io::settings_hash(json{{"b", 1}, {"a", 2}}), nn::io::settings_hash(json{{"a", 2}, {"b", 1}}));
  EXPECT_NE(nn::io::settings_hash(json{{"a", 1}}), nn::io::settings_hash(json{{"a", 2}}));
}

}  // namespace
