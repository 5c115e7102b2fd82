// EarlyStopping: patience, min_delta, the direction of the monitored figure, and restoring the best
// weights.
#include <gtest/gtest.h>

#include <utility>

#include <string>
#include <vector>

#include "nn/error.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/trainer.hpp"

#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"
#include "support/trainer_rig.hpp"

namespace {

using nn::test::trainer_rig::blobs;
using nn::test::trainer_rig::mlp;
using nn::test::trainer_rig::weights;

namespace train = nn::train;

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

// Batch norm's running statistics are part of the best epoch's state: restored with the weights.
TEST(EarlyStopping, RestoresTheBuffersOfTheBestEpochToo) {
  auto data = blobs(3);
  nn::manual_seed(5);
  nn::Sequential model(nn::Linear(8), nn::BatchNorm1d(8), nn::ReLU(), nn::Linear(3));
  model.build(data.train.sample_shape());
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.05f});
  struct Snapshots : train::Callback {
    nn::Module* model = nullptr;
    std::vector<std::vector<float>> buffers;
    void on_train_begin(const train::TrainBegin& info) override { model = &info.model; }
    void on_epoch_end(int64_t, const train::EpochRecord&) override {
      std::vector<float> all;
      for (const nn::Tensor* b : std::as_const(*model).buffers()) all.insert(all.end(), b->span().begin(), b->span().end());
      buffers.push_back(all);
    }
  } snaps;
  // A min_delta no later epoch can beat makes the first epoch the best one.
  train::EarlyStopping stop({.monitor = "val_loss", .patience = 100, .min_delta = 1e6, .restore_best_weights = true});
  train::Trainer trainer({&snaps, &stop});
  trainer.fit(model, loss, sgd, data.train, &data.val, {.epochs = 4, .batch_size = 64});
  ASSERT_EQ(stop.best_epoch(), 0);
  std::vector<float> now;
  for (const nn::Tensor* b : std::as_const(model).buffers()) now.insert(now.end(), b->span().begin(), b->span().end());
  EXPECT_EQ(now, snaps.buffers[static_cast<size_t>(stop.best_epoch())]);
  EXPECT_NE(now, snaps.buffers.back());
}

}  // namespace
