#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <sstream>
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
#include "nn/train/progress.hpp"
#include "nn/train/trainer.hpp"

#include "support/support.hpp"

namespace {

using nn::test::error_of;

using nn::data::Dataset;
namespace train = nn::train;

// Standardises every feature column of both sets with the training set's mean and deviation.
void standardise(Dataset& tr, Dataset& va) {
  nn::Tensor& x = tr.mutable_features();
  const int64_t n = x.dim(0), d = x.dim(1);
  for (int64_t j = 0; j < d; ++j) {
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < n; ++i) mean += x.at(i, j);
    mean /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) var += (x.at(i, j) - mean) * (x.at(i, j) - mean);
    const double sd = std::sqrt(var / static_cast<double>(n));
    for (Dataset* ds : {&tr, &va}) {
      nn::Tensor& f = ds->mutable_features();
      for (int64_t i = 0; i < f.dim(0); ++i) f.at(i, j) = static_cast<float>((f.at(i, j) - mean) / sd);
    }
  }
}

struct Split {
  Dataset train, val;
};

// 1000 blobs of `centers` classes, 2 features; the first 800 train, the last 200 validate.
Split blobs(int64_t centers = 3) {
  Dataset all = nn::data::make_blobs({.n_samples = 1000, .n_features = 2, .centers = centers, .seed = 4});
  std::vector<int64_t> idx(1000);
  std::iota(idx.begin(), idx.end(), int64_t{0});
  nn::Rng rng(9);
  rng.shuffle(std::span<int64_t>(idx));
  Split s{all.subset(std::span<const int64_t>(idx.data(), 800)),
          all.subset(std::span<const int64_t>(idx.data() + 800, 200))};
  standardise(s.train, s.val);
  return s;
}

nn::Sequential mlp(int64_t outputs, uint64_t seed = 7) {
  nn::manual_seed(seed);
  return nn::Sequential(nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, outputs));
}

std::vector<float> weights(nn::Module& m) {
  std::vector<float> w;
  for (auto* p : m.parameters()) w.insert(w.end(), p->data.span().begin(), p->data.span().end());
  return w;
}

bool all_finite(const std::vector<float>& w) {
  for (float v : w) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

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

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutImprovement) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.0f});  // nothing can improve after epoch 0
  train::EarlyStopping stop({.monitor = "val_loss", .patience = 3});
  train::Trainer trainer;
  trainer.add_callback(stop);
  const auto h = trainer.fit(model, loss, sgd, data.train, &data.val, {.epochs = 20, .batch_size = 64});
  ASSERT_EQ(h.size(), 4u);  // epoch 0 sets the best, epochs 1, 2, 3 do not improve on it
  EXPECT_EQ(stop.best_epoch(), 0);
  EXPECT_EQ(stop.stopped_epoch(), 3);
  EXPECT_EQ(stop.best_value(), h[0].val_loss);
  EXPECT_FALSE(stop.maximizing());
  EXPECT_NE(h.stop_reason.find("early stopping: val_loss did not improve"), std::string::npos) << h.stop_reason;
  EXPECT_NE(h.stop_reason.find("(epoch 1)"), std::string::npos) << h.stop_reason;
}

TEST(EarlyStopping, MinDeltaAndMaxModeAndChecks) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::Adam adam(model.parameters(), {.lr = 0.01f});
  // The loss falls, but never by more than min_delta: stops after 1 + patience epochs.
  train::EarlyStopping stop({.monitor = "train_loss", .patience = 2, .min_delta = 100.0});
  train::Trainer trainer({&stop});
  auto h = trainer.fit(model, loss, adam, data.train, nullptr, {.epochs = 10, .batch_size = 64});
  EXPECT_EQ(h.size(), 3u);
  EXPECT_LT(h.back().train_loss, h[0].train_loss);

  train::EarlyStopping acc({.monitor = "val_accuracy"});
  EXPECT_TRUE(acc.maximizing());
  EXPECT_THROW(train::EarlyStopping({.monitor = "val_los"}), nn::Error);
  // val_ monitors need a validation set.
  train::Trainer t2({&acc});
  EXPECT_THROW(t2.fit(model, loss, adam, data.train, nullptr, {.epochs = 1}), nn::Error);
}

TEST(EarlyStopping, RestoresTheBestWeights) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f});
  // Keeps the weights at every epoch end, to compare with what is restored.
  struct Snapshots : train::Callback {
    nn::Module* model = nullptr;
    std::vector<std::vector<float>> w;
    void on_train_begin(const train::TrainBegin& info) override { model = &info.model; }
    void on_epoch_end(int64_t, const train::EpochRecord&) override { w.push_back(weights(*model)); }
  } snaps;
  train::EarlyStopping stop({.monitor = "val_accuracy", .patience = 100, .restore_best_weights = true});
  train::Trainer trainer({&snaps, &stop});
  const auto h = trainer.fit(model, loss, sgd, data.train, &data.val, {.epochs = 4, .batch_size = 64});
  ASSERT_EQ(h.size(), 4u);
  ASSERT_GE(stop.best_epoch(), 0);
  EXPECT_EQ(weights(model), snaps.w[static_cast<size_t>(stop.best_epoch())]);
}

// A loss that returns NaN on its n-th training call (counting from 1).
class NanOnCall : public nn::SoftmaxCrossEntropyLoss {
 public:
  explicit NanOnCall(int64_t n) : n_(n) {}
  using nn::SoftmaxCrossEntropyLoss::forward;
  float forward(const nn::Tensor& pred, nn::Labels labels) override {
    const float l = nn::SoftmaxCrossEntropyLoss::forward(pred, labels);
    return ++calls_ == n_ ? std::nanf("") : l;
  }

 private:
  int64_t n_, calls_ = 0;
};

TEST(Trainer, NanLossStopsAtOnceNamingEpochAndBatch) {
  auto data = blobs(3);
  auto model = mlp(3);
  NanOnCall loss(30);  // 25 batches an epoch: the 30th is epoch 2, batch 5 (counting from 1)
  nn::SGD sgd(model.parameters(), {.lr = 0.05f, .momentum = 0.9f});
  struct LastWeights : train::Callback {
    nn::Module* model = nullptr;
    std::vector<float> w;
    void on_train_begin(const train::TrainBegin& info) override { model = &info.model; }
    void on_batch_end(const train::BatchEnd&) override { w = weights(*model); }
  } last;
  train::Trainer trainer({&last});
  EXPECT_HAS(error_of([&] { trainer.fit(model, loss, sgd, data.train, nullptr, {.epochs = 5, .batch_size = 32}); }),
             "training diverged: loss is nan at epoch 2/5, batch 5/25");
  EXPECT_EQ(sgd.step_count(), 29);         // no step for the NaN batch
  EXPECT_EQ(weights(model), last.w);       // the weights after the last finite step
  EXPECT_TRUE(all_finite(weights(model)));
  EXPECT_EQ(trainer.history().size(), 1u);  // epoch 1 recorded, epoch 2 in progress
  EXPECT_EQ(trainer.history().partial.batches, 4);
  EXPECT_TRUE(model.input_grad());  // the trainer's settings were undone
}

TEST(Trainer, HugeLearningRateDiverges) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::MSELoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 1e18f});
  train::Trainer trainer;
  {
    const std::string msg =
        error_of([&] { trainer.fit(model, loss, sgd, data.train, nullptr, {.epochs = 3, .batch_size = 32}); });
    EXPECT_EQ(msg.rfind("training diverged: loss is ", 0), 0u) << msg;
    EXPECT_NE(msg.find(" at epoch 1/3, batch "), std::string::npos) << msg;
  }
}

// An MSE whose gradient is scaled far beyond any sane step: the update overflows the weights while
// the loss of that batch is still finite.
class HugeGradientLoss : public nn::MSELoss {
 public:
  using nn::MSELoss::forward;
  float forward(const nn::Tensor& pred, nn::Labels labels) override {
    const float l = nn::MSELoss::forward(pred, labels);
    for (int64_t i = 0; i < grad_.numel(); ++i) grad_[i] *= 1e38f;
    return l;
  }
};

TEST(Trainer, StepThatMakesAWeightNonFiniteStopsBeforeAnyCallback) {
  auto data = blobs(3);
  auto model = mlp(3);
  HugeGradientLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 10.0f});
  struct SeenWeights : train::Callback {
    nn::Module* model = nullptr;
    int64_t batches = 0;
    bool all_seen_finite = true;
    void on_train_begin(const train::TrainBegin& info) override { model = &info.model; }
    void on_batch_end(const train::BatchEnd&) override {
      ++batches;
      all_seen_finite = all_seen_finite && all_finite(weights(*model));
    }
  } seen;
  train::Trainer trainer({&seen});
  try {
    trainer.fit(model, loss, sgd, data.train, nullptr, {.epochs = 2, .batch_size = 32});
    FAIL() << "expected nn::Error";
  } catch (const nn::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("training diverged: the optimizer step at epoch 1/2, batch 1/25 (step 1) made a weight "
                       "non-finite"),
              std::string::npos)
        << msg;
  }
  EXPECT_FALSE(sgd.last_step_finite());
  EXPECT_EQ(seen.batches, 0);  // no callback (checkpoint writer, step log) saw the diverged step
  EXPECT_TRUE(seen.all_seen_finite);
}

TEST(Trainer, GradientClippingKeepsTheHugeGradientRunFinite) {
  auto data = blobs(3);
  auto model = mlp(3);
  HugeGradientLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.1f});
  train::Trainer trainer;
  const auto h = trainer.fit(model, loss, sgd, data.train, &data.val,
                             {.epochs = 3, .batch_size = 32, .clip_grad_norm = 1.0f});
  ASSERT_EQ(h.size(), 3u);
  EXPECT_TRUE(sgd.last_step_finite());
  EXPECT_TRUE(all_finite(weights(model)));
  EXPECT_GT(h.back().val_accuracy, 0.8);  // clipped steps of length <= lr still learn the blobs
  auto model2 = mlp(3);
  nn::SGD sgd2(model2.parameters(), {.lr = 0.1f});
  EXPECT_THROW(trainer.fit(model2, loss, sgd2, data.train, nullptr, {.epochs = 1, .clip_grad_norm = -1.0f}),
               nn::Error);
}

TEST(Progress, PlainModeWritesOneLinePerEpoch) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f});
  std::ostringstream out;
  train::ProgressReporter progress(out);
  EXPECT_EQ(progress.mode(), train::ProgressMode::lines);  // a string stream is no terminal
  train::Trainer trainer({&progress});
  trainer.fit(model, loss, sgd, data.train, &data.val, {.epochs = 3, .batch_size = 64});
  const std::string text = out.str();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    EXPECT_EQ(line.rfind("epoch " + std::to_string(n) + "/3  train_loss ", 0), 0u) << line;
    for (const char* part : {"train_acc ", "%  val_loss ", "val_acc ", "lr 0.05", "s  ", " samples/s"}) {
      EXPECT_NE(line.find(part), std::string::npos) << part << " missing from: " << line;
    }
  }
  EXPECT_EQ(n, 3);
}

TEST(Progress, BarModeRedrawsAndQuietPrintsNothing) {
  auto data = blobs(3);
  auto model = mlp(3);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f});
  std::ostringstream bar_out, quiet_out;
  train::ProgressReporter bar(bar_out, {.mode = train::ProgressMode::bar});
  train::ProgressReporter quiet(quiet_out, {.mode = train::ProgressMode::quiet});
  train::Trainer trainer({&bar, &quiet});
  trainer.fit(model, loss, sgd, data.train, nullptr, {.epochs = 2, .batch_size = 64});
  const std::string text = bar_out.str();
  // The last batch of each epoch is always drawn, then the summary replaces the bar.
  EXPECT_NE(text.find("\repoch 1/2 ["), std::string::npos);
  EXPECT_NE(text.find("] 13/13  loss "), std::string::npos) << text;
  EXPECT_NE(text.find("acc "), std::string::npos);
  EXPECT_NE(text.find("ETA "), std::string::npos);
  EXPECT_NE(text.find("\repoch 2/2  train_loss "), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_TRUE(quiet_out.str().empty());

  EXPECT_EQ(train::ProgressReporter::group_thousands(41230), "41,230");
  EXPECT_EQ(train::ProgressReporter::group_thousands(1234567), "1,234,567");
  EXPECT_EQ(train::ProgressReporter::group_thousands(999), "999");
  EXPECT_EQ(train::ProgressReporter::duration(4.2), "4s");
  EXPECT_EQ(train::ProgressReporter::duration(65), "1m05s");
  EXPECT_EQ(train::ProgressReporter::duration(3720), "1h02m");
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
