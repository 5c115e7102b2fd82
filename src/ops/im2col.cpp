#include "nn/ops/im2col.hpp"

#include <algorithm>
#include <cstring>

// The rows of a convolution's columns are short (OW values: 14 in the stronger CNN's second
// layer); GCC would turn their copy and zero loops into calls of memcpy and memset, whose fixed
// cost per call was most of im2col's time. The loops stay loops.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

namespace nn::ops {

namespace {
// A channel's plane padded with zeros on a row stride wp = W + 2 pw, built on the stack when it
// fits: the columns then read it without bounds checks.
constexpr int64_t kMaxPaddedPlane = 4096;  // floats (16 KiB)

struct Padded {
  int64_t hp, wp;
  bool fits() const { return hp * wp <= kMaxPaddedPlane; }
};

Padded padded(int64_t h, int64_t w, const Window2d& win) { return {h + 2 * win.ph, w + 2 * win.pw}; }

// d[0, n) += s[0, n) in vectors of 8 and 4 floats (GCC's vector extension; unaligned through
// memcpy of a constant size, which compiles to one move), then single floats. Left to itself GCC
// kept these short rows scalar: it unrolled a loop of known length 14 completely, and then did not
// vectorise the 14 additions.
typedef float Vec8 __attribute__((vector_size(32)));
typedef float Vec4 __attribute__((vector_size(16)));
template <class V>
inline void add_vec(float* d, const float* s) {
  V a, b;
  std::memcpy(&a, d, sizeof(V));
  std::memcpy(&b, s, sizeof(V));
  a += b;
  std::memcpy(d, &a, sizeof(V));
}
inline void add_row(float* d, const float* s, int64_t n) {
  int64_t q = 0;
  for (; q + 8 <= n; q += 8) add_vec<Vec8>(d + q, s + q);
  if (q + 4 <= n) {
    add_vec<Vec4>(d + q, s + q);
    q += 4;
  }
  for (; q < n; ++q) d[q] += s[q];
}
inline void copy_row(float* __restrict d, const float* __restrict s, int64_t n) {
  for (int64_t q = 0; q < n; ++q) d[q] = s[q];
}

void pad_plane(const float* xc, int64_t h, int64_t w, const Window2d& win, int64_t wp, float* pad) {
  const int64_t hp = h + 2 * win.ph;
  for (int64_t k = 0; k < win.ph * wp; ++k) pad[k] = 0.0f;
  for (int64_t k = (win.ph + h) * wp; k < hp * wp; ++k) pad[k] = 0.0f;
  for (int64_t r = 0; r < h; ++r) {
    float* row = pad + (r + win.ph) * wp;
    for (int64_t q = 0; q < win.pw; ++q) row[q] = 0.0f;
    for (int64_t q = 0; q < w; ++q) row[win.pw + q] = xc[r * w + q];
    for (int64_t q = win.pw + w; q < wp; ++q) row[q] = 0.0f;
  }
}

// im2col of one channel read from its padded plane. OW > 0: the output width known at compile
// time (stride 1 along the rows), so that each row is a few vector moves; OW = 0: any width.
template <int OW>
void im2col_padded(const float* pad, int64_t wp, int64_t oh, int64_t ow_any, const Window2d& win, float* cols,
                   int64_t ld) {
  const int64_t ow = OW > 0 ? OW : ow_any;
  for (int64_t i = 0; i < win.kh; ++i)
    for (int64_t j = 0; j < win.kw; ++j) {
      float* row = cols + (i * win.kw + j) * ld;
      for (int64_t r = 0; r < oh; ++r) {
        const float* src = pad + (r * win.sh + i) * wp + j;
        float* out = row + r * ow;
        if (OW > 0 || win.sw == 1)
          copy_row(out, src, ow);
        else
          for (int64_t q = 0; q < ow; ++q) out[q] = src[q * win.sw];
      }
    }
}

// col2im of one channel into its padded plane (zeroed here), then the interior copied to xc;
// OW as in im2col_padded.
template <int OW>
void col2im_padded(const float* cols, int64_t ld, int64_t h, int64_t w, int64_t oh, int64_t ow_any,
                   const Window2d& win, int64_t wp, float* pad, float* xc) {
  const int64_t ow = OW > 0 ? OW : ow_any;
  const int64_t hp = h + 2 * win.ph;
  for (int64_t k = 0; k < hp * wp; ++k) pad[k] = 0.0f;
  for (int64_t i = 0; i < win.kh; ++i)
    for (int64_t j = 0; j < win.kw; ++j) {
      const float* row = cols + (i * win.kw + j) * ld;
      for (int64_t r = 0; r < oh; ++r) {
        float* dst = pad + (r * win.sh + i) * wp + j;
        const float* in = row + r * ow;
        if (OW > 0 || win.sw == 1)
          add_row(dst, in, ow);
        else
          for (int64_t q = 0; q < ow; ++q) dst[q * win.sw] += in[q];
      }
    }
  for (int64_t r = 0; r < h; ++r)
    for (int64_t q = 0; q < w; ++q) xc[r * w + q] = pad[(r + win.ph) * wp + win.pw + q];
}

// F<OW>() for the common output widths at stride 1, F<0>() otherwise.
template <class F>
void by_width(int64_t ow, const Window2d& win, F f) {
  if (win.sw == 1) switch (ow) {
      case 7: return f.template operator()<7>();
      case 8: return f.template operator()<8>();
      case 14: return f.template operator()<14>();
      case 16: return f.template operator()<16>();
      case 28: return f.template operator()<28>();
      case 32: return f.template operator()<32>();
      default: break;
    }
  f.template operator()<0>();
}

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
  if (const Padded p = padded(h, w, win); p.fits()) {
    by_width(ow, win, [&]<int OW>() {
      float pad[kMaxPaddedPlane];
      for (int64_t ch = 0; ch < c; ++ch) {
        pad_plane(x + ch * h * w, h, w, win, p.wp, pad);
        im2col_padded<OW>(pad, p.wp, oh, ow, win, cols + ch * win.kh * win.kw * ld, ld);
      }
    });
    return;
  }
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
  if (const Padded p = padded(h, w, win); p.fits()) {
    by_width(ow, win, [&]<int OW>() {
      float pad[kMaxPaddedPlane];
      for (int64_t ch = 0; ch < c; ++ch)
        col2im_padded<OW>(cols + ch * win.kh * win.kw * ld, ld, h, w, oh, ow, win, p.wp, pad, x + ch * h * w);
    });
    return;
  }
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
