// Training that diverges: a NaN loss or a step that makes a weight non-finite stops the Trainer at
// once, naming where; gradient clipping keeps a huge-gradient run finite.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/error.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/trainer.hpp"

#include "support/support.hpp"
#include "support/trainer_rig.hpp"

namespace {

using nn::test::error_of;

using nn::test::trainer_rig::blobs;
using nn::test::trainer_rig::mlp;
using nn::test::trainer_rig::weights;
namespace train = nn::train;

bool all_finite(const std::vector<float>& w) {
  for (float v : w) {
    if (!std::isfinite(v)) return false;
  }
  return true;
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

}  // namespace
