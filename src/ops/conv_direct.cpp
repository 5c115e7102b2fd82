#include "nn/ops/conv_direct.hpp"

#include <algorithm>

// GCC's vector extensions: 8 floats, one AVX register where the target has AVX, two SSE registers
// otherwise. Without AVX, GCC notes that passing such vectors changes the ABI; they never cross
// this file's boundary.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace nn::ops {

namespace {

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4), may_alias));

inline v8 load(const float* p) { return *reinterpret_cast<const v8u*>(p); }
inline void store(float* p, v8 v) { *reinterpret_cast<v8u*>(p) = v; }
inline v8 splat(float s) { return v8{s, s, s, s, s, s, s, s}; }

// OB output channels x PB vectors of 8 positions starting at p, kept in registers over all input
// channels and taps: per tap, PB loads and OB broadcasts feed OB*PB multiply-adds.
template <int OB, int PB>
void forward_block(const float* in, int64_t in_channels, int64_t plane, const int64_t* offsets, int64_t taps,
                   const float* weight, int64_t weight_stride, const float* bias, float* out, int64_t out_stride,
                   int64_t p) {
  v8 acc[OB][PB];
#pragma GCC unroll 8
  for (int ob = 0; ob < OB; ++ob) {
    const v8 b = splat(bias ? bias[ob] : 0.0f);
#pragma GCC unroll 8
    for (int k = 0; k < PB; ++k) acc[ob][k] = b;
  }
  for (int64_t c = 0; c < in_channels; ++c) {
    const float* xc = in + c * plane + p;
    const float* wc = weight + c * taps;
    for (int64_t t = 0; t < taps; ++t) {
      const float* xs = xc + offsets[t];
      v8 x[PB];
#pragma GCC unroll 8
      for (int k = 0; k < PB; ++k) x[k] = load(xs + 8 * k);
#pragma GCC unroll 8
      for (int ob = 0; ob < OB; ++ob) {
        const v8 w = splat(wc[ob * weight_stride + t]);
#pragma GCC unroll 8
        for (int k = 0; k < PB; ++k) acc[ob][k] += w * x[k];
      }
    }
  }
#pragma GCC unroll 8
  for (int ob = 0; ob < OB; ++ob)
#pragma GCC unroll 8
    for (int k = 0; k < PB; ++k) store(out + ob * out_stride + p + 8 * k, acc[ob][k]);
}

// Blocks of 3 vectors (12 accumulators with OB = 4, all in registers with AVX's 16), then 1 or 2.
template <int OB>
void forward_channels(const float* in, int64_t in_channels, int64_t plane, const int64_t* offsets, int64_t taps,
                      const float* weight, const float* bias, float* out, int64_t out_stride, int64_t len) {
  const int64_t end = conv_flat_size(len), ws = in_channels * taps;
  int64_t p = 0;
  for (; p + 24 <= end; p += 24)
    forward_block<OB, 3>(in, in_channels, plane, offsets, taps, weight, ws, bias, out, out_stride, p);
  if (end - p == 16)
    forward_block<OB, 2>(in, in_channels, plane, offsets, taps, weight, ws, bias, out, out_stride, p);
  else if (end - p == 8)
    forward_block<OB, 1>(in, in_channels, plane, offsets, taps, weight, ws, bias, out, out_stride, p);
}

// dst[0, n) = src[0, n) for short rows, without a call.
inline void copy_row(float* dst, const float* src, int64_t n) {
  int64_t q = 0;
  for (; q + 8 <= n; q += 8) store(dst + q, load(src + q));
  if (q < n && n >= 8) {
    store(dst + n - 8, load(src + n - 8));  // the last 8, overlapping what was copied
  } else {
    for (; q < n; ++q) dst[q] = src[q];
  }
}

// OB output channels x TB taps of one input channel, summed over all positions in registers:
// per vector of positions, OB + TB loads feed OB*TB multiply-adds.
template <int OB, int TB>
void weight_grad_block(const float* xc, const int64_t* offsets, const float* dy, int64_t dy_stride, int64_t len,
                       float* acc, int64_t acc_stride) {
  v8 a[OB][TB];
#pragma GCC unroll 4
  for (int ob = 0; ob < OB; ++ob)
#pragma GCC unroll 4
    for (int t = 0; t < TB; ++t) a[ob][t] = v8{};
  const float* xs[TB];
#pragma GCC unroll 4
  for (int t = 0; t < TB; ++t) xs[t] = xc + offsets[t];
  for (int64_t p = 0; p < len; p += 8) {
    v8 x[TB];
#pragma GCC unroll 4
    for (int t = 0; t < TB; ++t) x[t] = load(xs[t] + p);
#pragma GCC unroll 4
    for (int ob = 0; ob < OB; ++ob) {
      const v8 d = load(dy + ob * dy_stride + p);
#pragma GCC unroll 4
      for (int t = 0; t < TB; ++t) a[ob][t] += d * x[t];
    }
  }
#pragma GCC unroll 4
  for (int ob = 0; ob < OB; ++ob)
#pragma GCC unroll 4
    for (int t = 0; t < TB; ++t) {
      float* at = acc + ob * acc_stride + 8 * t;
      store(at, load(at) + a[ob][t]);
    }
}

// All taps of one input channel for OB output channels, in groups of up to 3.
template <int OB>
void weight_grad_channels(const float* xc, const int64_t* offsets, int64_t taps, const float* dy,
                          int64_t dy_stride, int64_t len, float* acc, int64_t acc_stride) {
  int64_t t = 0;
  for (; t + 3 <= taps; t += 3)
    weight_grad_block<OB, 3>(xc, offsets + t, dy, dy_stride, len, acc + 8 * t, acc_stride);
  if (taps - t == 2) weight_grad_block<OB, 2>(xc, offsets + t, dy, dy_stride, len, acc + 8 * t, acc_stride);
  else if (taps - t == 1) weight_grad_block<OB, 1>(xc, offsets + t, dy, dy_stride, len, acc + 8 * t, acc_stride);
}

}  // namespace

void conv_flat_pad(const float* x, int64_t channels, int64_t h, int64_t w, int64_t ph, int64_t pw, int64_t wp,
                   int64_t plane, int64_t tail, float* dst) {
  std::fill_n(dst, channels * plane + tail, 0.0f);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t r = 0; r < h; ++r) copy_row(dst + c * plane + (r + ph) * wp + pw, x + (c * h + r) * w, w);
}

void conv_flat_unpad(const float* src, int64_t channels, int64_t plane, int64_t wp, int64_t h, int64_t w,
                     float* x) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t r = 0; r < h; ++r) copy_row(x + (c * h + r) * w, src + c * plane + r * wp, w);
}

void conv_flat_forward(const float* in, int64_t in_channels, int64_t plane, const int64_t* offsets, int64_t taps,
                       const float* weight, const float* bias, int64_t out_channels, float* out,
                       int64_t out_stride, int64_t len) {
  int64_t o = 0;
  for (; o + 4 <= out_channels; o += 4)
    forward_channels<4>(in, in_channels, plane, offsets, taps, weight + o * in_channels * taps,
                        bias ? bias + o : nullptr, out + o * out_stride, out_stride, len);
  const float* w = weight + o * in_channels * taps;
  const float* b = bias ? bias + o : nullptr;
  float* y = out + o * out_stride;
  switch (out_channels - o) {
    case 3: forward_channels<3>(in, in_channels, plane, offsets, taps, w, b, y, out_stride, len); break;
    case 2: forward_channels<2>(in, in_channels, plane, offsets, taps, w, b, y, out_stride, len); break;
    case 1: forward_channels<1>(in, in_channels, plane, offsets, taps, w, b, y, out_stride, len); break;
    default: break;
  }
}

void conv_flat_weight_grad(const float* in, int64_t in_channels, int64_t plane, const int64_t* offsets,
                           int64_t taps, const float* dy, int64_t out_channels, int64_t dy_stride, int64_t len,
                           float* acc) {
  const int64_t acc_stride = in_channels * taps * 8;  // one output channel's partial sums
  for (int64_t o = 0; o < out_channels; o += 4) {
    const float* d = dy + o * dy_stride;
    for (int64_t c = 0; c < in_channels; ++c) {
      const float* xc = in + c * plane;
      float* a = acc + o * acc_stride + c * taps * 8;
      switch (out_channels - o < 4 ? out_channels - o : 4) {
        case 4: weight_grad_channels<4>(xc, offsets, taps, d, dy_stride, len, a, acc_stride); break;
        case 3: weight_grad_channels<3>(xc, offsets, taps, d, dy_stride, len, a, acc_stride); break;
        case 2: weight_grad_channels<2>(xc, offsets, taps, d, dy_stride, len, a, acc_stride); break;
        default: weight_grad_channels<1>(xc, offsets, taps, d, dy_stride, len, a, acc_stride); break;
      }
    }
  }
}

}  // namespace nn::ops
