// Convolution (im2col/col2im around cuBLAS) and pooling on the device. The adjoint kernels gather
// (one thread per input element, contributions in the CPU's order) instead of scattering with
// atomics, so their sums repeat bit for bit.
#include <cmath>

#include "launch.cuh"
#include "ops_cuda.hpp"
#include "window_index.hpp"

namespace nn::ops::cuda {

namespace {

__global__ void __launch_bounds__(kThreads) im2col_kernel(const float* x, int64_t n, int64_t c, int64_t h, int64_t w,
                                                          Window2d win, int64_t oh, int64_t ow, float* cols) {
  const int64_t l = oh * ow, ld = n * l;
  NN_CUDA_FOR(e, c * win.kh * win.kw * ld) {
    const int64_t row = e / ld, col = e % ld;
    const int64_t img = col / l, pos = col % l, r = pos / ow, q = pos % ow;
    const int64_t j = row % win.kw, i = row / win.kw % win.kh, ch = row / (win.kw * win.kh);
    const int64_t ih = r * win.sh - win.ph + i, iw = q * win.sw - win.pw + j;
    cols[e] = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[((img * c + ch) * h + ih) * w + iw] : 0.0f;
  }
}

// x[img, ch, ih, iw] = sum over taps (i, j), in order, of the column entry that read it.
__global__ void __launch_bounds__(kThreads) col2im_kernel(const float* cols, int64_t n, int64_t c, int64_t h,
                                                          int64_t w, Window2d win, int64_t oh, int64_t ow, float* x) {
  const int64_t l = oh * ow, ld = n * l;
  NN_CUDA_FOR(e, n * c * h * w) {
    const int64_t iw = e % w, ih = e / w % h, ch = e / (w * h) % c, img = e / (w * h * c);
    float s = 0.0f;
    for (int64_t i = 0; i < win.kh; ++i) {
      int64_t r, q;
      if (!tap_source(ih, i, win.sh, win.ph, oh, r)) continue;
      for (int64_t j = 0; j < win.kw; ++j) {
        if (!tap_source(iw, j, win.sw, win.pw, ow, q)) continue;
        const int64_t row = (ch * win.kh + i) * win.kw + j;
        s += cols[row * ld + img * l + r * ow + q];
      }
    }
    x[e] = s;
  }
}

// t (O, N, L) <-> y (N, O, L)
__global__ void __launch_bounds__(kThreads) ocl_to_nol_kernel(const float* t, float* y, int64_t o, int64_t n,
                                                              int64_t l) {
  NN_CUDA_FOR(e, o * n * l) {
    const int64_t p = e % l, img = e / l % n, ch = e / (l * n);
    y[(img * o + ch) * l + p] = t[e];
  }
}

__global__ void __launch_bounds__(kThreads) nol_to_ocl_kernel(const float* dy, float* t, int64_t n, int64_t o,
                                                              int64_t l) {
  NN_CUDA_FOR(e, o * n * l) {
    const int64_t p = e % l, img = e / l % n, ch = e / (l * n);
    t[e] = dy[(img * o + ch) * l + p];
  }
}

__global__ void __launch_bounds__(kThreads) max_pool_kernel(const float* x, int64_t planes, int64_t h, int64_t w,
                                                            Window2d win, int64_t oh, int64_t ow, float* y,
                                                            int32_t* argmax) {
  NN_CUDA_FOR(e, planes * oh * ow) {
    const int64_t q = e % ow, r = e / ow % oh, p = e / (ow * oh);
    const float* xp = x + p * h * w;
    const int64_t h0 = max(r * win.sh - win.ph, int64_t{0}), h1 = min(r * win.sh - win.ph + win.kh, h);
    const int64_t w0 = max(q * win.sw - win.pw, int64_t{0}), w1 = min(q * win.sw - win.pw + win.kw, w);
    float best = -INFINITY;
    int64_t at = h0 * w + w0;
    for (int64_t i = h0; i < h1; ++i)
      for (int64_t j = w0; j < w1; ++j) {
        const float v = xp[i * w + j];
        if (v > best || v != v) {  // PyTorch's rule, as on the CPU: a NaN takes the place
          best = v;
          at = i * w + j;
        }
      }
    y[e] = best;
    argmax[e] = static_cast<int32_t>(at);
  }
}

// dx[p, i, j] = sum of dy over the windows (in row-major output order) that chose (i, j).
__global__ void __launch_bounds__(kThreads) max_pool_backward_kernel(const float* dy, const int32_t* argmax,
                                                                     int64_t planes, int64_t h, int64_t w,
                                                                     Window2d win, int64_t oh, int64_t ow, float* dx) {
  NN_CUDA_FOR(e, planes * h * w) {
    const int64_t j = e % w, i = e / w % h, p = e / (w * h);
    int64_t r0, r1, q0, q1;
    covering(i, win.kh, win.sh, win.ph, oh, r0, r1);
    covering(j, win.kw, win.sw, win.pw, ow, q0, q1);
    const int32_t self = static_cast<int32_t>(i * w + j);
    float s = 0.0f;
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t q = q0; q < q1; ++q) {
        const int64_t o = (p * oh + r) * ow + q;
        if (argmax[o] == self) s += dy[o];
      }
    dx[e] = s;
  }
}

__global__ void __launch_bounds__(kThreads) avg_pool_kernel(const float* x, int64_t planes, int64_t h, int64_t w,
                                                            Window2d win, int64_t oh, int64_t ow, float* y) {
  const float inv = 1.0f / static_cast<float>(win.kh * win.kw);
  NN_CUDA_FOR(e, planes * oh * ow) {
    const int64_t q = e % ow, r = e / ow % oh, p = e / (ow * oh);
    const float* xp = x + p * h * w;
    const int64_t h0 = max(r * win.sh - win.ph, int64_t{0}), h1 = min(r * win.sh - win.ph + win.kh, h);
    const int64_t w0 = max(q * win.sw - win.pw, int64_t{0}), w1 = min(q * win.sw - win.pw + win.kw, w);
    float s = 0.0f;
    for (int64_t i = h0; i < h1; ++i)
      for (int64_t j = w0; j < w1; ++j) s += xp[i * w + j];
    y[e] = s * inv;
  }
}

__global__ void __launch_bounds__(kThreads) avg_pool_backward_kernel(const float* dy, int64_t planes, int64_t h,
                                                                     int64_t w, Window2d win, int64_t oh, int64_t ow,
                                                                     float* dx) {
  const float inv = 1.0f / static_cast<float>(win.kh * win.kw);
  NN_CUDA_FOR(e, planes * h * w) {
    const int64_t j = e % w, i = e / w % h, p = e / (w * h);
    int64_t r0, r1, q0, q1;
    covering(i, win.kh, win.sh, win.ph, oh, r0, r1);
    covering(j, win.kw, win.sw, win.pw, ow, q0, q1);
    float s = 0.0f;
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t q = q0; q < q1; ++q) s += dy[(p * oh + r) * ow + q];
    dx[e] = s * inv;
  }
}

}  // namespace

void im2col(const float* x, int64_t n, int64_t c, int64_t h, int64_t w, const Window2d& win, float* cols) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w), total = c * win.kh * win.kw * n * oh * ow;
  if (total <= 0) return;
  im2col_kernel<<<blocks_for(total), kThreads, 0, stream()>>>(x, n, c, h, w, win, oh, ow, cols);
  launched("im2col");
}

void col2im(const float* cols, int64_t n, int64_t c, int64_t h, int64_t w, const Window2d& win, float* x) {
  const int64_t total = n * c * h * w;
  if (total <= 0) return;
  col2im_kernel<<<blocks_for(total), kThreads, 0, stream()>>>(cols, n, c, h, w, win, win.out_h(h), win.out_w(w), x);
  launched("col2im");
}

void ocl_to_nol(const float* t, float* y, int64_t o, int64_t n, int64_t l) {
  if (o * n * l <= 0) return;
  ocl_to_nol_kernel<<<blocks_for(o * n * l), kThreads, 0, stream()>>>(t, y, o, n, l);
  launched("ocl_to_nol");
}

void nol_to_ocl(const float* dy, float* t, int64_t n, int64_t o, int64_t l) {
  if (o * n * l <= 0) return;
  nol_to_ocl_kernel<<<blocks_for(o * n * l), kThreads, 0, stream()>>>(dy, t, n, o, l);
  launched("nol_to_ocl");
}

void max_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y,
                        int32_t* argmax) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  if (planes * oh * ow <= 0) return;
  max_pool_kernel<<<blocks_for(planes * oh * ow), kThreads, 0, stream()>>>(x, planes, h, w, win, oh, ow, y, argmax);
  launched("max_pool2d_forward");
}

void max_pool2d_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t h, int64_t w,
                         const Window2d& win, float* dx) {
  if (planes * h * w <= 0) return;
  max_pool_backward_kernel<<<blocks_for(planes * h * w), kThreads, 0, stream()>>>(dy, argmax, planes, h, w, win,
                                                                                 win.out_h(h), win.out_w(w), dx);
  launched("max_pool2d_backward");
}

void avg_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y) {
  const int64_t oh = win.out_h(h), ow = win.out_w(w);
  if (planes * oh * ow <= 0) return;
  avg_pool_kernel<<<blocks_for(planes * oh * ow), kThreads, 0, stream()>>>(x, planes, h, w, win, oh, ow, y);
  launched("avg_pool2d_forward");
}

void avg_pool2d_backward(const float* dy, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* dx) {
  if (planes * h * w <= 0) return;
  avg_pool_backward_kernel<<<blocks_for(planes * h * w), kThreads, 0, stream()>>>(dy, planes, h, w, win,
                                                                                 win.out_h(h), win.out_w(w), dx);
  launched("avg_pool2d_backward");
}

}  // namespace nn::ops::cuda
