// The losses on the device: gradient and mean value in one single-block kernel each, the value
// summed in double in a fixed order and left on the device (no host synchronisation).
#include <cmath>

#include "launch.cuh"
#include "ops_cuda.hpp"

namespace nn::ops::cuda {

namespace {

// Every kernel runs as one block of kReduceThreads threads; `finish` writes the mean and the flag.
__device__ inline void finish(double total, double count, float* value, int local_bad, int32_t* bad,
                              double* shared) {
  total = block_sum(total, shared);
  const int any_bad = __syncthreads_or(local_bad);
  if (threadIdx.x == 0) {
    value[0] = static_cast<float>(total / count);
    if (bad) *bad = any_bad ? 1 : 0;
  }
}

__device__ inline float sigmoid(float v) {
  if (v >= 0.0f) return 1.0f / (1.0f + expf(-v));
  const float e = expf(v);
  return e / (1.0f + e);
}

__global__ void __launch_bounds__(kReduceThreads) mse_kernel(const float* p, const float* t, float* g, int64_t n,
                                                             float* value) {
  __shared__ double shared[kReduceThreads];
  const float scale = 2.0f / static_cast<float>(n);
  double total = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const float d = p[i] - t[i];
    total += static_cast<double>(d) * d;
    g[i] = scale * d;
  }
  finish(total, static_cast<double>(n), value, 0, nullptr, shared);
}

__global__ void __launch_bounds__(kReduceThreads) mse_labels_kernel(const float* p, const int32_t* labels, float* g,
                                                                    int64_t rows, int64_t cols, float* value,
                                                                    int32_t* bad) {
  __shared__ double shared[kReduceThreads];
  const int64_t n = rows * cols;
  const float scale = 2.0f / static_cast<float>(n);
  double total = 0.0;
  int local_bad = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const int32_t label = labels[i / cols];
    float target;
    if (cols == 1) {
      local_bad |= label != 0 && label != 1;
      target = static_cast<float>(label);
    } else {
      local_bad |= label < 0 || label >= cols;
      target = i % cols == label ? 1.0f : 0.0f;
    }
    const float d = p[i] - target;
    total += static_cast<double>(d) * d;
    g[i] = scale * d;
  }
  finish(total, static_cast<double>(n), value, local_bad, bad, shared);
}

// BCE of one element: adds its loss to total and writes its gradient.
__device__ inline void bce_one(float p, float y, float* g, float eps, float scale, double& total) {
  const float a = p + eps, b = 1.0f - p + eps;
  total -= static_cast<double>(y) * logf(a) + (1.0 - y) * logf(b);
  *g = (-y / a + (1.0f - y) / b) * scale;
}

__global__ void __launch_bounds__(kReduceThreads) bce_kernel(const float* p, const float* y, const int32_t* labels,
                                                             float* g, int64_t n, float eps, float* value,
                                                             int32_t* bad) {
  __shared__ double shared[kReduceThreads];
  const float scale = 1.0f / static_cast<float>(n);
  double total = 0.0;
  int local_bad = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    float target;
    if (labels) {
      local_bad |= labels[i] != 0 && labels[i] != 1;
      target = static_cast<float>(labels[i]);
    } else {
      target = y[i];
    }
    bce_one(p[i], target, g + i, eps, scale, total);
  }
  finish(total, static_cast<double>(n), value, local_bad, bad, shared);
}

__global__ void __launch_bounds__(kReduceThreads) bce_logits_kernel(const float* z, const float* y,
                                                                    const int32_t* labels, float* g, int64_t n,
                                                                    float* value, int32_t* bad) {
  __shared__ double shared[kReduceThreads];
  const float scale = 1.0f / static_cast<float>(n);
  double total = 0.0;
  int local_bad = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    float target;
    if (labels) {
      local_bad |= labels[i] != 0 && labels[i] != 1;
      target = static_cast<float>(labels[i]);
    } else {
      target = y[i];
    }
    const float v = z[i];
    total += fmaxf(v, 0.0f) - v * target + log1pf(expf(-fabsf(v)));
    g[i] = (sigmoid(v) - target) * scale;
  }
  finish(total, static_cast<double>(n), value, local_bad, bad, shared);
}

// Probabilities a little outside [0, 1] from rounding are accepted, as on the CPU.
__device__ inline bool not_probability(float p) { return !(p >= -1e-3f && p <= 1.0f + 1e-3f); }

__global__ void __launch_bounds__(kReduceThreads) cross_entropy_kernel(const float* p, const float* y, float* g,
                                                                       int64_t rows, int64_t cols, float eps,
                                                                       float* value, int32_t* bad) {
  __shared__ double shared[kReduceThreads];
  const float scale = 1.0f / static_cast<float>(rows);
  double total = 0.0;
  int local_bad = 0;
  for (int64_t i = threadIdx.x; i < rows * cols; i += blockDim.x) {
    local_bad |= not_probability(p[i]);
    const float a = p[i] + eps;
    total -= static_cast<double>(y[i]) * logf(a);
    g[i] = -y[i] / a * scale;
  }
  finish(total, static_cast<double>(rows), value, local_bad, bad, shared);
}

__global__ void __launch_bounds__(kReduceThreads) cross_entropy_labels_kernel(const float* p, const int32_t* labels,
                                                                              float* g, int64_t rows, int64_t cols,
                                                                              float eps, float* value, int32_t* bad) {
  __shared__ double shared[kReduceThreads];
  const float scale = 1.0f / static_cast<float>(rows);
  double total = 0.0;
  int local_bad = 0;
  for (int64_t i = threadIdx.x; i < rows * cols; i += blockDim.x) {
    const int32_t label = labels[i / cols];
    local_bad |= not_probability(p[i]) || label < 0 || label >= cols;
    if (i % cols == label) {
      const float a = p[i] + eps;
      total -= logf(a);
      g[i] = -scale / a;
    } else {
      g[i] = 0.0f;
    }
  }
  finish(total, static_cast<double>(rows), value, local_bad, bad, shared);
}

// One thread per row (rows are short: the classes of a classifier).
__global__ void __launch_bounds__(kReduceThreads) softmax_cross_entropy_kernel(const float* z, const float* y,
                                                                               const int32_t* labels, float* g,
                                                                               int64_t rows, int64_t cols,
                                                                               float* value, int32_t* bad) {
  __shared__ double shared[kReduceThreads];
  const float scale = 1.0f / static_cast<float>(rows);
  double total = 0.0;
  int local_bad = 0;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    const float* zr = z + r * cols;
    float* gr = g + r * cols;
    float m = zr[0];
    for (int64_t c = 1; c < cols; ++c) m = fmaxf(m, zr[c]);
    float s = 0.0f;
    for (int64_t c = 0; c < cols; ++c) {
      gr[c] = expf(zr[c] - m);
      s += gr[c];
    }
    if (labels) {
      const int32_t label = labels[r];
      const bool ok = label >= 0 && label < cols;
      local_bad |= !ok;
      const float inv = scale / s;
      for (int64_t c = 0; c < cols; ++c) gr[c] *= inv;
      if (ok) {
        total += static_cast<double>(m) + log(static_cast<double>(s)) - zr[label];
        gr[label] -= scale;
      }
    } else {
      const float* yr = y + r * cols;
      const float lse = m + logf(s);
      const float inv = 1.0f / s;
      double ysum = 0.0;
      for (int64_t c = 0; c < cols; ++c) {
        total -= static_cast<double>(yr[c]) * (zr[c] - lse);
        ysum += yr[c];
      }
      for (int64_t c = 0; c < cols; ++c) gr[c] = (gr[c] * inv * static_cast<float>(ysum) - yr[c]) * scale;
    }
  }
  finish(total, static_cast<double>(rows), value, local_bad, bad, shared);
}

}  // namespace

void mse(const float* p, const float* t, float* g, int64_t n, float* value) {
  mse_kernel<<<1, kReduceThreads, 0, stream()>>>(p, t, g, n, value);
  launched("mse");
}

void mse_labels(const float* p, const int32_t* labels, float* g, int64_t rows, int64_t cols, float* value,
                int32_t* bad) {
  mse_labels_kernel<<<1, kReduceThreads, 0, stream()>>>(p, labels, g, rows, cols, value, bad);
  launched("mse_labels");
}

void bce(const float* p, const float* y, float* g, int64_t n, float eps, float* value) {
  bce_kernel<<<1, kReduceThreads, 0, stream()>>>(p, y, nullptr, g, n, eps, value, nullptr);
  launched("bce");
}

void bce_labels(const float* p, const int32_t* labels, float* g, int64_t rows, float eps, float* value,
                int32_t* bad) {
  bce_kernel<<<1, kReduceThreads, 0, stream()>>>(p, nullptr, labels, g, rows, eps, value, bad);
  launched("bce_labels");
}

void bce_logits(const float* z, const float* y, float* g, int64_t n, float* value) {
  bce_logits_kernel<<<1, kReduceThreads, 0, stream()>>>(z, y, nullptr, g, n, value, nullptr);
  launched("bce_logits");
}

void bce_logits_labels(const float* z, const int32_t* labels, float* g, int64_t rows, float* value,
                       int32_t* bad) {
  bce_logits_kernel<<<1, kReduceThreads, 0, stream()>>>(z, nullptr, labels, g, rows, value, bad);
  launched("bce_logits_labels");
}

void cross_entropy(const float* p, const float* y, float* g, int64_t rows, int64_t cols, float eps, float* value,
                   int32_t* bad) {
  cross_entropy_kernel<<<1, kReduceThreads, 0, stream()>>>(p, y, g, rows, cols, eps, value, bad);
  launched("cross_entropy");
}

void cross_entropy_labels(const float* p, const int32_t* labels, float* g, int64_t rows, int64_t cols, float eps,
                          float* value, int32_t* bad) {
  cross_entropy_labels_kernel<<<1, kReduceThreads, 0, stream()>>>(p, labels, g, rows, cols, eps, value, bad);
  launched("cross_entropy_labels");
}

void softmax_cross_entropy(const float* z, const float* y, float* g, int64_t rows, int64_t cols, float* value) {
  softmax_cross_entropy_kernel<<<1, kReduceThreads, 0, stream()>>>(z, y, nullptr, g, rows, cols, value, nullptr);
  launched("softmax_cross_entropy");
}

void softmax_cross_entropy_labels(const float* z, const int32_t* labels, float* g, int64_t rows, int64_t cols,
                                  float* value, int32_t* bad) {
  softmax_cross_entropy_kernel<<<1, kReduceThreads, 0, stream()>>>(z, nullptr, labels, g, rows, cols, value, bad);
  launched("softmax_cross_entropy_labels");
}

}  // namespace nn::ops::cuda
