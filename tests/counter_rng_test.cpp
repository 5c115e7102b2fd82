// The counter-based generator behind dropout's masks on the GPU (nn/ops/counter_rng.hpp): the
// host side, which must give the device's bits exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "nn/device.hpp"
#include "nn/error.hpp"
#include "nn/ops/counter_rng.hpp"
#include "../src/ops/cuda/ops_cuda.hpp"

namespace {

using Block = nn::Philox4x32::Block;

void expect_block(Block got, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  EXPECT_EQ(got.v[0], a);
  EXPECT_EQ(got.v[1], b);
  EXPECT_EQ(got.v[2], c);
  EXPECT_EQ(got.v[3], d);
}

// Random123's published known-answer vectors for philox4x32_10 (its tests/kat_vectors).
TEST(CounterRng, PhiloxMatchesRandom123KnownAnswers) {
  expect_block(nn::Philox4x32::run(Block{{0, 0, 0, 0}}, 0, 0), 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u);
  expect_block(nn::Philox4x32::run(Block{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu,
                                   0xffffffffu),
               0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu);
  expect_block(nn::Philox4x32::run(Block{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u,
                                   0x299f31d0u),
               0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u);
}

TEST(CounterRng, BlockLaysOutGroupOffsetAndSeedAsDocumented) {
  // counter = (group lo, group hi, offset lo, offset hi), key = (seed lo, seed hi)
  const uint64_t seed = 0x0123456789abcdefull, offset = 0x0000000500000007ull, group = 0x0000000200000003ull;
  const Block want = nn::Philox4x32::run(Block{{3, 2, 7, 5}}, 0x89abcdefu, 0x01234567u);
  const Block got = nn::counter_rng_block(seed, offset, group);
  expect_block(got, want.v[0], want.v[1], want.v[2], want.v[3]);
  expect_block(nn::counter_rng_block(0x0123456789abcdefull, 7, 3), 0x34f71f1au, 0xda821aa7u, 0x80e0ec8au,
               0x3e2e9e6fu);
}

TEST(CounterRng, UniformUsesTheTop24BitsExactly) {
  EXPECT_EQ(nn::counter_rng_uniform(0u), 0.0f);
  EXPECT_EQ(nn::counter_rng_uniform(0xffffffffu), 16777215.0f / 16777216.0f);
  EXPECT_EQ(nn::counter_rng_uniform(0x80000000u), 0.5f);
  EXPECT_EQ(nn::counter_rng_uniform(0x000000ffu), 0.0f);  // the low 8 bits do not count
  EXPECT_LT(nn::counter_rng_uniform(0xffffffffu), 1.0f);
}

TEST(CounterRng, DropoutMaskIsAPureFunctionOfSeedOffsetAndIndex) {
  // Pinned bits: a change of the generator or of its layout would silently change every model
  // trained with dropout on the GPU.
  const char* offset0 = "1000101011111110";
  const char* offset1 = "0001010000000100";
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(nn::dropout_keeps(42, 0, static_cast<uint64_t>(i), 0.5f), offset0[i] == '1') << "index " << i;
    EXPECT_EQ(nn::dropout_keeps(42, 1, static_cast<uint64_t>(i), 0.5f), offset1[i] == '1') << "index " << i;
  }
  // Any order of evaluation gives the same bits (each is computed on its own).
  std::vector<bool> forward_order, reverse_order(1000);
  for (uint64_t i = 0; i < 1000; ++i) forward_order.push_back(nn::dropout_keeps(7, 3, i, 0.3f));
  for (uint64_t i = 1000; i-- > 0;) reverse_order[i] = nn::dropout_keeps(7, 3, i, 0.3f);
  EXPECT_EQ(forward_order, reverse_order);
}

TEST(CounterRng, DropoutKeepsWithProbabilityOneMinusP) {
  for (uint64_t i = 0; i < 1000; ++i) {
    EXPECT_TRUE(nn::dropout_keeps(1, 0, i, 0.0f));
    EXPECT_FALSE(nn::dropout_keeps(1, 0, i, 1.0f));
  }
  for (const float p : {0.1f, 0.5f, 0.9f}) {
    const int n = 200000;
    int kept = 0;
    for (int i = 0; i < n; ++i) kept += nn::dropout_keeps(99, 0, static_cast<uint64_t>(i), p) ? 1 : 0;
    // Binomial: the standard deviation of the share is at most 0.0012 here; 5 of them.
    EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 0.006) << "p = " << p;
  }
  // Different offsets (steps) and seeds give different masks.
  int same_offset = 0, same_seed = 0;
  for (uint64_t i = 0; i < 4096; ++i) {
    same_offset += nn::dropout_keeps(5, 0, i, 0.5f) == nn::dropout_keeps(5, 1, i, 0.5f);
    same_seed += nn::dropout_keeps(5, 0, i, 0.5f) == nn::dropout_keeps(6, 0, i, 0.5f);
  }
  EXPECT_NEAR(same_offset, 2048, 200);
  EXPECT_NEAR(same_seed, 2048, 200);
}

TEST(CudaKernels, ThrowWithoutCuda) {
  if (nn::cuda::built()) GTEST_SKIP() << "nn was built with CUDA: its kernels are compared with the CPU elsewhere";
  float x = 0.0f;
  try {
    nn::ops::cuda::axpy(1.0f, &x, &x, 1);
    FAIL() << "expected nn::Error";
  } catch (const nn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("built without CUDA"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("axpy"), std::string::npos) << e.what();
  }
}

}  // namespace
