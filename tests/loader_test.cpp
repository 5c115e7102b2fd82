#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "nn/data/loader.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/error.hpp"

namespace {

// Features are the sample index, so a batch tells which samples it holds.
nn::data::Dataset indexed(int64_t n) {
  nn::Tensor x(nn::Shape{n, 3});
  std::vector<int32_t> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) x.at(i, k) = static_cast<float>(i);
    y[static_cast<size_t>(i)] = static_cast<int32_t>(i % 4);
  }
  return nn::data::Dataset::classification(std::move(x), std::move(y), 4);
}

std::vector<int64_t> visit(nn::data::DataLoader& loader, int64_t epoch) {
  loader.set_epoch(epoch);
  std::vector<int64_t> seen;
  for (int64_t b = 0; b < loader.num_batches(); ++b) {
    auto batch = loader.batch(b);
    EXPECT_EQ(batch.x.dim(0), batch.size);
    EXPECT_EQ(static_cast<int64_t>(batch.labels.size()), batch.size);
    for (int64_t r = 0; r < batch.size; ++r) {
      const auto i = static_cast<int64_t>(batch.x.at(r, 0));
      EXPECT_EQ(batch.labels[static_cast<size_t>(r)], i % 4);
      seen.push_back(i);
    }
  }
  return seen;
}

TEST(DataLoader, EverySampleExactlyOncePerEpoch) {
  auto data = indexed(103);
  nn::data::DataLoader loader(data, {.batch_size = 10, .shuffle = true, .seed = 5});
  EXPECT_EQ(loader.num_batches(), 11);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    auto seen = visit(loader, epoch);
    ASSERT_EQ(seen.size(), 103u);
    std::sort(seen.begin(), seen.end());
    for (int64_t i = 0; i < 103; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
  }
}

TEST(DataLoader, SameSeedSameOrderAndEpochsDiffer) {
  auto data = indexed(50);
  nn::data::DataLoader a(data, {.batch_size = 8, .seed = 11}), b(data, {.batch_size = 8, .seed = 11}),
      c(data, {.batch_size = 8, .seed = 12});
  const auto a0 = visit(a, 0), a1 = visit(a, 1);
  EXPECT_EQ(a0, visit(b, 0));
  EXPECT_EQ(a1, visit(b, 1));
  EXPECT_NE(a0, a1);
  EXPECT_NE(a0, visit(c, 0));
  // An epoch's order does not depend on the epochs before it (what an exact resume needs).
  nn::data::DataLoader d(data, {.batch_size = 8, .seed = 11});
  EXPECT_EQ(visit(d, 1), a1);
}

TEST(DataLoader, NoShuffleKeepsOrderAndDropLastDrops) {
  auto data = indexed(25);
  nn::data::DataLoader loader(data, {.batch_size = 10, .shuffle = false, .drop_last = true});
  EXPECT_EQ(loader.num_batches(), 2);
  const auto seen = visit(loader, 0);
  ASSERT_EQ(seen.size(), 20u);
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
}

TEST(DataLoader, LastSmallerBatchReusesTheBuffer) {
  auto data = indexed(25);
  nn::data::DataLoader loader(data, {.batch_size = 10, .shuffle = false});
  const float* storage = loader.batch(0).x.data();
  auto last = loader.batch(2);
  EXPECT_EQ(last.size, 5);
  EXPECT_EQ(last.x.data(), storage);
  EXPECT_THROW(loader.batch(3), nn::Error);
}

TEST(DataLoader, Uint8ImagesAreScaledWhenGathered) {
  std::vector<uint8_t> pixels{0, 255, 51, 102, 153, 204};
  auto data = nn::data::Dataset::classification_u8(pixels, nn::Shape{1, 1, 2}, {0, 1, 1});
  nn::data::DataLoader loader(data, {.batch_size = 3, .shuffle = false});
  auto batch = loader.batch(0);
  EXPECT_EQ(batch.x.shape(), (nn::Shape{3, 1, 1, 2}));
  EXPECT_FLOAT_EQ(batch.x[1], 1.0f);
  EXPECT_FLOAT_EQ(batch.x[2], 0.2f);
}

TEST(DataLoader, RegressionTargetsTravelWithTheirSamples) {
  nn::Tensor x(nn::Shape{6, 1}), t(nn::Shape{6, 2});
  for (int64_t i = 0; i < 6; ++i) {
    x[i] = static_cast<float>(i);
    t.at(i, 0) = static_cast<float>(10 * i);
    t.at(i, 1) = static_cast<float>(-i);
  }
  auto data = nn::data::Dataset::regression(std::move(x), std::move(t));
  nn::data::DataLoader loader(data, {.batch_size = 4, .seed = 3});
  for (int64_t b = 0; b < loader.num_batches(); ++b) {
    auto batch = loader.batch(b);
    for (int64_t r = 0; r < batch.size; ++r) {
      EXPECT_EQ(batch.targets.at(r, 0), 10 * batch.x[r]);
      EXPECT_EQ(batch.targets.at(r, 1), -batch.x[r]);
    }
  }
}

TEST(Synthetic, GeneratorsAreSeededAndShaped) {
  auto a = nn::data::make_blobs(), b = nn::data::make_blobs();
  EXPECT_EQ(a.size(), 1000);
  EXPECT_EQ(a.sample_numel(), 2);
  EXPECT_EQ(a.num_classes(), 2);
  EXPECT_EQ(a.features().to_vector(), b.features().to_vector());
  EXPECT_NE(a.features().to_vector(), nn::data::make_blobs({.seed = 2}).features().to_vector());
  auto c = nn::data::make_classification();
  EXPECT_EQ(c.size(), 100);
  EXPECT_EQ(c.sample_numel(), 2);
  auto s = nn::data::make_spiral(300, 3);
  EXPECT_EQ(s.num_classes(), 3);
  EXPECT_EQ(nn::data::make_moons(200).size(), 200);
  EXPECT_EQ(nn::data::make_circles(200).size(), 200);
  EXPECT_EQ(nn::data::make_xor().labels(), (std::vector<int32_t>{0, 1, 1, 0}));
  EXPECT_THROW(nn::data::make_classification({.n_informative = 1, .n_classes = 3}), nn::Error);
}

}  // namespace

// keep() is subset() made in place: the same samples in the same order, for every storage kind.
TEST(Dataset, KeepInPlaceEqualsSubset) {
  const std::vector<int64_t> pick{7, 2, 9, 0, 5, 3};
  std::vector<uint8_t> pixels(10 * 4);
  std::vector<int32_t> labels(10);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % 3);
  auto images = nn::data::Dataset::classification_u8(pixels, nn::Shape{4}, labels);
  nn::Tensor x(nn::Shape{10, 2}), y(nn::Shape{10, 3});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(i) * 0.5f;
  for (int64_t i = 0; i < y.numel(); ++i) y[i] = -static_cast<float>(i);
  auto regression = nn::data::Dataset::regression(std::move(x), std::move(y));
  for (nn::data::Dataset* d : {&images, &regression}) {
    const nn::data::Dataset expected = d->subset(pick);
    d->keep(pick);
    ASSERT_EQ(d->size(), expected.size());
    EXPECT_EQ(d->features_u8(), expected.features_u8());
    EXPECT_EQ(d->features().to_vector(), expected.features().to_vector());
    EXPECT_EQ(d->labels(), expected.labels());
    EXPECT_EQ(d->targets().to_vector(), expected.targets().to_vector());
    EXPECT_EQ(d->targets().shape(), expected.targets().shape());
  }
  EXPECT_THROW(images.keep(std::vector<int64_t>{1, 1}), nn::Error);
  EXPECT_THROW(images.keep(std::vector<int64_t>{6}), nn::Error);
}
