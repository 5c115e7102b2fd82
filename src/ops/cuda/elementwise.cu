// Element-wise kernels, bias, row and channel sums, softmax: the CUDA side of nn/ops/elementwise.hpp
// and of the GELU layer's loops.
#include <cmath>

#include "launch.cuh"
#include "ops_cuda.hpp"

namespace nn::ops::cuda {

namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kCubic = 0.044715;

__device__ inline float sigmoid(float v) {
  if (v >= 0.0f) return 1.0f / (1.0f + expf(-v));
  const float e = expf(v);
  return e / (1.0f + e);
}

// The same formulas as the CPU kernels (GELU in double, as the GELU layer computes it).
__global__ void __launch_bounds__(kThreads) activation_forward_kernel(Act act, const float* x, float* y, int64_t n,
                                                                      float alpha) {
  NN_CUDA_FOR(i, n) {
    const float v = x[i];
    float r;
    switch (act) {
      case Act::sigmoid: r = sigmoid(v); break;
      case Act::tanh: r = tanhf(v); break;
      case Act::relu: r = v > 0.0f ? v : 0.0f; break;
      case Act::leaky_relu: r = v > 0.0f ? v : alpha * v; break;
      case Act::gelu: {
        const double d = v;
        r = static_cast<float>(0.5 * d * (1.0 + erf(d * kInvSqrt2)));
        break;
      }
      case Act::gelu_tanh: {
        const double d = v;
        r = static_cast<float>(0.5 * d * (1.0 + tanh(kSqrt2OverPi * (d + kCubic * d * d * d))));
        break;
      }
      default: r = v; break;
    }
    y[i] = r;
  }
}

__global__ void __launch_bounds__(kThreads) activation_backward_kernel(Act act, const float* x, const float* y,
                                                                       const float* dy, float* dx, int64_t n,
                                                                       float alpha) {
  NN_CUDA_FOR(i, n) {
    const float g = dy[i];
    float r;
    switch (act) {
      case Act::sigmoid: r = g * y[i] * (1.0f - y[i]); break;
      case Act::tanh: r = g * (1.0f - y[i] * y[i]); break;
      case Act::relu: r = x[i] > 0.0f ? g : 0.0f; break;
      case Act::leaky_relu: r = x[i] > 0.0f ? g : alpha * g; break;
      case Act::gelu: {
        const double v = x[i];
        const double cdf = 0.5 * (1.0 + erf(v * kInvSqrt2));
        const double pdf = kInvSqrt2Pi * exp(-0.5 * v * v);
        r = static_cast<float>(g * (cdf + v * pdf));
        break;
      }
      case Act::gelu_tanh: {
        const double v = x[i];
        const double t = tanh(kSqrt2OverPi * (v + kCubic * v * v * v));
        const double du = kSqrt2OverPi * (1.0 + 3.0 * kCubic * v * v);
        r = static_cast<float>(g * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du));
        break;
      }
      default: r = g; break;
    }
    dx[i] = r;
  }
}

__global__ void __launch_bounds__(kThreads) add_bias_rows_kernel(float* y, const float* b, int64_t rows,
                                                                 int64_t cols) {
  NN_CUDA_FOR(i, rows * cols) y[i] += b[i % cols];
}

// One thread per column, rows in order: the same order of additions as the CPU loop.
__global__ void __launch_bounds__(kThreads) sum_rows_kernel(const float* dy, float* db, int64_t rows,
                                                            int64_t cols) {
  NN_CUDA_FOR(c, cols) {
    float s = db[c];
    for (int64_t r = 0; r < rows; ++r) s += dy[r * cols + c];
    db[c] = s;
  }
}

__global__ void __launch_bounds__(kThreads) add_bias_channels_kernel(float* y, const float* b, int64_t n,
                                                                     int64_t c, int64_t l) {
  NN_CUDA_FOR(i, n * c * l) y[i] += b[(i / l) % c];
}

// One block per channel; the block's threads stride over (n, l), then a fixed-order tree sum.
__global__ void __launch_bounds__(kReduceThreads) sum_channels_kernel(const float* dy, float* db, int64_t n,
                                                                      int64_t c, int64_t l) {
  __shared__ double shared[kReduceThreads];
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    double s = 0.0;
    for (int64_t i = threadIdx.x; i < n * l; i += blockDim.x) s += dy[(i / l * c + ch) * l + i % l];
    s = block_sum(s, shared);
    if (threadIdx.x == 0) db[ch] += static_cast<float>(s);
  }
}

// One warp per row; butterfly shuffles give every lane the row's max and sum in a fixed order.
__device__ inline float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ inline float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__global__ void __launch_bounds__(kThreads) softmax_rows_kernel(const float* x, float* y, int64_t rows,
                                                                int64_t cols) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32; r < rows; r += warps) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m = -INFINITY;
    for (int64_t c = lane; c < cols; c += 32) m = fmaxf(m, xr[c]);
    m = warp_max(m);
    float s = 0.0f;
    for (int64_t c = lane; c < cols; c += 32) {
      const float e = expf(xr[c] - m);
      yr[c] = e;
      s += e;
    }
    const float inv = 1.0f / warp_sum(s);
    for (int64_t c = lane; c < cols; c += 32) yr[c] *= inv;
  }
}

__global__ void __launch_bounds__(kThreads) softmax_rows_backward_kernel(const float* y, const float* dy, float* dx,
                                                                         int64_t rows, int64_t cols) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32; r < rows; r += warps) {
    const float* yr = y + r * cols;
    const float* gr = dy + r * cols;
    float* dr = dx + r * cols;
    float dot = 0.0f;
    for (int64_t c = lane; c < cols; c += 32) dot += gr[c] * yr[c];
    dot = warp_sum(dot);
    for (int64_t c = lane; c < cols; c += 32) dr[c] = yr[c] * (gr[c] - dot);
  }
}

__global__ void __launch_bounds__(kThreads) axpy_kernel(float alpha, const float* x, float* y, int64_t n) {
  NN_CUDA_FOR(i, n) y[i] += alpha * x[i];
}

__global__ void __launch_bounds__(kThreads) multiply_kernel(const float* x, const float* m, float* y, int64_t n) {
  NN_CUDA_FOR(i, n) y[i] = x[i] * m[i];
}

unsigned row_blocks(int64_t rows) { return blocks_for(rows, kThreads / 32); }

}  // namespace

void activation_forward(Act act, const float* x, float* y, int64_t n, float alpha) {
  if (n <= 0) return;
  activation_forward_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(act, x, y, n, alpha);
  launched("activation_forward");
}

void activation_backward(Act act, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                         float alpha) {
  if (n <= 0) return;
  activation_backward_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(act, x, y, dy, dx, n, alpha);
  launched("activation_backward");
}

void add_bias_rows(float* y, const float* b, int64_t rows, int64_t cols) {
  if (rows * cols <= 0) return;
  add_bias_rows_kernel<<<blocks_for(rows * cols), kThreads, 0, stream()>>>(y, b, rows, cols);
  launched("add_bias_rows");
}

void sum_rows_accumulate(const float* dy, float* db, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0) return;
  sum_rows_kernel<<<blocks_for(cols), kThreads, 0, stream()>>>(dy, db, rows, cols);
  launched("sum_rows_accumulate");
}

void add_bias_channels(float* y, const float* b, int64_t n, int64_t c, int64_t l) {
  if (n * c * l <= 0) return;
  add_bias_channels_kernel<<<blocks_for(n * c * l), kThreads, 0, stream()>>>(y, b, n, c, l);
  launched("add_bias_channels");
}

void sum_channels_accumulate(const float* dy, float* db, int64_t n, int64_t c, int64_t l) {
  if (c <= 0) return;
  sum_channels_kernel<<<blocks_for(c, 1), kReduceThreads, 0, stream()>>>(dy, db, n, c, l);
  launched("sum_channels_accumulate");
}

void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0) return;
  softmax_rows_kernel<<<row_blocks(rows), kThreads, 0, stream()>>>(x, y, rows, cols);
  launched("softmax_rows");
}

void softmax_rows_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0) return;
  softmax_rows_backward_kernel<<<row_blocks(rows), kThreads, 0, stream()>>>(y, dy, dx, rows, cols);
  launched("softmax_rows_backward");
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  axpy_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(alpha, x, y, n);
  launched("axpy");
}

void multiply(const float* x, const float* m, float* y, int64_t n) {
  if (n <= 0) return;
  multiply_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(x, m, y, n);
  launched("multiply");
}

void copy(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  nn::cuda::detail::copy_d2d(y, x, static_cast<size_t>(n) * sizeof(float));
}

}  // namespace nn::ops::cuda
