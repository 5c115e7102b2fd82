// nn's parallel loops on its own workers (nn/parallel.hpp): every item runs exactly once whatever
// the thread count, chunks cover the range once, a loop inside an item and loops started from
// several threads at once run correctly (serially where the workers are taken).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "nn/parallel.hpp"

namespace {

TEST(Parallel, EveryItemRunsExactlyOnceForAnyThreadCount) {
  for (int64_t n : {0, 1, 2, 5, 64, 1000}) {
    for (int threads : {1, 2, 3, 4}) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(n));
      nn::parallel_for(n, threads, [&](int64_t i) { runs[static_cast<size_t>(i)].fetch_add(1); });
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(runs[static_cast<size_t>(i)].load(), 1) << "n " << n << ", threads " << threads << ", item " << i;
    }
  }
}

TEST(Parallel, ChunksCoverTheRangeOnceInContiguousPieces) {
  for (int64_t n : {1, 7, 100000, 1 << 20}) {
    std::vector<std::atomic<int>> runs(static_cast<size_t>(n));
    std::atomic<int64_t> pieces{0};
    nn::parallel_chunks(n, 1, [&](int64_t lo, int64_t hi) {
      ASSERT_LT(lo, hi);
      pieces.fetch_add(1);
      for (int64_t i = lo; i < hi; ++i) runs[static_cast<size_t>(i)].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(runs[static_cast<size_t>(i)].load(), 1) << "n " << n << ", item " << i;
    EXPECT_GE(pieces.load(), 1);
  }
}

TEST(Parallel, ALoopInsideAnItemRuns) {
  std::vector<int64_t> sums(16, 0);
  nn::parallel_for(16, 2, [&](int64_t i) {
    int64_t s = 0;
    std::vector<int64_t> inner(8, 0);
    nn::parallel_for(8, 2, [&](int64_t j) { inner[static_cast<size_t>(j)] = i * j; });
    for (int64_t v : inner) s += v;
    sums[static_cast<size_t>(i)] = s;
  });
  for (int64_t i = 0; i < 16; ++i) EXPECT_EQ(sums[static_cast<size_t>(i)], i * 28);
}

TEST(Parallel, LoopsFromSeveralThreadsAtOnceAreEachComplete) {
  auto loops = [](int64_t seed, int64_t* result) {
    int64_t total = 0;
    for (int rep = 0; rep < 200; ++rep) {
      std::vector<int64_t> out(64, 0);
      nn::parallel_for(64, 2, [&](int64_t i) { out[static_cast<size_t>(i)] = i * seed + rep; });
      for (int64_t v : out) total += v;
    }
    *result = total;
  };
  int64_t r1 = 0, r2 = 0, r3 = 0;
  std::thread t1(loops, 1, &r1), t2(loops, 2, &r2);
  loops(3, &r3);
  t1.join();
  t2.join();
  // sum over rep of (seed * 2016 + 64 rep) = 200 * 2016 seed + 64 * 19900
  EXPECT_EQ(r1, 200 * 2016 * 1 + 64 * 19900);
  EXPECT_EQ(r2, 200 * 2016 * 2 + 64 * 19900);
  EXPECT_EQ(r3, 200 * 2016 * 3 + 64 * 19900);
}

}  // namespace
