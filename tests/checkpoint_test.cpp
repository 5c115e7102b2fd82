#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/trainer.hpp"

#include "support/support.hpp"

namespace {

using nn::test::bits;
using nn::test::error_of;
using nn::test::read_file;
using nn::test::TempDir;
using nn::test::write_file;

namespace fs = std::filesystem;
namespace train = nn::train;
using nn::data::Dataset;
using nn::io::CheckpointState;
using nlohmann::json;

std::vector<uint32_t> weight_bits(nn::Module& m) {
  std::vector<uint32_t> out;
  for (auto* p : m.parameters()) {
    auto b = bits(p->data);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

std::vector<uint64_t> series_bits(const train::History& h, const char* name) {
  std::vector<uint64_t> out;
  for (double v : h.series(name)) out.push_back(std::bit_cast<uint64_t>(v));
  return out;
}

struct Split {
  Dataset train, val;
};

// 1000 blobs of 3 classes; 800 train, 200 validate (25 batches of 32 per epoch).
Split blobs() {
  Dataset all = nn::data::make_blobs({.n_samples = 1000, .n_features = 2, .centers = 3, .cluster_std = 2.5, .seed = 4});
  std::vector<int64_t> idx(1000);
  std::iota(idx.begin(), idx.end(), int64_t{0});
  nn::Rng rng(9);
  rng.shuffle(std::span<int64_t>(idx));
  Split s{all.subset(std::span<const int64_t>(idx.data(), 800)),
          all.subset(std::span<const int64_t>(idx.data() + 800, 200))};
  for (Dataset* d : {&s.train, &s.val}) {
    nn::Tensor& x = d->mutable_features();
    for (float& v : x.span()) v /= 10.0f;
  }
  return s;
}

// With `regularized`, a BatchNorm (buffers) and a Dropout (its own generator) in the middle.
nn::Sequential mlp(uint64_t seed, bool regularized = false) {
  nn::manual_seed(seed);
  if (regularized)
    return nn::Sequential(nn::Linear(2, 16), nn::BatchNorm1d(16), nn::ReLU(), nn::Dropout(0.3f), nn::Linear(16, 3));
  return nn::Sequential(nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, 3));
}

// Records the loss of every step.
class LossLog : public train::Callback {
 public:
  void on_batch_end(const train::BatchEnd& b) override {
    steps.push_back(b.step);
    losses.push_back(std::bit_cast<uint32_t>(b.loss));
  }
  std::vector<int64_t> steps;
  std::vector<uint32_t> losses;
};

class StopAtStep : public train::Callback {
 public:
  explicit StopAtStep(int64_t step) : step_(step) {}
  void on_batch_end(const train::BatchEnd& b) override {
    if (b.step == step_) request_stop("checkpoint");
  }

 private:
  int64_t step_;
};

class StopAtEpochEnd : public train::Callback {
 public:
  explicit StopAtEpochEnd(int64_t epoch) : epoch_(epoch) {}
  void on_epoch_end(int64_t epoch, const train::EpochRecord&) override {
    if (epoch == epoch_) request_stop("checkpoint");
  }

 private:
  int64_t epoch_;
};

enum class Opt { sgd, adam };

// A model, optimizer and scheduler; `seed` decides the initial weights.
struct Rig {
  explicit Rig(Opt kind, uint64_t seed = 7, bool regularized = false) : model(mlp(seed, regularized)) {
    if (kind == Opt::sgd)
      optimizer = std::make_unique<nn::SGD>(model.parameters(), nn::SGDOptions{.lr = 0.05f, .momentum = 0.9f});
    else
      optimizer = std::make_unique<nn::Adam>(model.parameters(), nn::AdamOptions{.lr = 0.01f, .amsgrad = true});
    scheduler = std::make_unique<nn::StepLR>(*optimizer, 1, 0.5f);
  }
  nn::Sequential model;
  nn::SoftmaxCrossEntropyLoss loss;
  std::unique_ptr<nn::Optimizer> optimizer;
  std::unique_ptr<nn::Scheduler> scheduler;
};

const train::FitOptions kFit{.epochs = 3, .batch_size = 32, .seed = 21};

json settings_of(Rig& s, const std::string& data = "blobs:3") {
  return {{"model", "linear:16,relu,linear:3"}, {"data", data}, {"optimizer", nn::io::optimizer_settings(*s.optimizer)},
          {"loss", s.loss.type_name()}, {"batch_size", kFit.batch_size}, {"seed", kFit.seed}};
}

struct Full {
  std::vector<uint32_t> weights;
  std::vector<uint32_t> losses;
  train::History history;
  nn::Rng::State rng;
  float lr = 0.0f;
};

Full uninterrupted(Opt kind, const Split& data, bool regularized = false) {
  Rig s(kind, 7, regularized);
  LossLog log;
  train::Trainer t({&log});
  Full f;
  f.history = t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, kFit, s.scheduler.get());
  f.weights = weight_bits(s.model);
  f.losses = log.losses;
  f.rng = nn::global_rng().state();
  f.lr = s.optimizer->lr();
  return f;
}

// Runs until `stop` asks, writing checkpoints to dir; then resumes from dir/last.safetensors in
// fresh objects (other initial weights, other RNG state) and checks against the uninterrupted run.
void check_resume(Opt kind, train::Callback& stop, int64_t every, int64_t expect_epoch, int64_t expect_batch,
                  bool regularized = false) {
  const Split data = blobs();
  const Full full = uninterrupted(kind, data, regularized);
  TempDir dir;
  std::vector<uint32_t> losses;
  {
    Rig probe(kind);
    Rig s(kind, 7, regularized);
    LossLog log;
    nn::io::CheckpointWriter writer({.dir = dir.path(), .every_batches = every, .settings = settings_of(probe)});
    train::Trainer t({&log, &writer, &stop});
    const auto h = t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, kFit, s.scheduler.get());
    EXPECT_EQ(h.stop_reason, "checkpoint");
    losses = log.losses;
  }
  CheckpointState ck = nn::io::load_checkpoint(nn::io::resolve_checkpoint_path(dir.path()));
  EXPECT_EQ(ck.epoch, expect_epoch);
  EXPECT_EQ(ck.batch, expect_batch);
  EXPECT_EQ(ck.step, expect_epoch * 25 + expect_batch);
  EXPECT_EQ(ck.optimizer_steps, ck.step);
  EXPECT_EQ(static_cast<int64_t>(losses.size()), ck.step);
  EXPECT_EQ(static_cast<int64_t>(ck.history.size()), expect_epoch);

  Rig s(kind, 1234, regularized);  // fresh objects with other weights (and dropout generator)
  nn::manual_seed(999);
  nn::io::check_resume_settings(ck, settings_of(s));
  nn::io::restore_training_state(ck, s.model, *s.optimizer, s.scheduler.get());
  EXPECT_EQ(nn::global_rng().state(), ck.rngs.at("global"));
  LossLog log;
  train::Trainer t({&log});
  auto opts = kFit;
  opts.start_epoch = ck.epoch;
  opts.start_batch = ck.batch;
  const auto h = t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, opts, s.scheduler.get(), ck.history);
  ASSERT_FALSE(log.steps.empty());
  EXPECT_EQ(log.steps.front(), ck.step + 1);
  losses.insert(losses.end(), log.losses.begin(), log.losses.end());

  EXPECT_EQ(weight_bits(s.model), full.weights);
  EXPECT_EQ(losses, full.losses);
  ASSERT_EQ(h.size(), 3u);
  for (const char* name : {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"})
    EXPECT_EQ(series_bits(h, name), series_bits(full.history, name)) << name;
  EXPECT_EQ(s.optimizer->lr(), full.lr);
  EXPECT_EQ(nn::global_rng().state(), full.rng);
}

// ---- round trip ------------------------------------------------------------------------------------

// Trains a few steps so that the optimizer has state, and captures everything.
CheckpointState trained_state(Rig& s, const Split& data) {
  StopAtStep stop(30);  // epoch 1, batch 5
  train::Trainer t({&stop});
  const auto h = t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, kFit, s.scheduler.get());
  CheckpointState st;
  nn::global_rng().normal();  // a cached spare normal in the RNG state
  nn::io::capture_training_state(st, s.model, *s.optimizer, s.scheduler.get());
  st.epoch = 1;
  st.batch = 5;
  st.step = 30;
  st.history = h;
  st.monitor = "val_loss";
  st.best = h[0].val_loss;
  st.best_epoch = 0;
  st.settings = settings_of(s);
  st.metadata["nn.note"] = "a test";
  return st;
}

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

// ---- exact resume in-process -----------------------------------------------------------------------

TEST(Checkpoint, ExactResumeMidEpochSgd) {
  StopAtStep stop(37);  // epoch 1, batch 12 (0-based 11)
  check_resume(Opt::sgd, stop, 37, 1, 12);
}

TEST(Checkpoint, ExactResumeMidEpochAdam) {
  StopAtStep stop(60);  // epoch 2, batch 10; checkpoints every 4 steps: the last one at 60
  check_resume(Opt::adam, stop, 4, 2, 10);
}

TEST(Checkpoint, ExactResumeMidEpochWithBatchNormAndDropout) {
  StopAtStep stop(45);  // epoch 1, batch 20: the running statistics and the dropout generator matter
  check_resume(Opt::sgd, stop, 15, 1, 20, true);
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

TEST(Checkpoint, ExactResumeAtAnEpochBoundary) {
  StopAtEpochEnd stop(1);  // after epoch 1 (0-based): resumes at the start of epoch 2
  check_resume(Opt::adam, stop, 0, 2, 0);
}

TEST(Checkpoint, ResumingTheFinalCheckpointWithMoreEpochsTrainsOn) {
  const Split data = blobs();
  TempDir dir;
  Rig s(Opt::sgd);
  nn::io::CheckpointWriter writer({.dir = dir.path()});
  train::Trainer t({&writer});
  auto opts = kFit;
  opts.epochs = 2;
  t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, opts, s.scheduler.get());
  auto ck = nn::io::load_checkpoint(dir.path() / "last.safetensors");
  EXPECT_EQ(ck.epoch, 2);
  EXPECT_EQ(ck.batch, 0);

  Rig r(Opt::sgd, 5);
  nn::io::restore_training_state(ck, r.model, *r.optimizer, r.scheduler.get());
  opts.epochs = 3;
  opts.start_epoch = ck.epoch;
  train::Trainer t2;
  const auto h = t2.fit(r.model, r.loss, *r.optimizer, data.train, &data.val, opts, r.scheduler.get(), ck.history);
  const Full full = uninterrupted(Opt::sgd, data);
  EXPECT_EQ(weight_bits(r.model), full.weights);
  EXPECT_EQ(series_bits(h, "lr"), series_bits(full.history, "lr"));
}

TEST(Checkpoint, BestFollowsTheMonitoredFigure) {
  const Split data = blobs();
  TempDir dir;
  Rig s(Opt::adam);
  nn::io::CheckpointWriter writer({.dir = dir.path()});
  train::Trainer t({&writer});
  const auto h = t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, kFit, s.scheduler.get());
  EXPECT_EQ(writer.monitor(), "val_loss");
  const auto v = h.series("val_loss");
  const auto best = std::min_element(v.begin(), v.end());
  const auto ck = nn::io::load_checkpoint(dir.path() / "best.safetensors");
  EXPECT_EQ(ck.best, *best);
  EXPECT_EQ(ck.best_epoch, best - v.begin());
  EXPECT_EQ(ck.epoch, ck.best_epoch + 1);
  const auto last = nn::io::load_checkpoint(dir.path() / "last.safetensors");
  EXPECT_EQ(last.epoch, 3);
  EXPECT_EQ(last.best, *best);
}

// ---- nothing written on a diverged loss; saves that fail ---------------------------------------------

// Puts a NaN into the last bias after the given step, so that the next batch's loss is NaN.
class Poison : public train::Callback {
 public:
  Poison(nn::Module& m, int64_t step) : m_(m), step_(step) {}
  void on_batch_end(const train::BatchEnd& b) override {
    if (b.step == step_) m_.parameters().back()->data.data()[0] = std::nanf("");
  }

 private:
  nn::Module& m_;
  int64_t step_;
};

std::vector<std::string> temp_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) out.push_back(e.path().string());
  return out;
}

TEST(Checkpoint, NonFiniteLossWritesNoCheckpoint) {
  const Split data = blobs();
  TempDir dir;
  Rig s(Opt::sgd);
  std::string last_bytes;
  int64_t last_step = 0;
  nn::io::CheckpointWriter writer(
      {.dir = dir.path(), .every_batches = 5, .after_write = [&](const fs::path& p, const CheckpointState& st) {
         if (p.filename() == "last.safetensors") {
           last_bytes = read_file(p);
           last_step = st.step;
         }
       }});
  Poison poison(s.model, 32);  // the loss of step 33 (epoch 1) is NaN
  train::Trainer t({&writer, &poison});
  EXPECT_THROW(t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, kFit, s.scheduler.get()), nn::Error);
  EXPECT_EQ(last_step, 30);
  EXPECT_EQ(read_file(dir.path() / "last.safetensors"), last_bytes);
  const auto ck = nn::io::load_checkpoint(dir.path() / "last.safetensors");
  EXPECT_EQ(ck.step, 30);
  for (const auto& [name, t] : ck.model)
    for (float v : t.span()) EXPECT_TRUE(std::isfinite(v)) << name;
  const auto best = nn::io::load_checkpoint(dir.path() / "best.safetensors");
  EXPECT_EQ(best.step, 25);  // epoch 0's end
  EXPECT_TRUE(temp_files(dir.path()).empty());
}

TEST(Checkpoint, FailedSaveLeavesThePreviousFileAndNoTemporary) {
  const Split data = blobs();
  TempDir dir;
  Rig s(Opt::sgd);
  nn::io::CheckpointWriter writer({.dir = dir.path(), .every_batches = 10,
                                   .before_rename = [](const fs::path& tmp, const CheckpointState& st) {
                                     EXPECT_TRUE(fs::exists(tmp));
                                     if (st.step == 20) throw std::runtime_error("disk full");
                                   }});
  train::Trainer t({&writer});
  EXPECT_THROW(t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, kFit, s.scheduler.get()), std::runtime_error);
  EXPECT_EQ(nn::io::load_checkpoint(dir.path() / "last.safetensors").step, 10);
  EXPECT_TRUE(temp_files(dir.path()).empty());
}

TEST(Checkpoint, WriterRemovesTemporaryFilesOfAKilledSave) {
  TempDir dir;
  write_file(dir.path() / ".last.safetensors.tmp.AbC123", "torn");
  write_file(dir.path() / "unrelated.txt", "kept");
  nn::io::CheckpointWriter writer({.dir = dir.path()});
  EXPECT_TRUE(temp_files(dir.path()).empty());
  EXPECT_TRUE(fs::exists(dir.path() / "unrelated.txt"));
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

// Checkpoints written before non-finite figures became null spelled them "nan" (and "inf"); they
// still load, and a checkpoint written now has null there.
TEST(Checkpoint, NonFiniteFiguresAreNullAndOldSpellingsStillLoad) {
  const Split data = blobs();
  Rig s(Opt::sgd);
  CheckpointState st = trained_state(s, data);
  st.history.epochs[0].val_accuracy = std::numeric_limits<double>::quiet_NaN();
  st.history.epochs[0].samples_per_second = std::numeric_limits<double>::infinity();
  st.best = std::numeric_limits<double>::quiet_NaN();
  TempDir dir;
  nn::io::save_checkpoint(dir.path() / "c.safetensors", st);
  auto file = nn::io::read_safetensors(dir.path() / "c.safetensors");
  json state = json::parse(file.metadata.at("state"));
  json& epoch0 = state["history"]["epochs"][0];
  EXPECT_TRUE(epoch0["val_accuracy"].is_null());
  EXPECT_TRUE(epoch0["samples_per_second"].is_null());
  EXPECT_TRUE(state["best"]["value"].is_null());
  EXPECT_TRUE(std::isnan(nn::io::load_checkpoint(dir.path() / "c.safetensors").best));

  epoch0["val_accuracy"] = "nan";
  epoch0["samples_per_second"] = "inf";
  epoch0["lr"] = "-inf";
  state["best"]["value"] = "nan";
  file.metadata["state"] = state.dump();
  std::vector<std::pair<std::string, const nn::Tensor*>> tensors;
  for (auto& [n, t] : file.tensors) tensors.emplace_back(n, &t);
  nn::io::write_safetensors(dir.path() / "old.safetensors", tensors, file.metadata);
  const CheckpointState back = nn::io::load_checkpoint(dir.path() / "old.safetensors");
  ASSERT_EQ(back.history.size(), 1u);
  EXPECT_TRUE(std::isnan(back.history[0].val_accuracy));
  EXPECT_EQ(back.history[0].samples_per_second, std::numeric_limits<double>::infinity());
  EXPECT_EQ(back.history[0].lr, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(back.history[0].train_loss, st.history[0].train_loss);
  EXPECT_TRUE(std::isnan(back.best));

  epoch0["lr"] = "fast";
  file.metadata["state"] = state.dump();
  nn::io::write_safetensors(dir.path() / "bad.safetensors", tensors, file.metadata);
  EXPECT_HAS(error_of([&] { nn::io::load_checkpoint(dir.path() / "bad.safetensors"); }),
             "bad.safetensors: bad checkpoint state.history: epochs[0]: \"lr\": expected a number or null, found \"fast\"");
}

// The optimizer describes itself; checkpoints store and compare that description, so its text is
// fixed.
TEST(Checkpoint, OptimizerSettingsAreTheOptimizersOwnDescription) {
  nn::Parameter w{"w", nn::Tensor(nn::Shape{2}), nn::Tensor(nn::Shape{2})};
  nn::SGD sgd({&w}, {.lr = 0.1f, .momentum = 0.9f, .weight_decay = 1e-4f, .nesterov = true});
  EXPECT_EQ(nn::io::optimizer_settings(sgd).dump(),
            "{\"dampening\":0.0,\"lr\":0.1,\"momentum\":0.9,\"nesterov\":true,\"type\":\"SGD\",\"weight_decay\":0.0001}");
  nn::Adam adam({&w});
  EXPECT_EQ(nn::io::optimizer_settings(adam).dump(),
            "{\"amsgrad\":false,\"beta1\":0.9,\"beta2\":0.999,\"eps\":1e-08,\"lr\":0.001,\"type\":\"Adam\",\"weight_decay\":0.0}");
  nn::AdamW adamw({&w});
  EXPECT_EQ(adamw.settings().dump(),
            "{\"amsgrad\":false,\"beta1\":0.9,\"beta2\":0.999,\"eps\":1e-08,\"lr\":0.001,\"type\":\"AdamW\",\"weight_decay\":0.01}");
  EXPECT_EQ(nn::io::optimizer_settings(sgd), sgd.settings());
}

TEST(Checkpoint, JsonFloatIsShortest) {
  EXPECT_EQ(nn::io::json_float(0.001f).dump(), "0.001");
  EXPECT_EQ(nn::io::json_float(0.9f).dump(), "0.9");
  EXPECT_EQ(nn::io::settings_hash(json{{"b", 1}, {"a", 2}}), nn::io::settings_hash(json{{"a", 2}, {"b", 1}}));
  EXPECT_NE(nn::io::settings_hash(json{{"a", 1}}), nn::io::settings_hash(json{{"a", 2}}));
}

}  // namespace
