#include "nn/ops/im2col.hpp"

#include <algorithm>
#include <cstring>

namespace nn::ops {

namespace {
// The range [lo, hi) of output columns ow whose input column ow*s - p + j lies inside [0, w).
inline void valid_range(int64_t out, int64_t s, int64_t p, int64_t j, int64_t w, int64_t& lo, int64_t& hi) {
  // ow*s - p + j >= 0  <=>  ow >= ceil((p - j) / s)
  const int64_t a = p - j;
  lo = a <= 0 ? 0 : (a + s - 1) / s;
  // ow*s - p + j <= w - 1  <=>  ow <= floor((w - 1 + p - j) / s)
  const int64_t b = w - 1 + p - j;
  hi = b < 0 ? 0 : std::min(out, b / s + 1);
  lo = std::min(lo, hi);
}
}  // namespace

void im2col(const float* x, int64_t c, int64_t h, int64_t w, const Window2d& win, float* cols, int64_t ld) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  for (int64_t ch = 0; ch < c; ++ch) {
    const float* xc = x + ch * h * w;  // (H, W)
    for (int64_t i = 0; i < win.kh; ++i) {
      for (int64_t j = 0; j < win.kw; ++j) {
        float* row = cols + ((ch * win.kh + i) * win.kw + j) * ld;  // (OH*OW)
        int64_t lo, hi;
        valid_range(ow, win.sw, win.pw, j, w, lo, hi);
        for (int64_t r = 0; r < oh; ++r) {
          float* out = row + r * ow;
          const int64_t ih = r * win.sh - win.ph + i;
          if (ih < 0 || ih >= h) {
            std::fill_n(out, ow, 0.0f);
            continue;
          }
          const int64_t base = ih * w - win.pw + j;  // xc[base + q*sw] is x[ch, ih, q*sw - pw + j]
          std::fill_n(out, lo, 0.0f);
          if (win.sw == 1) {
            if (hi > lo) std::memcpy(out + lo, xc + base + lo, static_cast<size_t>(hi - lo) * sizeof(float));
          } else {
            for (int64_t q = lo; q < hi; ++q) out[q] = xc[base + q * win.sw];
          }
          std::fill(out + hi, out + ow, 0.0f);
        }
      }
    }
  }
}

void col2im(const float* cols, int64_t ld, int64_t c, int64_t h, int64_t w, const Window2d& win, float* x) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  std::fill_n(x, c * h * w, 0.0f);
  for (int64_t ch = 0; ch < c; ++ch) {
    float* xc = x + ch * h * w;  // (H, W)
    for (int64_t i = 0; i < win.kh; ++i) {
      for (int64_t j = 0; j < win.kw; ++j) {
        const float* row = cols + ((ch * win.kh + i) * win.kw + j) * ld;  // (OH*OW)
        int64_t lo, hi;
        valid_range(ow, win.sw, win.pw, j, w, lo, hi);
        for (int64_t r = 0; r < oh; ++r) {
          const int64_t ih = r * win.sh - win.ph + i;
          if (ih < 0 || ih >= h) continue;
          const float* in = row + r * ow;
          const int64_t base = ih * w - win.pw + j;  // xc[base + q*sw] is x[ch, ih, q*sw - pw + j]
          for (int64_t q = lo; q < hi; ++q) xc[base + q * win.sw] += in[q];
        }
      }
    }
  }
}

}  // namespace nn::ops
