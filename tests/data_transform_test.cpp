// Splits, scalers and one_hot.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include "nn/data/split.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/data/transform.hpp"
#include "nn/error.hpp"

#include "support/support.hpp"

using nn::data::Dataset;

namespace {

using nn::test::error_of;

// Sample i has features (i, 2i) and label labels[i]; feature 0 tells which sample a row is.
Dataset labelled(const std::vector<int32_t>& labels) {
  const auto n = static_cast<int64_t>(labels.size());
  nn::Tensor x(nn::Shape{n, 2});
  for (int64_t i = 0; i < n; ++i) {
    x.at(i, 0) = static_cast<float>(i);
    x.at(i, 1) = static_cast<float>(2 * i);
  }
  return Dataset::classification(std::move(x), labels);
}

// 50, 30, 17 and 3 samples of classes 0..3, interleaved.
std::vector<int32_t> imbalanced() {
  std::vector<int32_t> y;
  for (int c = 0; c < 4; ++c)
    for (int k = 0; k < std::vector<int>{50, 30, 17, 3}[static_cast<size_t>(c)]; ++k) y.push_back(c);
  std::vector<int32_t> mixed;
  for (size_t k = 0; k < y.size(); ++k) mixed.push_back(y[(k * 37) % y.size()]);  // 37 is coprime with 100
  return mixed;
}

std::vector<int64_t> ids(const Dataset& d) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < d.size(); ++i) v.push_back(static_cast<int64_t>(d.feature(i, 0)));
  return v;
}

std::vector<int64_t> class_counts(const Dataset& d) {
  std::vector<int64_t> c(static_cast<size_t>(d.num_classes()), 0);
  for (int32_t l : d.labels()) ++c[static_cast<size_t>(l)];
  return c;
}

// ---- splits ------------------------------------------------------------------------------------

TEST(Split, SizesDisjointAndSeeded) {
  const Dataset d = labelled(imbalanced());
  auto [train, test] = nn::data::train_test_split(d, 0.25, 7);
  EXPECT_EQ(test.size(), 25);
  EXPECT_EQ(train.size(), 75);
  auto a = ids(train), b = ids(test);
  std::vector<int64_t> all(a);
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], i);
  // Labels travel with their samples.
  for (int64_t i = 0; i < test.size(); ++i)
    EXPECT_EQ(test.labels()[static_cast<size_t>(i)], d.labels()[static_cast<size_t>(b[static_cast<size_t>(i)])]);
  EXPECT_EQ(ids(nn::data::train_test_split(d, 0.25, 7).second), b);
  EXPECT_NE(ids(nn::data::train_test_split(d, 0.25, 8).second), b);
  // ceil, as scikit-learn: 0.2 of 150 is 30, 0.1 of 15 is 2.
  EXPECT_EQ(nn::data::train_test_split(labelled(std::vector<int32_t>(150, 0)), 0.2, 1).second.size(), 30);
  EXPECT_EQ(nn::data::train_test_split(labelled(std::vector<int32_t>(15, 0)), 0.1, 1).second.size(), 2);
}

TEST(Split, StratifiedKeepsClassProportions) {
  const Dataset d = labelled(imbalanced());
  const std::vector<int64_t> total = {50, 30, 17, 3};
  for (const double f : {0.1, 0.25, 0.3, 0.5}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      auto [train, test] = nn::data::train_test_split(d, f, seed, true);
      EXPECT_EQ(test.size(), static_cast<int64_t>(std::ceil(f * 100 - 1e-9)));
      const auto tc = class_counts(test), rc = class_counts(train);
      for (size_t c = 0; c < 4; ++c) {
        EXPECT_EQ(tc[c] + rc[c], total[c]);
        const double exact = f * static_cast<double>(total[c]);
        EXPECT_LE(std::fabs(static_cast<double>(tc[c]) - exact), 1.0) << "class " << c << " fraction " << f;
        EXPECT_LE(std::fabs(static_cast<double>(rc[c]) - (static_cast<double>(total[c]) - exact)), 1.0);
      }
    }
  }
}

TEST(Split, UnstratifiedCanDriftStratifiedDoesNot) {
  // A balanced two-class dataset: over many seeds a plain split misses the 50/50 ratio by more
  // than one sample at least once, a stratified one never does.
  std::vector<int32_t> y(200);
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int32_t>(i % 2);
  const Dataset d = labelled(y);
  int64_t plain_worst = 0, strat_worst = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    plain_worst = std::max(plain_worst, std::abs(class_counts(nn::data::train_test_split(d, 0.2, seed).second)[0] - 20));
    strat_worst =
        std::max(strat_worst, std::abs(class_counts(nn::data::train_test_split(d, 0.2, seed, true).second)[0] - 20));
  }
  EXPECT_GT(plain_worst, 1);
  EXPECT_EQ(strat_worst, 0);
}

TEST(Split, ThreeWay) {
  const Dataset d = labelled(imbalanced());
  const auto s = nn::data::train_val_test_split(d, 0.2, 0.1, 5, true);
  EXPECT_EQ(s.test.size(), 10);
  EXPECT_EQ(s.val.size(), 20);
  EXPECT_EQ(s.train.size(), 70);
  std::set<int64_t> seen;
  for (const Dataset* part : {&s.train, &s.val, &s.test})
    for (int64_t i : ids(*part)) EXPECT_TRUE(seen.insert(i).second) << "sample " << i << " in two parts";
  EXPECT_EQ(seen.size(), 100u);
  const auto vc = class_counts(s.val);
  EXPECT_NEAR(static_cast<double>(vc[0]), 10.0, 1.0);
  EXPECT_NEAR(static_cast<double>(vc[1]), 6.0, 1.0);
  const auto none = nn::data::train_val_test_split(d, 0.0, 0.3, 5);
  EXPECT_EQ(none.val.size(), 0);
  EXPECT_EQ(none.train.size(), 70);
}

TEST(Split, KeepsUint8StorageAndNames) {
  std::vector<uint8_t> px(40);
  std::iota(px.begin(), px.end(), uint8_t{0});
  Dataset d = Dataset::classification_u8(std::move(px), nn::Shape{4}, {0, 1, 0, 1, 0, 1, 0, 1, 0, 1});
  d.class_names = {"a", "b"};
  auto [train, test] = nn::data::train_test_split(d, 0.3, 1, true);
  EXPECT_TRUE(train.is_u8());
  EXPECT_EQ(test.size(), 3);
  EXPECT_EQ(test.class_names, d.class_names);
  for (int64_t i = 0; i < test.size(); ++i) {
    const auto first = static_cast<int64_t>(std::lround(test.feature(i, 0) * 255.0f));
    EXPECT_EQ(test.labels()[static_cast<size_t>(i)], (first / 4) % 2);
  }
}

TEST(Split, Errors) {
  const Dataset d = labelled({0, 1, 0, 1});
  EXPECT_THROW(nn::data::train_test_split(d, 1.0, 1), nn::Error);
  EXPECT_THROW(nn::data::train_test_split(d, -0.1, 1), nn::Error);
  EXPECT_THROW(nn::data::train_val_test_split(d, 0.5, 0.5, 1), nn::Error);
  Dataset r = Dataset::regression(nn::Tensor(nn::Shape{4, 1}), nn::Tensor(nn::Shape{4, 1}));
  EXPECT_HAS(error_of([&] { nn::data::train_test_split(r, 0.5, 1, true); }), "stratify needs a classification dataset");
}

// ---- scalers -----------------------------------------------------------------------------------

TEST(StandardScaler, FitsPopulationStatistics) {
  // Feature 0: 1, 2, 3, 6 (mean 3, population std sqrt(3.5)); feature 1 constant 5.
  nn::Tensor x(nn::Shape{4, 2}, {1, 5, 2, 5, 3, 5, 6, 5});
  Dataset d = Dataset::classification(std::move(x), {0, 1, 0, 1});
  nn::data::StandardScaler s;
  s.fit(d);
  ASSERT_EQ(s.num_features(), 2);
  EXPECT_FLOAT_EQ(s.mean()[0], 3.0f);
  EXPECT_FLOAT_EQ(s.scale()[0], std::sqrt(3.5f));
  EXPECT_FLOAT_EQ(s.mean()[1], 5.0f);
  EXPECT_FLOAT_EQ(s.scale()[1], 1.0f);  // constant feature
  s.transform(d);
  EXPECT_FLOAT_EQ(d.feature(0, 0), -2.0f / std::sqrt(3.5f));
  EXPECT_FLOAT_EQ(d.feature(3, 0), 3.0f / std::sqrt(3.5f));
  EXPECT_FLOAT_EQ(d.feature(2, 1), 0.0f);
}

TEST(StandardScaler, TrainStatisticsAppliedToTest) {
  const Dataset all = nn::data::make_blobs({.n_samples = 400, .n_features = 3, .centers = 3, .seed = 4});
  auto [train, test] = nn::data::train_test_split(all, 0.25, 9, true);
  const Dataset test_raw = test.clone();
  nn::data::StandardScaler s;
  s.fit(train);
  s.transform(train);
  s.transform(test);
  for (int64_t j = 0; j < 3; ++j) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < train.size(); ++i) m += train.feature(i, j);
    m /= static_cast<double>(train.size());
    for (int64_t i = 0; i < train.size(); ++i) v += (train.feature(i, j) - m) * (train.feature(i, j) - m);
    v /= static_cast<double>(train.size());
    EXPECT_NEAR(m, 0.0, 1e-5);
    EXPECT_NEAR(v, 1.0, 1e-4);
    // The test part is scaled with the training mean and scale, not its own.
    for (int64_t i = 0; i < test.size(); ++i)
      EXPECT_FLOAT_EQ(test.feature(i, j),
                      (test_raw.feature(i, j) - s.mean()[static_cast<size_t>(j)]) / s.scale()[static_cast<size_t>(j)]);
  }
  // Round trip through inverse_transform.
  nn::Tensor t = test.features().clone();
  s.inverse_transform(t);
  for (int64_t k = 0; k < t.numel(); ++k) EXPECT_NEAR(t[k], test_raw.features()[k], 1e-4);
}

TEST(StandardScaler, StateAndUint8AndErrors) {
  Dataset d = Dataset::classification_u8({0, 255, 51, 255, 102, 255}, nn::Shape{2}, {0, 1, 0});
  nn::data::StandardScaler s;
  s.fit(d);  // fits on the scaled values: 0, 0.2, 0.4 and 1, 1, 1
  EXPECT_NEAR(s.mean()[0], 0.2f, 1e-6);
  EXPECT_FLOAT_EQ(s.mean()[1], 1.0f);
  EXPECT_FLOAT_EQ(s.scale()[1], 1.0f);
  s.transform(d);
  EXPECT_FALSE(d.is_u8());
  EXPECT_NEAR(d.feature(2, 0), 0.2 / std::sqrt(0.08 / 3.0), 1e-5);

  nn::data::StandardScaler r;
  r.set_state(s.mean(), s.scale());
  EXPECT_EQ(r.mean(), s.mean());
  EXPECT_EQ(r.scale(), s.scale());
  EXPECT_THROW(r.set_state({1.0f}, {0.0f}), nn::Error);
  EXPECT_THROW(r.set_state({1.0f, 2.0f}, {1.0f}), nn::Error);

  nn::data::StandardScaler unfitted;
  nn::Tensor x(nn::Shape{2, 2});
  EXPECT_THROW(unfitted.transform(x), nn::Error);
  nn::Tensor none(nn::Shape{0, 2});
  EXPECT_NO_THROW(s.transform(none));  // an empty batch
  nn::Tensor wide(nn::Shape{2, 3});
  EXPECT_HAS(error_of([&] { s.transform(wide); }), "fitted on 2 features per sample, found 3");
}

TEST(MinMaxScaler, MapsTrainingRangeOntoTarget) {
  nn::Tensor x(nn::Shape{3, 3}, {1, -4, 7, 3, 0, 7, 2, 4, 7});
  Dataset d = Dataset::classification(std::move(x), {0, 1, 0});
  nn::data::MinMaxScaler s;
  s.fit(d);
  EXPECT_EQ(s.data_min(), (std::vector<float>{1, -4, 7}));
  EXPECT_EQ(s.data_max(), (std::vector<float>{3, 4, 7}));
  Dataset t = d.clone();
  s.transform(t);
  for (int64_t j = 0; j < 2; ++j) {
    float lo = 1e9f, hi = -1e9f;
    for (int64_t i = 0; i < 3; ++i) {
      lo = std::min(lo, t.feature(i, j));
      hi = std::max(hi, t.feature(i, j));
    }
    EXPECT_FLOAT_EQ(lo, 0.0f);
    EXPECT_FLOAT_EQ(hi, 1.0f);
  }
  EXPECT_FLOAT_EQ(t.feature(2, 0), 0.5f);
  EXPECT_FLOAT_EQ(t.feature(1, 2), 0.0f);  // a constant feature goes to the low end

  nn::data::MinMaxScaler sym(-1.0f, 1.0f);
  sym.fit(d);
  nn::Tensor fresh(nn::Shape{2, 3}, {2, 0, 7, 5, 8, 7});  // unseen data may leave the range
  sym.transform(fresh);
  EXPECT_FLOAT_EQ(fresh.at(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(fresh.at(0, 1), 0.0f);
  EXPECT_FLOAT_EQ(fresh.at(1, 0), 3.0f);  // (5 - 1) * 2 / 2 - 1
  EXPECT_FLOAT_EQ(fresh.at(1, 1), 2.0f);  // (8 + 4) * 2 / 8 - 1
  sym.inverse_transform(fresh);
  EXPECT_FLOAT_EQ(fresh.at(1, 0), 5.0f);
  EXPECT_FLOAT_EQ(fresh.at(1, 1), 8.0f);

  nn::data::MinMaxScaler restored(-1.0f, 1.0f);
  restored.set_state(sym.data_min(), sym.data_max());
  nn::Tensor a(nn::Shape{1, 3}, {2.5f, -1.0f, 7.0f}), b(nn::Shape{1, 3}, {2.5f, -1.0f, 7.0f});
  sym.transform(a);
  restored.transform(b);
  EXPECT_EQ(a.to_vector(), b.to_vector());
  EXPECT_THROW(nn::data::MinMaxScaler(1.0f, 1.0f), nn::Error);
  EXPECT_THROW(restored.set_state({2.0f}, {1.0f}), nn::Error);
}

TEST(OneHot, RowsHaveASingleOne) {
  const std::vector<int32_t> y = {2, 0, 1, 2};
  const nn::Tensor t = nn::data::one_hot(y, 3);
  EXPECT_EQ(t.shape(), (nn::Shape{4, 3}));
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(t.at(i, c), c == y[static_cast<size_t>(i)] ? 1.0f : 0.0f);
  const std::vector<int32_t> bad = {0, 3};
  EXPECT_THROW(nn::data::one_hot(bad, 3), nn::Error);
}

}  // namespace
