// The index arithmetic of the gathering kernels (col2im, the pooling backwards): which outputs of
// a sliding window read a given input position. Host and device code (tested on the host).
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define NN_WINDOW_INDEX_FN __host__ __device__ inline
#else
#define NN_WINDOW_INDEX_FN inline
#endif

namespace nn::ops::cuda {

/// Along one dimension, a window of size k at stride s over an input padded by p gives `out`
/// outputs; output r covers inputs [r*s - p, r*s - p + k). Sets [lo, hi) to the outputs r that
/// cover input i (empty: lo >= hi).
NN_WINDOW_INDEX_FN void covering(int64_t i, int64_t k, int64_t s, int64_t p, int64_t out, int64_t& lo, int64_t& hi) {
  const int64_t a = i + p - k + 1;  // r*s >= a
  lo = a <= 0 ? 0 : (a + s - 1) / s;
  const int64_t b = (i + p) / s + 1;  // r*s <= i + p (i + p >= 0 for an input position)
  hi = b < out ? b : out;
}

/// Along one dimension, the output r whose window reads input i at tap t (r*s - p + t == i), if
/// there is one in [0, out): returns whether, and sets r.
NN_WINDOW_INDEX_FN bool tap_source(int64_t i, int64_t t, int64_t s, int64_t p, int64_t out, int64_t& r) {
  const int64_t rs = i + p - t;  // r * s
  if (rs < 0 || rs % s != 0) return false;
  r = rs / s;
  return r < out;
}

}  // namespace nn::ops::cuda

#undef NN_WINDOW_INDEX_FN
