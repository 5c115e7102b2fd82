// The classic single neurons of seed 001: Perceptron, AdalineGD, AdalineSGD.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/classic/adaline.hpp"
#include "nn/classic/perceptron.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"
#include "nn/random.hpp"

#include "support/support.hpp"

namespace {

using nn::test::error_of;

using nn::Shape;
using nn::Tensor;
using nn::classic::AdalineGD;
using nn::classic::AdalineSGD;
using nn::classic::Perceptron;
using nn::data::Dataset;

// Each feature shifted to mean 0 and scaled to standard deviation 1 (population std).
Dataset standardised(const Dataset& d) {
  const int64_t n = d.size(), f = d.sample_numel();
  Tensor x(Shape{n, f});
  for (int64_t j = 0; j < f; ++j) {
    double mean = 0.0, sq = 0.0;
    for (int64_t i = 0; i < n; ++i) mean += d.feature(i, j);
    mean /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) sq += (d.feature(i, j) - mean) * (d.feature(i, j) - mean);
    const double sd = std::sqrt(sq / static_cast<double>(n));
    for (int64_t i = 0; i < n; ++i) x.at(i, j) = static_cast<float>((d.feature(i, j) - mean) / sd);
  }
  return Dataset::classification(std::move(x), d.labels(), d.num_classes());
}

// Four points in 2-D, labels 0/1, small enough to follow by hand.
Dataset tiny() {
  Tensor x(Shape{4, 2}, {1.0f, 2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 0.0f, 1.0f});
  return Dataset::classification(std::move(x), {1, 0, 1, 0}, 2);
}

std::vector<double> initial_weights(uint64_t seed, int64_t n) {
  nn::Rng rng(seed);
  std::vector<double> w;
  for (int64_t j = 0; j < n; ++j) w.push_back(rng.normal(0.0, 0.01));
  return w;
}

// ---- Perceptron --------------------------------------------------------------------------------

TEST(Perceptron, InitialisesWeightsFromTheSeededNormal) {
  Perceptron p({.learning_rate = 0.01, .n_iter = 0, .random_state = 7});
  p.fit(tiny());
  EXPECT_EQ(p.weights(), initial_weights(7, 2));
  EXPECT_EQ(p.bias(), 0.0);
  EXPECT_TRUE(p.errors().empty());
  for (double w : p.weights()) EXPECT_LT(std::abs(w), 0.05);
}

TEST(Perceptron, OneEpochFollowsTheRuleByHand) {
  const Dataset d = tiny();
  const double eta = 0.1;
  Perceptron p({.learning_rate = eta, .n_iter = 1, .random_state = 3});
  p.fit(d);
  std::vector<double> w = initial_weights(3, 2);
  double b = 0.0;
  int64_t errors = 0;
  for (int64_t i = 0; i < d.size(); ++i) {
    const double z = w[0] * d.feature(i, 0) + w[1] * d.feature(i, 1) + b;
    const double update = eta * (d.labels()[static_cast<size_t>(i)] - (z >= 0.5 ? 1 : 0));
    w[0] += update * d.feature(i, 0);
    w[1] += update * d.feature(i, 1);
    b += update;
    errors += update != 0.0;
  }
  ASSERT_EQ(p.errors().size(), 1u);
  EXPECT_EQ(p.errors()[0], errors);
  EXPECT_GT(errors, 0);
  EXPECT_DOUBLE_EQ(p.weights()[0], w[0]);
  EXPECT_DOUBLE_EQ(p.weights()[1], w[1]);
  EXPECT_DOUBLE_EQ(p.bias(), b);
}

TEST(Perceptron, ErrorsReachZeroAndStayZeroOnBlobs) {
  const Dataset blobs = nn::data::make_blobs();
  for (const Dataset* d : {&blobs}) {
    // Seed 001's run: 40 epochs at learning rate 10; and the defaults (50 epochs at 0.01).
    for (const nn::classic::PerceptronOptions& o :
         {nn::classic::PerceptronOptions{.learning_rate = 10, .n_iter = 40},
          nn::classic::PerceptronOptions{}}) {
      Perceptron p(o);
      p.fit(*d);
      const auto& e = p.errors();
      ASSERT_EQ(static_cast<int64_t>(e.size()), o.n_iter);
      EXPECT_GT(e.front(), 0);
      size_t first_zero = e.size();
      for (size_t k = 0; k < e.size(); ++k)
        if (e[k] == 0) {
          first_zero = k;
          break;
        }
      ASSERT_LT(first_zero, e.size() - 1) << "never converged";
      for (size_t k = first_zero; k < e.size(); ++k) EXPECT_EQ(e[k], 0) << "epoch " << k + 1;
      EXPECT_EQ(p.accuracy(*d), 1.0);
    }
  }
  const Dataset z = standardised(blobs);
  Perceptron p;
  p.fit(z);
  EXPECT_EQ(p.errors().back(), 0);
  EXPECT_EQ(p.accuracy(z), 1.0);
}

TEST(Perceptron, PredictsWithTheThreshold) {
  Perceptron p({.n_iter = 0});
  p.fit(tiny());
  const std::vector<float> x = {1.0f, 2.0f};
  const double z = p.net_input(x);
  EXPECT_DOUBLE_EQ(z, p.weights()[0] * 1.0 + p.weights()[1] * 2.0 + p.bias());
  // The classic perceptron's default threshold: 0.5, between the labels 0 and 1.
  EXPECT_EQ(nn::classic::PerceptronOptions{}.threshold, 0.5);
  EXPECT_EQ(p.threshold(), 0.5);
  EXPECT_EQ(p.predict(x), z >= 0.5 ? 1 : 0);
  Perceptron high({.n_iter = 0, .threshold = 1e9});
  high.fit(tiny());
  EXPECT_EQ(high.predict(x), 0);
  Perceptron low({.n_iter = 0, .threshold = -1e9});
  low.fit(tiny());
  EXPECT_EQ(low.predict(x), 1);
  // Batch predictions agree with the per-sample ones, on tensors and datasets.
  const Dataset d = nn::data::make_blobs({.n_samples = 50});
  Perceptron q;
  q.fit(d);
  const std::vector<int32_t> by_tensor = q.predict(d.features());
  const std::vector<int32_t> by_dataset = q.predict(d);
  const std::vector<double> zs = q.net_input(d.features());
  ASSERT_EQ(by_tensor.size(), 50u);
  for (int64_t i = 0; i < 50; ++i) {
    const std::vector<float> row = {d.feature(i, 0), d.feature(i, 1)};
    EXPECT_EQ(by_tensor[static_cast<size_t>(i)], q.predict(row));
    EXPECT_EQ(by_dataset[static_cast<size_t>(i)], q.predict(row));
    EXPECT_DOUBLE_EQ(zs[static_cast<size_t>(i)], q.net_input(row));
  }
}

TEST(Perceptron, TensorAndUint8InputsMatchTheFloatDataset) {
  // uint8 features with scale 0.5 are the float features {0, 0.5, 1, ...}.
  std::vector<uint8_t> bytes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<float> floats;
  for (uint8_t v : bytes) floats.push_back(static_cast<float>(v) * 0.5f);
  const std::vector<int32_t> labels = {0, 1, 0, 1, 1};
  Dataset u8 = Dataset::classification_u8(bytes, Shape{2}, labels, 2, 0.5f);
  Dataset f = Dataset::classification(Tensor(Shape{5, 2}, floats), labels, 2);
  Perceptron a({.learning_rate = 0.1, .n_iter = 5}), b({.learning_rate = 0.1, .n_iter = 5}),
      c({.learning_rate = 0.1, .n_iter = 5});
  a.fit(u8);
  b.fit(f);
  c.fit(f.features(), labels);
  EXPECT_EQ(a.weights(), b.weights());
  EXPECT_EQ(a.errors(), b.errors());
  EXPECT_EQ(c.weights(), b.weights());
  EXPECT_EQ(c.bias(), b.bias());
  EXPECT_EQ(a.predict(u8), b.predict(f));
}

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

// ---- reproducibility ---------------------------------------------------------------------------

TEST(Classic, SameSeedSameResultsDifferentSeedsDiffer) {
  const Dataset raw = nn::data::make_blobs();
  const Dataset z = standardised(raw);
  {
    Perceptron a({.n_iter = 10, .random_state = 11}), b({.n_iter = 10, .random_state = 11}),
        c({.n_iter = 10, .random_state = 12});
    a.fit(z);
    b.fit(z);
    c.fit(z);
    EXPECT_EQ(a.weights(), b.weights());
    EXPECT_EQ(a.bias(), b.bias());
    EXPECT_EQ(a.errors(), b.errors());
    EXPECT_NE(a.weights(), c.weights());
  }
  {
    AdalineGD a({.n_iter = 10, .random_state = 11}), b({.n_iter = 10, .random_state = 11}),
        c({.n_iter = 10, .random_state = 12});
    a.fit(z);
    b.fit(z);
    c.fit(z);
    EXPECT_EQ(a.weights(), b.weights());
    EXPECT_EQ(a.losses(), b.losses());
    EXPECT_NE(a.weights(), c.weights());
    EXPECT_NE(a.losses(), c.losses());
  }
  {
    AdalineSGD a({.n_iter = 10, .random_state = 11}), b({.n_iter = 10, .random_state = 11}),
        c({.n_iter = 10, .random_state = 12});
    a.fit(z);
    b.fit(z);
    c.fit(z);
    EXPECT_EQ(a.weights(), b.weights());
    EXPECT_EQ(a.bias(), b.bias());
    EXPECT_EQ(a.losses(), b.losses());
    EXPECT_NE(a.weights(), c.weights());
    EXPECT_NE(a.losses(), c.losses());
    // Refitting the same object gives the same result again.
    const std::vector<double> w = a.weights();
    a.fit(z);
    EXPECT_EQ(a.weights(), w);
  }
}

// ---- bad input ---------------------------------------------------------------------------------

TEST(Classic, RejectsMoreThanTwoClasses) {
  const Dataset three = nn::data::make_blobs({.n_samples = 30, .centers = 3});
  const std::string p = error_of([&] { Perceptron().fit(three); });
  EXPECT_NE(p.find("Perceptron.fit"), std::string::npos) << p;
  EXPECT_NE(p.find("expected two classes"), std::string::npos) << p;
  EXPECT_NE(p.find("found 3 classes"), std::string::npos) << p;
  EXPECT_NE(error_of([&] { AdalineGD().fit(three); }).find("AdalineGD.fit: expected two classes"),
            std::string::npos);
  const std::string s = error_of([&] { AdalineSGD().partial_fit(three); });
  EXPECT_NE(s.find("AdalineSGD.partial_fit: expected two classes"), std::string::npos) << s;
  EXPECT_NE(s.find("found 3 classes"), std::string::npos) << s;
  // Labels given directly must be 0 or 1.
  const Tensor x(Shape{3, 2}, 1.0f);
  const std::vector<int32_t> y = {0, 2, 1};
  const std::string t = error_of([&] { AdalineGD().fit(x, y); });
  EXPECT_NE(t.find("expected labels 0 or 1"), std::string::npos) << t;
  EXPECT_NE(t.find("found 2 at sample 1"), std::string::npos) << t;
  EXPECT_NE(error_of([&] { AdalineSGD().partial_fit(std::vector<float>{1.0f}, -1); }).find("found -1"),
            std::string::npos);
}

TEST(Classic, RejectsEmptyData) {
  const Dataset empty = Dataset::classification(Tensor(Shape{0, 2}), {}, 2);
  for (const std::string& m : {error_of([&] { Perceptron().fit(empty); }), error_of([&] { AdalineGD().fit(empty); }),
                               error_of([&] { AdalineSGD().fit(empty); }),
                               error_of([&] { AdalineSGD().partial_fit(empty); })}) {
    EXPECT_NE(m.find("expected at least one sample, found an empty dataset"), std::string::npos) << m;
  }
  const std::string t = error_of([&] { Perceptron().fit(Tensor(Shape{0, 2}), std::vector<int32_t>{}); });
  EXPECT_NE(t.find("Perceptron.fit: expected at least one sample, found [0, 2]"), std::string::npos) << t;
  const std::string r = error_of([&] {
    AdalineGD().fit(Dataset::regression(Tensor(Shape{2, 2}), Tensor(Shape{2, 1})));
  });
  EXPECT_NE(r.find("found a regression dataset"), std::string::npos) << r;
}

TEST(Classic, RejectsAFeatureCountOtherThanTheFittedOne) {
  const Dataset two = nn::data::make_blobs({.n_samples = 20});
  const Dataset three = nn::data::make_blobs({.n_samples = 20, .n_features = 3});
  Perceptron p;
  p.fit(two);
  std::string m = error_of([&] { p.predict(three); });
  EXPECT_NE(m.find("Perceptron.predict: expected 2 features per sample (as fitted), found 3"), std::string::npos)
      << m;
  m = error_of([&] { p.predict(three.features()); });
  EXPECT_NE(m.find("expected 2 features per sample (as fitted), found 3"), std::string::npos) << m;
  m = error_of([&] { p.predict(std::vector<float>{1.0f}); });
  EXPECT_NE(m.find("found 1"), std::string::npos) << m;
  m = error_of([&] { p.net_input(three.features()); });
  EXPECT_NE(m.find("Perceptron.net_input: expected 2 features"), std::string::npos) << m;

  AdalineGD g;
  g.fit(three);
  m = error_of([&] { g.accuracy(two); });
  EXPECT_NE(m.find("AdalineGD.accuracy: expected 3 features per sample (as fitted), found 2"), std::string::npos)
      << m;

  AdalineSGD s;
  s.fit(two);
  const std::vector<double> w = s.weights();
  m = error_of([&] { s.partial_fit(three); });
  EXPECT_NE(m.find("AdalineSGD.partial_fit: expected 2 features per sample (as fitted), found 3"),
            std::string::npos)
      << m;
  m = error_of([&] { s.partial_fit(std::vector<float>{1.0f, 2.0f, 3.0f}, 1); });
  EXPECT_NE(m.find("found 3"), std::string::npos) << m;
  EXPECT_EQ(s.weights(), w);  // nothing learned from the rejected samples
}

TEST(Classic, RejectsUseBeforeFitAndBadOptions) {
  const std::string m = error_of([] { Perceptron().predict(std::vector<float>{1.0f, 2.0f}); });
  EXPECT_NE(m.find("Perceptron.predict: expected a fitted neuron"), std::string::npos) << m;
  EXPECT_NE(error_of([] { AdalineGD({.learning_rate = 0.0}); }).find("expected a positive learning_rate, found 0"),
            std::string::npos);
  EXPECT_NE(error_of([] { AdalineSGD({.n_iter = -1}); }).find("expected n_iter >= 0, found -1"), std::string::npos);
  EXPECT_NE(error_of([] { Perceptron({.learning_rate = -1}); }).find("Perceptron: expected a positive"),
            std::string::npos);
}

}  // namespace
