// CheckpointWriter during training: exact resume in-process (mid-epoch, at an epoch boundary, with
// BatchNorm and Dropout, past the final epoch), the best checkpoint, nothing written on a diverged
// loss, and saves that fail or were killed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/error.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/random.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/trainer.hpp"

#include "support/checkpoint_rig.hpp"
#include "support/support.hpp"

namespace {

using nn::test::read_file;
using nn::test::TempDir;
using nn::test::write_file;

using nn::test::blobs;
using nn::test::Full;
using nn::test::kFit;
using nn::test::LossLog;
using nn::test::Opt;
using nn::test::Rig;
using nn::test::series_bits;
using nn::test::settings_of;
using nn::test::Split;
using nn::test::StopAtEpochEnd;
using nn::test::StopAtStep;
using nn::test::uninterrupted;
using nn::test::weight_bits;

namespace fs = std::filesystem;
namespace train = nn::train;
using nn::io::CheckpointState;

// Runs until `stop` asks, writing checkpoints to dir; then resumes from dir/last.safetensors in
// fresh objects (other initial weights, other RNG state) and checks against the uninterrupted run.
// With write_now, the stop comes first and the writer writes the step where it asked to stop (as the
// CLI does on a signal), whatever `every` says.
void check_resume(Opt kind, train::Callback& stop, int64_t every, int64_t expect_epoch, int64_t expect_batch,
                  bool regularized = false, bool write_now = false) {
  const Split data = blobs();
  const Full full = uninterrupted(kind, data, regularized);
  TempDir dir;
  std::vector<uint32_t> losses;
  {
    Rig probe(kind);
    Rig s(kind, 7, regularized);
    LossLog log;
    nn::io::CheckpointWriterOptions wo{.dir = dir.path(), .every_batches = every, .settings = settings_of(probe)};
    if (write_now) wo.write_now = [&stop] { return stop.stop_requested(); };
    nn::io::CheckpointWriter writer(std::move(wo));
    train::Trainer t(write_now ? std::vector<train::Callback*>{&stop, &log, &writer}
                               : std::vector<train::Callback*>{&log, &writer, &stop});
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

TEST(Checkpoint, ExactResumeAtAnEpochBoundary) {
  StopAtEpochEnd stop(1);  // after epoch 1 (0-based): resumes at the start of epoch 2
  check_resume(Opt::adam, stop, 0, 2, 0);
}

TEST(Checkpoint, WriteNowSavesTheStepOfAStopMidEpoch) {
  StopAtStep stop(41);  // epoch 1, batch 16; no periodic checkpoints at all
  check_resume(Opt::adam, stop, 0, 1, 16, false, true);
}

TEST(Checkpoint, WriteNowOnTheLastBatchOfAnEpochResumesIntoItsValidation) {
  StopAtStep stop(50);  // the last batch of epoch 1: the resumed run finishes that epoch (validation)
  check_resume(Opt::sgd, stop, 0, 1, 25, false, true);
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

}  // namespace
