// nn's parallel loops on its own workers (nn/parallel.hpp): every item runs exactly once whatever
// the thread count, chunks cover the range once, a loop inside an item and loops started from
// several threads at once run correctly (serially where the workers are taken).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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

// A worker that holds an item long after the caller is done with its own (here it sleeps in it, as
// a worker descheduled by another process would) makes the next loops run on the calling thread
// alone, with every item still run exactly once; after the hold-back the workers take items again.
TEST(Parallel, AStalledWorkerMakesTheNextLoopsRunOnTheCallingThread) {
  using namespace std::chrono_literals;
  std::this_thread::sleep_for(60ms);  // an earlier test's stall, if any, is over
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> worker_started{false};
  std::atomic<int> on_worker{0};
  // Item 0 waits (up to 2 s) until a worker has claimed item 1, which then sleeps 20 ms.
  nn::parallel_for(2, 2, [&](int64_t i) {
    if (std::this_thread::get_id() != caller) {
      worker_started = true;
      on_worker.fetch_add(1);
      std::this_thread::sleep_for(20ms);
      return;
    }
    const auto give_up = std::chrono::steady_clock::now() + 2s;
    while (i == 0 && !worker_started && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  });
  if (on_worker.load() == 0) GTEST_SKIP() << "no worker ran an item within 2 s (the machine is too busy)";
  EXPECT_TRUE(nn::detail::holding_back_workers());

  std::vector<std::atomic<int>> runs(64);
  std::atomic<int> off_caller{0};
  nn::parallel_for(64, 2, [&](int64_t i) {
    runs[static_cast<size_t>(i)].fetch_add(1);
    if (std::this_thread::get_id() != caller) off_caller.fetch_add(1);
  });
  for (auto& r : runs) EXPECT_EQ(r.load(), 1);
  EXPECT_EQ(off_caller.load(), 0);

  std::this_thread::sleep_for(60ms);
  EXPECT_FALSE(nn::detail::holding_back_workers());
}

}  // namespace
