// What the classic single neurons (Perceptron, AdalineGD, AdalineSGD) share: reproducibility from
// the seed, and the refusal of bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/classic/adaline.hpp"
#include "nn/classic/perceptron.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"
#include "nn/random.hpp"

#include "support/classic_data.hpp"
#include "support/support.hpp"

namespace {

using nn::test::error_of;

using nn::Shape;
using nn::Tensor;
using nn::classic::AdalineGD;
using nn::classic::AdalineSGD;
using nn::classic::Perceptron;
using nn::data::Dataset;
using nn::test::classic_data::standardised;

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
