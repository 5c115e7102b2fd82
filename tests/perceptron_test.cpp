// Perceptron: its initial weights, one epoch by hand, convergence on blobs, the threshold, and
// tensor and uint8 inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/classic/perceptron.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"
#include "nn/random.hpp"

#include "support/classic_data.hpp"

namespace {

using nn::Shape;
using nn::Tensor;
using nn::classic::Perceptron;
using nn::data::Dataset;
using nn::test::classic_data::initial_weights;
using nn::test::classic_data::standardised;
using nn::test::classic_data::tiny;

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

}  // namespace
