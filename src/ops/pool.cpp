#include "nn/ops/pool.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>

#include "nn/parallel.hpp"

// GCC's vector extensions (8 lanes); without AVX GCC notes an ABI change for such arguments, which
// never leave this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace nn::ops {

namespace {
// a if take (0 or 1) else b, without a branch.
inline uint32_t select_bits(int64_t take, uint32_t a, uint32_t b) {
  const uint32_t mask = 0u - static_cast<uint32_t>(take);
  return (a & mask) | (b & ~mask);
}

// Vectors of L = 8 or 4 lanes (GCC's vector extensions), unaligned.
template <int L>
struct Vec;

#define NN_POOL_VEC_COMMON(L)                                                               \
  typedef float f __attribute__((vector_size(4 * L)));                                      \
  typedef int32_t i __attribute__((vector_size(4 * L)));                                    \
  typedef float fu __attribute__((vector_size(4 * L), aligned(4), may_alias));              \
  typedef int32_t iu __attribute__((vector_size(4 * L), aligned(4), may_alias));            \
  static f load(const float* p) { return *reinterpret_cast<const fu*>(p); }                 \
  static i load(const int32_t* p) { return *reinterpret_cast<const iu*>(p); }               \
  static void store(float* p, f v) { *reinterpret_cast<fu*>(p) = v; }                       \
  static void store(int32_t* p, i v) { *reinterpret_cast<iu*>(p) = v; }

// evens/odds: the even and the odd lanes of the 2L values lo, hi; zip_lo/zip_hi: a and b
// interleaved (a0 b0 a1 b1 ...), first L lanes and last L; lanes2: 0, 2, 4, ...
template <>
struct Vec<8> {
  NN_POOL_VEC_COMMON(8)
  static f evens(f lo, f hi) { return __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14); }
  static f odds(f lo, f hi) { return __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15); }
  static f zip_lo(f a, f b) { return __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11); }
  static f zip_hi(f a, f b) { return __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15); }
  static i lanes2() { return i{0, 2, 4, 6, 8, 10, 12, 14}; }
};

template <>
struct Vec<4> {
  NN_POOL_VEC_COMMON(4)
  static f evens(f lo, f hi) { return __builtin_shufflevector(lo, hi, 0, 2, 4, 6); }
  static f odds(f lo, f hi) { return __builtin_shufflevector(lo, hi, 1, 3, 5, 7); }
  static f zip_lo(f a, f b) { return __builtin_shufflevector(a, b, 0, 4, 1, 5); }
  static f zip_hi(f a, f b) { return __builtin_shufflevector(a, b, 2, 6, 3, 7); }
  static i lanes2() { return i{0, 2, 4, 6}; }
};

#undef NN_POOL_VEC_COMMON

// How a max-pooling kernel ends: plain max pooling; fused with a ReLU before it (a NaN counts as 0,
// so it never wins, and the output is max(0, max)); fused with a ReLU after it (a NaN wins, then
// the ReLU makes it 0). The fused outputs equal the two layers' outputs bit for bit.
enum class Fuse { None, ReluBefore, ReluAfter };

// The 2x2 windows q .. q+L-1 of output row r: the even and odd columns of the two rows pulled
// apart, the same choices as the general loop (row-major; a larger value or a NaN takes the place).
template <int L, Fuse F>
inline void max_2x2_block(const float* row0, const float* row1, int32_t first, int32_t w, float* y, int32_t* a) {
  using V = Vec<L>;
  const typename V::f l0 = V::load(row0), h0 = V::load(row0 + L);
  const typename V::f l1 = V::load(row1), h1 = V::load(row1 + L);
  const typename V::f c[4] = {V::evens(l0, h0), V::odds(l0, h0), V::evens(l1, h1), V::odds(l1, h1)};
  const typename V::i i0 = V::lanes2() + first;
  const typename V::i at[4] = {i0, i0 + 1, i0 + w, i0 + w + 1};
  typename V::f best = c[0];
  typename V::i where = at[0];
  if constexpr (F == Fuse::ReluBefore) best = best > 0.0f ? best : typename V::f{};  // relu(NaN) = 0
  for (int k = 1; k < 4; ++k) {
    const typename V::i take = F == Fuse::ReluBefore ? (c[k] > best) : (c[k] > best) | (c[k] != c[k]);
    best = take ? c[k] : best;
    where = take ? at[k] : where;
  }
  if constexpr (F == Fuse::ReluAfter) best = best > 0.0f ? best : typename V::f{};
  V::store(y, best);
  V::store(a, where);
}

// Its backward: each element of the windows gets dy where the window chose it, else 0; with y (the
// fused ReLU's output), only where y > 0.
template <int L>
inline void max_2x2_block_backward(const float* dy, const float* y, const int32_t* a, int32_t first, int32_t w,
                                   float* row0, float* row1) {
  using V = Vec<L>;
  const typename V::f zero{};
  typename V::f g = V::load(dy);
  if (y != nullptr) g = V::load(y) > 0.0f ? g : zero;
  const typename V::i at = V::load(a), i0 = V::lanes2() + first;
  const typename V::f g0 = at == i0 ? g : zero, g1 = at == i0 + 1 ? g : zero;
  const typename V::f g2 = at == i0 + w ? g : zero, g3 = at == i0 + w + 1 ? g : zero;
  V::store(row0, V::zip_lo(g0, g1));
  V::store(row0 + L, V::zip_hi(g0, g1));
  V::store(row1, V::zip_lo(g2, g3));
  V::store(row1 + L, V::zip_hi(g2, g3));
}

// The common 2x2 window with stride 2 and no padding, L windows at a time; the last block of a
// row overlaps the one before it (recomputing the same values) instead of a scalar tail.
template <int L, Fuse F>
void max_pool_2x2(const float* xp, int64_t h, int64_t w, float* yp, int32_t* ap) {
  const int64_t oh = h / 2, ow = w / 2;
  const int32_t w32 = static_cast<int32_t>(w);
  for (int64_t r = 0; r < oh; ++r) {
    const float* row0 = xp + 2 * r * w;
    const float* row1 = row0 + w;
    const int32_t first = static_cast<int32_t>(2 * r * w);
    for (int64_t q = 0;; q += L) {
      if (q + L > ow) q = ow - L;
      max_2x2_block<L, F>(row0 + 2 * q, row1 + 2 * q, first + static_cast<int32_t>(2 * q), w32, yp + r * ow + q,
                       ap + r * ow + q);
      if (q + L == ow) break;
    }
  }
}

// Every element of every window is written, so only a last odd row or column needs zeroing.
template <int L>
void max_pool_2x2_backward(const float* dyp, const float* yp, const int32_t* ap, int64_t h, int64_t w, float* dxp) {
  const int64_t oh = h / 2, ow = w / 2;
  const int32_t w32 = static_cast<int32_t>(w);
  if (h % 2) std::fill_n(dxp + (h - 1) * w, w, 0.0f);
  for (int64_t r = 0; r < oh; ++r) {
    float* row0 = dxp + 2 * r * w;
    float* row1 = row0 + w;
    if (w % 2) row0[w - 1] = row1[w - 1] = 0.0f;
    const int32_t first = static_cast<int32_t>(2 * r * w);
    for (int64_t q = 0;; q += L) {
      if (q + L > ow) q = ow - L;
      max_2x2_block_backward<L>(dyp + r * ow + q, yp ? yp + r * ow + q : nullptr, ap + r * ow + q, first + static_cast<int32_t>(2 * q), w32,
                                row0 + 2 * q, row1 + 2 * q);
      if (q + L == ow) break;
    }
  }
}

// The vector width for the 2x2 kernels: 8, 4, or 0 (planes narrower than 4 windows: the general loop).
int lanes_2x2(const Window2d& win, int64_t w) {
  if (!(win.kh == 2 && win.kw == 2 && win.sh == 2 && win.sw == 2 && win.ph == 0 && win.pw == 0)) return 0;
  return w / 2 >= 8 ? 8 : w / 2 >= 4 ? 4 : 0;
}
// Runs body(p) for every plane p, in contiguous blocks of planes, a few blocks per thread: a plane
// is a few hundred floats, too little to be claimed one at a time from the counter that the
// threads share (two cores passing its cache line back and forth cost more than the plane).
template <class F>
void for_planes(int64_t planes, int threads, const F& body) {
  if (threads <= 1) {
    for (int64_t p = 0; p < planes; ++p) body(p);
    return;
  }
  const int64_t blocks = std::min<int64_t>(planes, int64_t{8} * threads), per = (planes + blocks - 1) / blocks;
  parallel_for(blocks, threads, [&](int64_t b) {
    const int64_t lo = b * per, hi = std::min(planes, lo + per);
    for (int64_t p = lo; p < hi; ++p) body(p);
  });
}

template <Fuse F>
void max_pool_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y,
                      int32_t* argmax) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  // Work: the floats read and written (x, y, argmax).
  const int threads = threads_for(planes * (h * w + 2 * oh * ow));
  if (const int lanes = lanes_2x2(win, w)) {
    for_planes(planes, threads, [&](int64_t p) {
      if (lanes == 8) max_pool_2x2<8, F>(x + p * h * w, h, w, y + p * oh * ow, argmax + p * oh * ow);
      else max_pool_2x2<4, F>(x + p * h * w, h, w, y + p * oh * ow, argmax + p * oh * ow);
    });
    return;
  }
  for_planes(planes, threads, [&](int64_t p) {
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
            // Written as selects, not branches: on real data the outcome is a coin toss. After a
            // ReLU, every value is >= 0 and a NaN is 0: max(0, the window's largest number).
            float v = xp[i * w + j];
            if constexpr (F == Fuse::ReluBefore) v = v > 0.0f ? v : 0.0f;
            const int64_t take = static_cast<int64_t>(v > best) | static_cast<int64_t>(v != v);
            best = std::bit_cast<float>(select_bits(take, std::bit_cast<uint32_t>(v), std::bit_cast<uint32_t>(best)));
            at = (i * w + j) * take + at * (1 - take);
          }
        if constexpr (F == Fuse::ReluAfter) best = best > 0.0f ? best : 0.0f;
        yp[r * ow + q] = best;
        ap[r * ow + q] = static_cast<int32_t>(at);
      }
    }
  });
}

// dy routed to the chosen elements; with y (a fused ReLU's output), only where y > 0.
void max_pool_backward(const float* dy, const float* y, const int32_t* argmax, int64_t planes, int64_t h, int64_t w,
                       const Window2d& win, float* dx) {
  const int64_t out = win.out_h(h) * win.out_w(w);
  // Work: the floats read and written (dy, argmax, dx).
  const int threads = threads_for(planes * (h * w + 2 * out));
  if (const int lanes = lanes_2x2(win, w)) {
    for_planes(planes, threads, [&](int64_t p) {
      const float* yp = y ? y + p * out : nullptr;
      if (lanes == 8) max_pool_2x2_backward<8>(dy + p * out, yp, argmax + p * out, h, w, dx + p * h * w);
      else max_pool_2x2_backward<4>(dy + p * out, yp, argmax + p * out, h, w, dx + p * h * w);
    });
    return;
  }
  for_planes(planes, threads, [&](int64_t p) {
    float* dxp = dx + p * h * w;  // (H, W)
    std::fill_n(dxp, h * w, 0.0f);
    const float* dyp = dy + p * out;
    const int32_t* ap = argmax + p * out;
    if (y == nullptr) {
      for (int64_t k = 0; k < out; ++k) dxp[ap[k]] += dyp[k];
      return;
    }
    const float* yp = y + p * out;
    for (int64_t k = 0; k < out; ++k) dxp[ap[k]] += yp[k] > 0.0f ? dyp[k] : 0.0f;
  });
}
}  // namespace

void max_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y,
                        int32_t* argmax) {
  max_pool_forward<Fuse::None>(x, planes, h, w, win, y, argmax);
}

void max_pool2d_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t h, int64_t w,
                         const Window2d& win, float* dx) {
  max_pool_backward(dy, nullptr, argmax, planes, h, w, win, dx);
}

void max_pool2d_relu_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win,
                             bool relu_first, float* y, int32_t* argmax) {
  if (relu_first)
    max_pool_forward<Fuse::ReluBefore>(x, planes, h, w, win, y, argmax);
  else
    max_pool_forward<Fuse::ReluAfter>(x, planes, h, w, win, y, argmax);
}

void max_pool2d_relu_backward(const float* dy, const float* y, const int32_t* argmax, int64_t planes, int64_t h,
                              int64_t w, const Window2d& win, float* dx) {
  max_pool_backward(dy, y, argmax, planes, h, w, win, dx);
}

void avg_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  const float scale = 1.0f / static_cast<float>(win.kh * win.kw);
  for_planes(planes, threads_for(planes * h * w), [&](int64_t p) {
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
  });
}

void avg_pool2d_backward(const float* dy, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* dx) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  const float scale = 1.0f / static_cast<float>(win.kh * win.kw);
  for_planes(planes, threads_for(planes * h * w), [&](int64_t p) {
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
  });
}

}  // namespace nn::ops
