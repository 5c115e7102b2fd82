// The Trainer: learning blobs and regressions, same-seed reproducibility, exact resume, callbacks
// and schedulers, and bad options (divergence, EarlyStopping and ProgressReporter have files of
// their own).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/metrics.hpp"
#include "nn/train/trainer.hpp"

#include "support/trainer_rig.hpp"

namespace {

using nn::data::Dataset;
using nn::test::trainer_rig::blobs;
using nn::test::trainer_rig::mlp;
using nn::test::trainer_rig::Split;
using nn::test::trainer_rig::weights;
namespace train = nn::train;

// Requests a stop after a given batch of a given epoch (a checkpoint taken mid-epoch).
class StopAfter : public train::Callback {
 public:
  StopAfter(int64_t epoch, int64_t batch) : epoch_(epoch), batch_(batch) {}
  void on_batch_end(const train::BatchEnd& b) override {
    if (b.epoch == epoch_ && b.batch == batch_) request_stop("checkpoint");
  }

 private:
  int64_t epoch_, batch_;
};

TEST(Trainer, BlobsMlpReachesHighValidationAccuracy) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::Adam adam(model.parameters(), {.lr = 0.01f});
  train::Trainer trainer;
  const auto h = trainer.fit(model, loss, adam, data.train, &data.val, {.epochs = 15, .batch_size = 32, .seed = 3});

  ASSERT_EQ(h.size(), 15u);
  EXPECT_TRUE(h.stop_reason.empty());
  EXPECT_EQ(h.partial.epoch, -1);
  for (size_t e = 0; e < h.size(); ++e) {
    const auto& r = h[e];
    EXPECT_EQ(r.epoch, static_cast<int64_t>(e));
    EXPECT_EQ(r.samples, 800);
    EXPECT_TRUE(std::isfinite(r.train_loss) && r.train_loss >= 0.0);
    EXPECT_GE(r.train_accuracy, 0.0);
    EXPECT_LE(r.train_accuracy, 1.0);
    EXPECT_TRUE(r.has_validation());
    EXPECT_FLOAT_EQ(static_cast<float>(r.lr), 0.01f);
    EXPECT_GE(r.seconds, 0.0);
    EXPECT_GT(r.samples_per_second, 0.0);
  }
  EXPECT_LT(h.back().train_loss, 0.5 * h[0].train_loss);
  EXPECT_LT(h.back().val_loss, h[0].val_loss);
  EXPECT_GE(h.back().val_accuracy, 0.97);
  EXPECT_GE(h.back().train_accuracy, 0.95);
  EXPECT_TRUE(model.is_training());
  EXPECT_EQ(h.series("val_accuracy").size(), 15u);
  EXPECT_EQ(h.series("val_accuracy").back(), h.back().val_accuracy);
  EXPECT_THROW(h.series("bogus"), nn::Error);

  // evaluate() with the validation batch size of fit gives the recorded figures exactly.
  const auto ev = train::evaluate(model, loss, data.val, {.batch_size = 32});
  EXPECT_EQ(ev.loss, h.back().val_loss);
  EXPECT_EQ(ev.accuracy, h.back().val_accuracy);
  ASSERT_EQ(ev.predictions.size(), 200u);
  EXPECT_DOUBLE_EQ(train::accuracy(ev.predictions, data.val.labels()), ev.accuracy);
  EXPECT_TRUE(model.is_training());  // evaluation restored the mode

  // predict() returns the outputs in dataset order; their argmax is evaluate()'s prediction.
  const nn::Tensor out = train::predict(model, data.val, 64);
  EXPECT_EQ(out.shape(), (nn::Shape{200, 3}));
  EXPECT_EQ(train::predict_classes(out), ev.predictions);
}

TEST(Trainer, BinaryLogitsUseThresholdZero) {
  auto data = blobs(2);
  auto model = mlp(1);
  nn::BCEWithLogitsLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.1f, .momentum = 0.9f});
  EXPECT_EQ(train::PredictionRule{}.threshold_for(loss), 0.0f);
  EXPECT_EQ(train::PredictionRule{}.threshold_for(nn::BCELoss()), 0.5f);
  EXPECT_EQ(train::PredictionRule{.threshold = 0.3f}.threshold_for(loss), 0.3f);
  train::Trainer trainer;
  const auto h = trainer.fit(model, loss, sgd, data.train, &data.val, {.epochs = 5, .batch_size = 32});
  EXPECT_GE(h.back().val_accuracy, 0.97);
  // With a threshold of 0.5 on logits the rule would differ from sign(z); the automatic rule matches
  // the probabilities' 0.5.
  const nn::Tensor z = train::predict(model, data.val);
  const auto pred = train::predict_classes(z, 0.0f);
  EXPECT_DOUBLE_EQ(train::accuracy(pred, data.val.labels()), h.back().val_accuracy);
}

TEST(Trainer, RegressionRecordsLossAndNoAccuracy) {
  // y = 2 x0 - x1 + 0.5 on 256 points.
  nn::Rng rng(5);
  nn::Tensor x(nn::Shape{256, 2}), y(nn::Shape{256, 1});
  for (int64_t i = 0; i < 256; ++i) {
    x.at(i, 0) = static_cast<float>(rng.normal());
    x.at(i, 1) = static_cast<float>(rng.normal());
    y[i] = 2.0f * x.at(i, 0) - x.at(i, 1) + 0.5f;
  }
  const Dataset ds = Dataset::regression(std::move(x), std::move(y));
  nn::manual_seed(2);
  nn::Sequential model(nn::Linear(2, 1));
  nn::MSELoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f});
  train::Trainer trainer;
  const auto h = trainer.fit(model, loss, sgd, ds, nullptr, {.epochs = 20, .batch_size = 16});
  ASSERT_EQ(h.size(), 20u);
  EXPECT_TRUE(std::isnan(h[0].train_accuracy));
  EXPECT_FALSE(h[0].has_validation());
  EXPECT_LT(h.back().train_loss, 1e-3);
  const nn::Tensor pred = train::predict(model, ds);
  EXPECT_GT(train::r2_score(pred, ds.targets()), 0.999);
  const auto ev = train::evaluate(model, loss, ds);
  EXPECT_NEAR(ev.loss, train::mean_squared_error(pred, ds.targets()), 1e-6);
  EXPECT_TRUE(ev.predictions.empty());
}

struct RunResult {
  train::History history;
  std::vector<float> weights;
};

RunResult run_blobs(uint64_t seed, int64_t epochs = 3) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f, .momentum = 0.9f});
  train::Trainer trainer;
  auto h = trainer.fit(model, loss, sgd, data.train, &data.val, {.epochs = epochs, .batch_size = 32, .seed = seed});
  return {std::move(h), weights(model)};
}

TEST(Trainer, SameSeedGivesBitIdenticalHistoryAndWeights) {
  const RunResult a = run_blobs(11), b = run_blobs(11), c = run_blobs(12);
  EXPECT_EQ(a.history.series("train_loss"), b.history.series("train_loss"));
  EXPECT_EQ(a.history.series("val_loss"), b.history.series("val_loss"));
  EXPECT_EQ(a.history.series("train_accuracy"), b.history.series("train_accuracy"));
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_NE(a.history.series("train_loss"), c.history.series("train_loss"));
  EXPECT_NE(a.weights, c.weights);
}

// The uninterrupted run of the resume tests: 3 epochs, SGD with momentum and a StepLR schedule.
struct ResumeSetup {
  Split data = blobs(3);
  nn::Sequential model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd{model.parameters(), {.lr = 0.05f, .momentum = 0.9f}};
  nn::StepLR sched{sgd, 1, 0.5f};
  train::FitOptions options{.epochs = 3, .batch_size = 32, .seed = 21};
};

TEST(Trainer, ResumeAtAnEpochBoundaryIsBitIdentical) {
  ResumeSetup full;
  train::Trainer t0;
  const auto h_full = t0.fit(full.model, full.loss, full.sgd, full.data.train, &full.data.val, full.options, &full.sched);

  ResumeSetup part;
  train::Trainer t1;
  auto opts = part.options;
  opts.epochs = 2;
  auto h = t1.fit(part.model, part.loss, part.sgd, part.data.train, &part.data.val, opts, &part.sched);
  ASSERT_EQ(h.size(), 2u);
  opts.epochs = 3;
  opts.start_epoch = 2;
  h = t1.fit(part.model, part.loss, part.sgd, part.data.train, &part.data.val, opts, &part.sched, std::move(h));

  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(weights(part.model), weights(full.model));
  EXPECT_EQ(h.series("train_loss"), h_full.series("train_loss"));
  EXPECT_EQ(h.series("val_loss"), h_full.series("val_loss"));
  EXPECT_EQ(h.series("lr"), h_full.series("lr"));
  EXPECT_FLOAT_EQ(static_cast<float>(h[2].lr), 0.0125f);
  EXPECT_EQ(part.sgd.step_count(), full.sgd.step_count());
}

TEST(Trainer, ResumeMidEpochIsBitIdentical) {
  ResumeSetup full;
  train::Trainer t0;
  const auto h_full = t0.fit(full.model, full.loss, full.sgd, full.data.train, &full.data.val, full.options, &full.sched);

  ResumeSetup part;
  StopAfter stop(1, 9);  // after batch 9 of epoch 1 (25 batches an epoch)
  train::Trainer t1;
  t1.add_callback(stop);
  auto h = t1.fit(part.model, part.loss, part.sgd, part.data.train, &part.data.val, part.options, &part.sched);
  ASSERT_EQ(h.size(), 1u);  // epoch 1 was not finished
  EXPECT_EQ(h.stop_reason, "checkpoint");
  EXPECT_EQ(h.partial.epoch, 1);
  EXPECT_EQ(h.partial.batches, 10);
  EXPECT_EQ(h.partial.samples, 320);
  EXPECT_EQ(part.sgd.step_count(), 25 + 10);

  train::Trainer t2;  // the same model and optimizer objects, a fresh trainer
  auto opts = part.options;
  opts.start_epoch = 1;
  opts.start_batch = 10;
  h = t2.fit(part.model, part.loss, part.sgd, part.data.train, &part.data.val, opts, &part.sched, std::move(h));

  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(weights(part.model), weights(full.model));
  EXPECT_EQ(h.series("train_loss"), h_full.series("train_loss"));
  EXPECT_EQ(h.series("train_accuracy"), h_full.series("train_accuracy"));
  EXPECT_EQ(h.series("val_loss"), h_full.series("val_loss"));
  EXPECT_EQ(h.series("lr"), h_full.series("lr"));

  // A mid-epoch resume without the sums of the batches already run is refused.
  train::Trainer t3;
  EXPECT_THROW(t3.fit(part.model, part.loss, part.sgd, part.data.train, &part.data.val, opts, &part.sched), nn::Error);
}

// Records the global step and the running sums seen after each batch.
class StepRecorder : public train::Callback {
 public:
  void on_batch_end(const train::BatchEnd& b) override {
    EXPECT_EQ(b.step, b.epoch * b.batches_per_epoch + b.batch + 1);
    EXPECT_EQ(b.history.partial.epoch, b.epoch);
    EXPECT_EQ(b.history.partial.batches, b.batch + 1);
    EXPECT_TRUE(std::isfinite(b.loss));
    steps.push_back(b.step);
  }
  void on_epoch_begin(int64_t epoch) override { begun.push_back(epoch); }
  void on_epoch_end(int64_t epoch, const train::EpochRecord& r) override {
    EXPECT_EQ(r.epoch, epoch);
    ended.push_back(epoch);
  }
  std::vector<int64_t> steps, begun, ended;
};

TEST(Trainer, CallbacksSeeEveryBatchWithItsGlobalStep) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f});
  StepRecorder rec;
  train::Trainer trainer({&rec});
  // 800 samples, batches of 100 with drop_last: 8 batches an epoch.
  trainer.fit(model, loss, sgd, data.train, nullptr, {.epochs = 2, .batch_size = 100, .drop_last = true});
  ASSERT_EQ(rec.steps.size(), 16u);
  for (size_t i = 0; i < rec.steps.size(); ++i) EXPECT_EQ(rec.steps[i], static_cast<int64_t>(i) + 1);
  EXPECT_EQ(rec.begun, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(rec.ended, (std::vector<int64_t>{0, 1}));
}

TEST(Trainer, SchedulerStepsOncePerEpoch) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.08f});
  nn::StepLR sched(sgd, 1, 0.5f);
  train::Trainer trainer;
  const auto h = trainer.fit(model, loss, sgd, data.train, nullptr, {.epochs = 4, .batch_size = 64}, &sched);
  const std::vector<double> lr = h.series("lr");
  ASSERT_EQ(lr.size(), 4u);
  EXPECT_FLOAT_EQ(static_cast<float>(lr[0]), 0.08f);
  EXPECT_FLOAT_EQ(static_cast<float>(lr[1]), 0.04f);
  EXPECT_FLOAT_EQ(static_cast<float>(lr[3]), 0.01f);
  EXPECT_EQ(sched.epoch(), 4);
}

TEST(Trainer, RejectsBadOptionsAndMismatchedData) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f});
  train::Trainer trainer;
  EXPECT_THROW(trainer.fit(model, loss, sgd, data.train, nullptr, {.batch_size = 0}), nn::Error);
  EXPECT_THROW(trainer.fit(model, loss, sgd, data.train, nullptr, {.epochs = 2, .start_epoch = 3}), nn::Error);
  EXPECT_THROW(trainer.fit(model, loss, sgd, data.train, nullptr, {.batch_size = 1000, .drop_last = true}),
               nn::Error);
  nn::Tensor x(nn::Shape{4, 2}), y(nn::Shape{4, 1});
  const Dataset reg = Dataset::regression(std::move(x), std::move(y));
  EXPECT_THROW(trainer.fit(model, loss, sgd, data.train, &reg, {.epochs = 1}), nn::Error);
}

}  // namespace
