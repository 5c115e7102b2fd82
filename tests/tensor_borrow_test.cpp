// Tensor::borrow: a tensor over memory it does not own (the Python package's NumPy arrays).
#include <gtest/gtest.h>

#include <vector>

#include "nn/error.hpp"
#include "nn/tensor.hpp"

namespace {

struct Lender {
  int releases = 0;
  static void release(void* self) { ++static_cast<Lender*>(self)->releases; }
};

TEST(TensorBorrow, UsesTheMemoryInPlaceAndReleasesItOnce) {
  std::vector<float> memory{1, 2, 3, 4, 5, 6};
  Lender lender;
  {
    nn::Tensor t = nn::Tensor::borrow(nn::Shape{2, 3}, memory.data(), &Lender::release, &lender);
    EXPECT_TRUE(t.borrowed());
    EXPECT_EQ(t.data(), memory.data());
    EXPECT_EQ(t.at(1, 2), 6.0f);
    t[0] = 10.0f;
    EXPECT_EQ(memory[0], 10.0f);
    nn::Tensor moved = std::move(t);
    EXPECT_EQ(moved.data(), memory.data());
    moved.resize(nn::Shape{3, 2});  // within the borrowed size: the same memory
    EXPECT_EQ(moved.data(), memory.data());
    EXPECT_EQ(lender.releases, 0);
  }
  EXPECT_EQ(lender.releases, 1);
}

TEST(TensorBorrow, GrowingBeyondTheMemoryReleasesItAndOwnsNewStorage) {
  std::vector<float> memory(4, 1.0f);
  Lender lender;
  nn::Tensor t = nn::Tensor::borrow(nn::Shape{4}, memory.data(), &Lender::release, &lender);
  t.resize(nn::Shape{8});
  EXPECT_EQ(lender.releases, 1);
  EXPECT_FALSE(t.borrowed());
  EXPECT_NE(t.data(), memory.data());
  t.fill(2.0f);
  EXPECT_EQ(memory[0], 1.0f);
}

TEST(TensorBorrow, EmptyMemoryIsReleasedAtOnceAndNullIsRefused) {
  Lender lender;
  nn::Tensor t = nn::Tensor::borrow(nn::Shape{0, 3}, nullptr, &Lender::release, &lender);
  EXPECT_EQ(lender.releases, 1);
  EXPECT_EQ(t.numel(), 0);
  EXPECT_THROW(nn::Tensor::borrow(nn::Shape{2}, nullptr, &Lender::release, &lender), nn::Error);
  EXPECT_EQ(lender.releases, 2);
}

}  // namespace
