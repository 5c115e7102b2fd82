// AdalineGD (full-batch gradient descent) and AdalineSGD (per sample, partial_fit): steps by hand,
// the loss per epoch, convergence and shuffling.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/classic/adaline.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"
#include "nn/random.hpp"

#include "support/classic_data.hpp"

namespace {

using nn::Shape;
using nn::Tensor;
using nn::classic::AdalineGD;
using nn::classic::AdalineSGD;
using nn::data::Dataset;
using nn::test::classic_data::initial_weights;
using nn::test::classic_data::standardised;
using nn::test::classic_data::tiny;

// ---- AdalineGD ---------------------------------------------------------------------------------

TEST(AdalineGD, OneEpochIsTheFullBatchStepByHand) {
  const Dataset d = tiny();
  const double eta = 0.05;
  AdalineGD a({.learning_rate = eta, .n_iter = 1, .random_state = 5});
  a.fit(d);
  const std::vector<double> w0 = initial_weights(5, 2);
  std::vector<double> dw(2, 0.0);
  double db = 0.0, loss = 0.0;
  for (int64_t i = 0; i < 4; ++i) {
    const double e = d.labels()[static_cast<size_t>(i)] - (w0[0] * d.feature(i, 0) + w0[1] * d.feature(i, 1));
    dw[0] += e * d.feature(i, 0);
    dw[1] += e * d.feature(i, 1);
    db += e;
    loss += e * e;
  }
  ASSERT_EQ(a.losses().size(), 1u);
  EXPECT_DOUBLE_EQ(a.losses()[0], loss / 4);
  EXPECT_DOUBLE_EQ(a.weights()[0], w0[0] + eta * 2 * dw[0] / 4);
  EXPECT_DOUBLE_EQ(a.weights()[1], w0[1] + eta * 2 * dw[1] / 4);
  EXPECT_DOUBLE_EQ(a.bias(), eta * 2 * db / 4);
}

TEST(AdalineGD, SmallLearningRateLowersTheLossEveryEpoch) {
  const Dataset raw = nn::data::make_blobs();
  const Dataset z = standardised(raw);
  struct Run {
    const Dataset* d;
    double eta;
    int64_t epochs;
  };
  for (const Run& r : {Run{&raw, 0.0001, 15}, Run{&z, 0.01, 50}}) {
    AdalineGD a({.learning_rate = r.eta, .n_iter = r.epochs});
    a.fit(*r.d);
    const auto& l = a.losses();
    ASSERT_EQ(static_cast<int64_t>(l.size()), r.epochs);
    for (size_t k = 1; k < l.size(); ++k) EXPECT_LT(l[k], l[k - 1]) << "eta " << r.eta << " epoch " << k + 1;
    EXPECT_LT(l.back(), 0.9 * l.front()) << "eta " << r.eta;
  }
  // Standardised data at 0.01 for 200 epochs learns the blobs (the MSE minimum is about 0.016).
  AdalineGD a({.learning_rate = 0.01, .n_iter = 200});
  a.fit(z);
  EXPECT_GT(a.accuracy(z), 0.99);
  EXPECT_LT(a.losses().back(), 0.02);
}

TEST(AdalineGD, TooLargeLearningRateMakesTheLossGrow) {
  const Dataset raw = nn::data::make_blobs();
  AdalineGD a({.learning_rate = 0.1, .n_iter = 15});
  a.fit(raw);
  const auto& l = a.losses();
  ASSERT_EQ(l.size(), 15u);
  for (size_t k = 1; k < l.size(); ++k) EXPECT_GT(l[k], l[k - 1]) << "epoch " << k + 1;
  EXPECT_GT(l.back(), 1e6 * l.front());
}

// ---- AdalineSGD --------------------------------------------------------------------------------

TEST(AdalineSGD, ConvergesOnStandardisedBlobs) {
  const Dataset z = standardised(nn::data::make_blobs());
  // Seed 001's run: 20 epochs at 0.001.
  AdalineSGD a({.learning_rate = 0.001, .n_iter = 20, .random_state = 1});
  a.fit(z);
  const auto& l = a.losses();
  ASSERT_EQ(l.size(), 20u);
  EXPECT_LT(l.back(), 0.02);
  EXPECT_LT(l.back(), 0.5 * l.front());
  EXPECT_GT(a.accuracy(z), 0.99);
  // Ten times the learning rate gets there within the first epochs too.
  AdalineSGD b({.learning_rate = 0.01, .n_iter = 5, .random_state = 1});
  b.fit(z);
  EXPECT_LT(b.losses().back(), 0.02);
  EXPECT_GT(b.accuracy(z), 0.99);
}

TEST(AdalineSGD, OneEpochWithoutShuffleIsThePerSampleRuleByHand) {
  const Dataset d = tiny();
  const double eta = 0.05;
  AdalineSGD a({.learning_rate = eta, .n_iter = 1, .shuffle = false, .random_state = 9});
  a.fit(d);
  std::vector<double> w = initial_weights(9, 2);
  double b = 0.0, loss = 0.0;
  for (int64_t i = 0; i < 4; ++i) {
    const double e = d.labels()[static_cast<size_t>(i)] - (w[0] * d.feature(i, 0) + w[1] * d.feature(i, 1) + b);
    w[0] += eta * 2 * e * d.feature(i, 0);
    w[1] += eta * 2 * e * d.feature(i, 1);
    b += eta * 2 * e;
    loss += e * e;
  }
  EXPECT_DOUBLE_EQ(a.weights()[0], w[0]);
  EXPECT_DOUBLE_EQ(a.weights()[1], w[1]);
  EXPECT_DOUBLE_EQ(a.bias(), b);
  ASSERT_EQ(a.losses().size(), 1u);
  EXPECT_DOUBLE_EQ(a.losses()[0], loss / 4);
}

TEST(AdalineSGD, ShufflingChangesTheOrder) {
  const Dataset z = standardised(nn::data::make_blobs({.n_samples = 200}));
  AdalineSGD on({.n_iter = 3, .shuffle = true}), off({.n_iter = 3, .shuffle = false});
  on.fit(z);
  off.fit(z);
  EXPECT_NE(on.weights(), off.weights());
  // Without shuffling the generator is not touched after the weights are drawn.
  nn::Rng after_init(off.options().random_state);
  for (int j = 0; j < 2; ++j) after_init.normal();
  EXPECT_EQ(off.rng().state(), after_init.state());
  EXPECT_NE(on.rng().state(), after_init.state());
}

TEST(AdalineSGD, PartialFitOnOneSampleUpdatesWeightsAndKeepsTheRest) {
  const Dataset z = standardised(nn::data::make_blobs());
  const double eta = 0.01;
  AdalineSGD a({.learning_rate = eta, .n_iter = 5, .random_state = 2});
  a.fit(z);
  const std::vector<double> w = a.weights();
  const double b = a.bias();
  const std::vector<double> losses = a.losses();
  const nn::Rng::State rng = a.rng().state();

  const std::vector<float> x = {z.feature(0, 0), z.feature(0, 1)};
  const int32_t y = z.labels()[0];
  const double e = y - (w[0] * x[0] + w[1] * x[1] + b);
  const double loss = a.partial_fit(x, y);
  EXPECT_NEAR(loss, e * e, 1e-12);
  EXPECT_NE(a.weights(), w);
  EXPECT_NEAR(a.weights()[0], w[0] + eta * 2 * e * x[0], 1e-12);
  EXPECT_NEAR(a.weights()[1], w[1] + eta * 2 * e * x[1], 1e-12);
  EXPECT_NEAR(a.bias(), b + eta * 2 * e, 1e-12);
  EXPECT_EQ(a.losses(), losses);
  EXPECT_EQ(a.rng().state(), rng);
  EXPECT_EQ(a.n_features(), 2);

  // A batch of new samples (tensor or dataset) is learned from in the order given.
  AdalineSGD c({.learning_rate = eta, .n_iter = 5, .random_state = 2}), d2({.learning_rate = eta, .n_iter = 5,
                                                                             .random_state = 2});
  c.fit(z);
  d2.fit(z);
  const Dataset fresh = standardised(nn::data::make_blobs({.n_samples = 20, .seed = 3}));
  c.partial_fit(fresh);
  for (int64_t i = 0; i < fresh.size(); ++i) {
    const std::vector<float> row = {fresh.feature(i, 0), fresh.feature(i, 1)};
    d2.partial_fit(row, fresh.labels()[static_cast<size_t>(i)]);
  }
  EXPECT_EQ(c.weights(), d2.weights());
  EXPECT_EQ(c.bias(), d2.bias());
  EXPECT_EQ(c.losses(), losses);
}

TEST(AdalineSGD, PartialFitBeforeFitInitialisesTheWeights) {
  const double eta = 0.01;
  AdalineSGD a({.learning_rate = eta, .random_state = 4});
  EXPECT_FALSE(a.fitted());
  const std::vector<float> x = {0.5f, -1.5f, 2.0f};
  a.partial_fit(x, 1);
  ASSERT_TRUE(a.fitted());
  ASSERT_EQ(a.n_features(), 3);
  const std::vector<double> w0 = initial_weights(4, 3);
  const double e = 1.0 - (w0[0] * 0.5 + w0[1] * -1.5 + w0[2] * 2.0);
  for (size_t j = 0; j < 3; ++j) EXPECT_NEAR(a.weights()[j], w0[j] + eta * 2 * e * x[j], 1e-12);
  EXPECT_NEAR(a.bias(), eta * 2 * e, 1e-12);
  EXPECT_TRUE(a.losses().empty());
  // A second call learns on; it does not re-initialise.
  const std::vector<double> w1 = a.weights();
  const double e2 = 1.0 - a.net_input(x);
  a.partial_fit(x, 1);
  for (size_t j = 0; j < 3; ++j) EXPECT_NEAR(a.weights()[j], w1[j] + eta * 2 * e2 * x[j], 1e-12);
}

TEST(AdalineSGD, FitAfterPartialFitStartsAfresh) {
  const Dataset z = standardised(nn::data::make_blobs({.n_samples = 100}));
  AdalineSGD a({.n_iter = 4}), b({.n_iter = 4});
  const std::vector<float> x = {3.0f, -3.0f};
  a.partial_fit(x, 0);
  a.fit(z);
  b.fit(z);
  EXPECT_EQ(a.weights(), b.weights());
  EXPECT_EQ(a.losses(), b.losses());
  EXPECT_EQ(a.rng().state(), b.rng().state());
}

}  // namespace
