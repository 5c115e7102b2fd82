// The index arithmetic of the CUDA gathering kernels (src/ops/cuda/window_index.hpp), checked on the
// host against the definition of a sliding window, over many geometries.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "../src/ops/cuda/window_index.hpp"

namespace {

using nn::ops::cuda::covering;
using nn::ops::cuda::tap_source;

struct Geometry {
  int64_t size, k, s, p;
  int64_t out() const { return (size + 2 * p - k) / s + 1; }
};

std::vector<Geometry> geometries() {
  std::vector<Geometry> out;
  for (int64_t size = 1; size <= 9; ++size)
    for (int64_t k = 1; k <= 5; ++k)
      for (int64_t s = 1; s <= 3; ++s)
        for (int64_t p = 0; 2 * p <= k + 1; ++p)
          if (size + 2 * p >= k) out.push_back({size, k, s, p});
  return out;
}

TEST(WindowIndex, CoveringIsExactlyTheOutputsWhoseWindowHoldsTheInput) {
  int64_t checked = 0;
  for (const Geometry& g : geometries()) {
    for (int64_t i = 0; i < g.size; ++i) {
      int64_t lo, hi;
      covering(i, g.k, g.s, g.p, g.out(), lo, hi);
      for (int64_t r = 0; r < g.out(); ++r) {
        const bool covers = r * g.s - g.p <= i && i < r * g.s - g.p + g.k;
        EXPECT_EQ(covers, r >= lo && r < hi) << "size " << g.size << " k " << g.k << " s " << g.s << " p " << g.p
                                             << " input " << i << " output " << r;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(WindowIndex, TapSourceIsTheOutputThatReadsTheInputAtThatTap) {
  for (const Geometry& g : geometries()) {
    for (int64_t i = 0; i < g.size; ++i) {
      for (int64_t t = 0; t < g.k; ++t) {
        int64_t want = -1;
        for (int64_t r = 0; r < g.out(); ++r)
          if (r * g.s - g.p + t == i) want = r;
        int64_t r = -1;
        const bool found = tap_source(i, t, g.s, g.p, g.out(), r);
        EXPECT_EQ(found, want >= 0) << "size " << g.size << " k " << g.k << " s " << g.s << " p " << g.p;
        if (found) {
          EXPECT_EQ(r, want);
        }
      }
    }
  }
}

}  // namespace
