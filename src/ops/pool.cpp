#include "nn/ops/pool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nn::ops {

namespace {
// Below this many input elements a parallel region costs more than it saves.
constexpr int64_t kParallelMin = 1 << 14;
}  // namespace

void max_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y,
                        int32_t* argmax) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
#pragma omp parallel for schedule(static) if (planes * h * w >= kParallelMin)
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
            const float v = xp[i * w + j];
            if (v > best || (std::isnan(v) && !std::isnan(best))) {
              best = v;
              at = i * w + j;
            }
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
#pragma omp parallel for schedule(static) if (planes * h * w >= kParallelMin)
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
#pragma omp parallel for schedule(static) if (planes * h * w >= kParallelMin)
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
#pragma omp parallel for schedule(static) if (planes * h * w >= kParallelMin)
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
