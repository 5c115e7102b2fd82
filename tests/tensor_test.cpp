#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "nn/error.hpp"
#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace {

TEST(Shape, RankNumelAndText) {
  nn::Shape s{64, 784};
  EXPECT_EQ(s.rank(), 2);
  EXPECT_EQ(s.numel(), 64 * 784);
  EXPECT_EQ(s.str(), "[64, 784]");
  EXPECT_EQ(nn::Shape{}.numel(), 1);  // a scalar
  EXPECT_EQ((nn::Shape{3, 0, 2}).numel(), 0);
  EXPECT_TRUE((nn::Shape{2, 3}) == (nn::Shape{2, 3}));
  EXPECT_FALSE((nn::Shape{2, 3}) == (nn::Shape{3, 2}));
  EXPECT_THROW((nn::Shape{1, 2, 3, 4, 5}), nn::Error);
  EXPECT_THROW((nn::Shape{2, -1}), nn::Error);
}

TEST(Tensor, StorageIs64ByteAlignedAndZeroFilled) {
  for (int64_t n : {1, 3, 17, 1000}) {
    nn::Tensor t(nn::Shape{n});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % 64, 0u);
    for (float v : t.span()) EXPECT_EQ(v, 0.0f);
  }
}

TEST(Tensor, ValuesAndElementAccess) {
  nn::Tensor t(nn::Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.at(1, 2), 6.0f);
  EXPECT_EQ(t[4], 5.0f);
  EXPECT_THROW(nn::Tensor(nn::Shape{2, 2}, {1, 2, 3}), nn::Error);
}

TEST(Tensor, ScalarAndZeroSize) {
  nn::Tensor scalar(nn::Shape{}, 2.5f);
  EXPECT_EQ(scalar.rank(), 0);
  EXPECT_EQ(scalar.numel(), 1);
  EXPECT_EQ(scalar[0], 2.5f);
  nn::Tensor empty(nn::Shape{0, 5});
  EXPECT_EQ(empty.numel(), 0);
  EXPECT_TRUE(empty.empty());
  nn::Tensor copy = empty.clone();
  EXPECT_EQ(copy.shape(), (nn::Shape{0, 5}));
}

TEST(Tensor, MoveIsCheapAndCloneIsDeep) {
  nn::Tensor a(nn::Shape{4}, {1, 2, 3, 4});
  const float* storage = a.data();
  nn::Tensor b = std::move(a);
  EXPECT_EQ(b.data(), storage);
  nn::Tensor c = b.clone();
  EXPECT_NE(c.data(), b.data());
  c[0] = 9;
  EXPECT_EQ(b[0], 1.0f);
}

TEST(Tensor, ResizeKeepsAllocationWhenItFits) {
  nn::Tensor t(nn::Shape{64, 10});
  const float* storage = t.data();
  t.resize(nn::Shape{17, 10});
  EXPECT_EQ(t.data(), storage);
  EXPECT_EQ(t.numel(), 170);
  t.resize(nn::Shape{64, 10});
  EXPECT_EQ(t.data(), storage);
  t.resize(nn::Shape{65, 10});
  EXPECT_EQ(t.capacity(), 650);
}

TEST(Tensor, ReshapeKeepsElementCount) {
  nn::Tensor t(nn::Shape{2, 6});
  t.reshape(nn::Shape{3, 4});
  EXPECT_EQ(t.shape(), (nn::Shape{3, 4}));
  EXPECT_THROW(t.reshape(nn::Shape{5}), nn::Error);
}

TEST(Rng, SameSeedSameStream) {
  nn::Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const uint64_t va = a.next_u64();
    EXPECT_EQ(va, b.next_u64());
    (void)c;
  }
  EXPECT_NE(nn::Rng(42).next_u64(), nn::Rng(43).next_u64());
}

TEST(Rng, KnownValuesDoNotDependOnTheStandardLibrary) {
  // splitmix64(0) seeds xoshiro256**; these are fixed by the algorithm, not by the platform.
  nn::Rng rng(0);
  const uint64_t first = rng.next_u64();
  nn::Rng again(0);
  EXPECT_EQ(first, again.next_u64());
  EXPECT_EQ(first, 0x99EC5F36CB75F2B4ULL);
}

TEST(Rng, FillUniformGivesTheNumbersOfUniformInOrder) {
  nn::Rng a(7), b(7);
  std::vector<double> got(1000);
  b.fill_uniform(std::span<double>(got.data(), 3));  // a first short block, then the rest
  b.fill_uniform(std::span<double>(got.data() + 3, got.size() - 3));
  for (double v : got) ASSERT_EQ(v, a.uniform());
  EXPECT_EQ(a.state(), b.state());  // both continue alike
}

TEST(Rng, UniformAndNormalMoments) {
  nn::Rng rng(7);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double z = rng.normal();
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.01);
}

TEST(Rng, BelowIsInRangeAndCoversIt) {
  nn::Rng rng(1);
  int counts[7] = {};
  for (int i = 0; i < 70000; ++i) {
    const uint64_t v = rng.below(7);
    ASSERT_LT(v, 7u);
    ++counts[v];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(Rng, StateRoundTrip) {
  nn::Rng rng(5);
  rng.normal();  // leaves a cached spare
  const auto st = rng.state();
  const double expected1 = rng.normal(), expected2 = rng.normal();
  nn::Rng other(99);
  other.set_state(st);
  EXPECT_EQ(other.normal(), expected1);
  EXPECT_EQ(other.normal(), expected2);
}

TEST(Rng, ShuffleIsAPermutation) {
  nn::Rng rng(3);
  std::vector<int> v(100);
  for (int i = 0; i < 100; ++i) v[static_cast<size_t>(i)] = i;
  rng.shuffle(std::span<int>(v));
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
  EXPECT_NE(v[0] * 1000 + v[1], 0 * 1000 + 1);
}

}  // namespace

TEST(Tensor, MovedFromIsUndefinedAndCanBeUsedAgain) {
  nn::Tensor a(nn::Shape{2, 3}, 1.5f);
  nn::Tensor b(std::move(a));
  EXPECT_EQ(b.numel(), 6);
  EXPECT_FLOAT_EQ(b[5], 1.5f);
  // NOLINTBEGIN(bugprone-use-after-move): the moved-from state is what this test checks.
  EXPECT_FALSE(a.defined());
  EXPECT_EQ(a.numel(), 0);
  EXPECT_EQ(a.capacity(), 0);
  EXPECT_EQ(a.rank(), 0);
  a.resize(nn::Shape{4});  // within the old capacity: must allocate, not write through a null pointer
  ASSERT_NE(a.data(), nullptr);
  a.copy_from(nn::Tensor(nn::Shape{4}, 2.0f));
  EXPECT_FLOAT_EQ(a[3], 2.0f);
  nn::Tensor c(nn::Shape{5}, 3.0f);
  c = std::move(b);
  EXPECT_EQ(c.numel(), 6);
  EXPECT_FALSE(b.defined());
  EXPECT_EQ(b.capacity(), 0);
  // NOLINTEND(bugprone-use-after-move)
}
