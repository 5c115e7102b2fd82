#include "nn/ops/pool.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>

#include "nn/ops/parallel.hpp"

namespace nn::ops {

namespace {
// a if take (0 or 1) else b, without a branch.
inline uint32_t select_bits(int64_t take, uint32_t a, uint32_t b) {
  const uint32_t mask = 0u - static_cast<uint32_t>(take);
  return (a & mask) | (b & ~mask);
}

// The common 2x2 window with stride 2 and no padding, unrolled: the same choices as the general
// loop (row-major order, a larger value or a NaN takes the place), with no bounds to clamp.
void max_pool_2x2(const float* xp, int64_t h, int64_t w, float* yp, int32_t* ap) {
  const int64_t oh = h / 2, ow = w / 2;
  for (int64_t r = 0; r < oh; ++r) {
    const float* row0 = xp + 2 * r * w;
    const float* row1 = row0 + w;
    for (int64_t q = 0; q < ow; ++q) {
      const int32_t base = static_cast<int32_t>(2 * r * w + 2 * q);
      const float c[4] = {row0[2 * q], row0[2 * q + 1], row1[2 * q], row1[2 * q + 1]};
      const int32_t at[4] = {base, base + 1, base + static_cast<int32_t>(w), base + static_cast<int32_t>(w) + 1};
      float best = c[0];
      int32_t where = at[0];
      for (int k = 1; k < 4; ++k) {
        const int32_t take = static_cast<int32_t>(c[k] > best) | static_cast<int32_t>(c[k] != c[k]);
        best = std::bit_cast<float>(select_bits(take, std::bit_cast<uint32_t>(c[k]), std::bit_cast<uint32_t>(best)));
        where = at[k] * take + where * (1 - take);
      }
      yp[r * ow + q] = best;
      ap[r * ow + q] = where;
    }
  }
}
}  // namespace

void max_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y,
                        int32_t* argmax) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  if (win.kh == 2 && win.kw == 2 && win.sh == 2 && win.sw == 2 && win.ph == 0 && win.pw == 0) {
#pragma omp parallel for schedule(static) num_threads(threads_for(planes * h * w))
    for (int64_t p = 0; p < planes; ++p) max_pool_2x2(x + p * h * w, h, w, y + p * oh * ow, argmax + p * oh * ow);
    return;
  }
#pragma omp parallel for schedule(static) num_threads(threads_for(planes * h * w))
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = x + p * h * w;  // (H, W)
    float* yp = y + p * oh * ow;      // (OH, OW)
    int32_t* ap = argmax + p * oh * ow;
    for (int64_t r = 0; r < oh; ++r) {
      const int64_t h0 = std::max<int64_t>(r * win.sh - win.ph, 0), h1 = std::min(r * win.sh - win.ph + win.kh, h);
      for (int64_t q = 0; q < ow; ++q) {
        const int64_t w0 = std::max<int64_t>(q * win.sw - win.pw, 0),
                      w1 = std::min(q * win.sw - win.pw + win.kw, w);
        float best = -std::numeric_limits<float>::infinity();
        int64_t at = h0 * w + w0;
        for (int64_t i = h0; i < h1; ++i)
          for (int64_t j = w0; j < w1; ++j) {
            // PyTorch's rule: a larger value or a NaN takes the place (so a NaN propagates).
            // Written as selects, not branches: on real data the outcome is a coin toss.
            const float v = xp[i * w + j];
            const int64_t take = static_cast<int64_t>(v > best) | static_cast<int64_t>(v != v);
            best = std::bit_cast<float>(select_bits(take, std::bit_cast<uint32_t>(v), std::bit_cast<uint32_t>(best)));
            at = (i * w + j) * take + at * (1 - take);
          }
        yp[r * ow + q] = best;
        ap[r * ow + q] = static_cast<int32_t>(at);
      }
    }
  }
}

void max_pool2d_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t h, int64_t w,
                         const Window2d& win, float* dx) {
  const int64_t out = win.out_h(h) * win.out_w(w);
#pragma omp parallel for schedule(static) num_threads(threads_for(planes * h * w))
  for (int64_t p = 0; p < planes; ++p) {
    float* dxp = dx + p * h * w;  // (H, W)
    std::fill_n(dxp, h * w, 0.0f);
    const float* dyp = dy + p * out;
    const int32_t* ap = argmax + p * out;
    for (int64_t k = 0; k < out; ++k) dxp[ap[k]] += dyp[k];
  }
}

void avg_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  const float scale = 1.0f / static_cast<float>(win.kh * win.kw);
#pragma omp parallel for schedule(static) num_threads(threads_for(planes * h * w))
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = x + p * h * w;  // (H, W)
    float* yp = y + p * oh * ow;      // (OH, OW)
    for (int64_t r = 0; r < oh; ++r) {
      const int64_t h0 = std::max<int64_t>(r * win.sh - win.ph, 0), h1 = std::min(r * win.sh - win.ph + win.kh, h);
      for (int64_t q = 0; q < ow; ++q) {
        const int64_t w0 = std::max<int64_t>(q * win.sw - win.pw, 0),
                      w1 = std::min(q * win.sw - win.pw + win.kw, w);
        float s = 0.0f;
        for (int64_t i = h0; i < h1; ++i)
          for (int64_t j = w0; j < w1; ++j) s += xp[i * w + j];
        yp[r * ow + q] = s * scale;
      }
    }
  }
}

void avg_pool2d_backward(const float* dy, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* dx) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  const float scale = 1.0f / static_cast<float>(win.kh * win.kw);
#pragma omp parallel for schedule(static) num_threads(threads_for(planes * h * w))
  for (int64_t p = 0; p < planes; ++p) {
    float* dxp = dx + p * h * w;  // (H, W)
    std::fill_n(dxp, h * w, 0.0f);
    const float* dyp = dy + p * oh * ow;
    for (int64_t r = 0; r < oh; ++r) {
      const int64_t h0 = std::max<int64_t>(r * win.sh - win.ph, 0), h1 = std::min(r * win.sh - win.ph + win.kh, h);
      for (int64_t q = 0; q < ow; ++q) {
        const int64_t w0 = std::max<int64_t>(q * win.sw - win.pw, 0),
                      w1 = std::min(q * win.sw - win.pw + win.kw, w);
        const float g = dyp[r * ow + q] * scale;
        for (int64_t i = h0; i < h1; ++i)
          for (int64_t j = w0; j < w1; ++j) dxp[i * w + j] += g;
      }
    }
  }
}

}  // namespace nn::ops
