// Batch norm, layer norm and dropout on the device. Per-channel and per-row statistics are block
// reductions in double in a fixed order; dropout's mask is the counter-based generator of
// nn/ops/counter_rng.hpp, the same bits the CPU computes.
#include <cmath>

#include "launch.cuh"
#include "nn/ops/counter_rng.hpp"
#include "ops_cuda.hpp"

namespace nn::ops::cuda {

namespace {

// Element k of channel ch of x (N, C, L), k in [0, N*L).
__device__ inline int64_t channel_index(int64_t k, int64_t c, int64_t l, int64_t ch) {
  return (k / l * c + ch) * l + k % l;
}

__global__ void __launch_bounds__(kReduceThreads) bn_train_kernel(const float* x, int64_t n, int64_t c, int64_t l,
                                                                  const float* gamma, const float* beta, float eps,
                                                                  float* y, float* mean, float* var, float* invstd) {
  __shared__ double shared[kReduceThreads];
  const int64_t count = n * l;
  const double m = static_cast<double>(count);
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    double s = 0.0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) s += x[channel_index(k, c, l, ch)];
    const double mu = block_sum(s, shared) / m;
    double ss = 0.0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const double d = x[channel_index(k, c, l, ch)] - mu;
      ss += d * d;
    }
    const double v = block_sum(ss, shared) / m;
    const double is = 1.0 / sqrt(v + static_cast<double>(eps));
    if (threadIdx.x == 0) {
      mean[ch] = static_cast<float>(mu);
      var[ch] = static_cast<float>(v);
      invstd[ch] = static_cast<float>(is);
    }
    const float scale = static_cast<float>(is * (gamma ? gamma[ch] : 1.0f));
    const float shift = (beta ? beta[ch] : 0.0f) - static_cast<float>(mu) * scale;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const int64_t e = channel_index(k, c, l, ch);
      y[e] = x[e] * scale + shift;
    }
  }
}

__global__ void bn_running_kernel(float* rm, float* rv, const float* mean, const float* var, int64_t c, float unbias,
                                  float mo, float* num_batches) {
  NN_CUDA_FOR(ch, c) {
    rm[ch] = (1.0f - mo) * rm[ch] + mo * mean[ch];
    rv[ch] = (1.0f - mo) * rv[ch] + mo * var[ch] * unbias;
  }
  if (blockIdx.x == 0 && threadIdx.x == 0 && num_batches) num_batches[0] += 1.0f;
}

__global__ void __launch_bounds__(kThreads) bn_eval_kernel(const float* x, int64_t n, int64_t c, int64_t l,
                                                           const float* gamma, const float* beta, const float* rm,
                                                           const float* rv, float eps, float* y) {
  NN_CUDA_FOR(e, n * c * l) {
    const int64_t ch = e / l % c;
    const double is = 1.0 / sqrt(static_cast<double>(rv[ch]) + eps);
    const float scale = static_cast<float>(is * (gamma ? gamma[ch] : 1.0f));
    const float shift = (beta ? beta[ch] : 0.0f) - rm[ch] * scale;
    y[e] = x[e] * scale + shift;
  }
}

// One block per channel. With `batch` the statistics are the batch's (mean, invstd) and dx goes
// through them; otherwise the running statistics, and dx = dy gamma invstd.
__global__ void __launch_bounds__(kReduceThreads) bn_backward_kernel(const float* x, const float* dy, int64_t n,
                                                                     int64_t c, int64_t l, const float* gamma,
                                                                     const float* mean, const float* stat, bool batch,
                                                                     float eps, float* dx, float* dgamma,
                                                                     float* dbeta) {
  __shared__ double shared[kReduceThreads];
  const int64_t count = n * l;
  const double m = static_cast<double>(count);
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    const double mu = mean[ch];
    const double is = batch ? static_cast<double>(stat[ch]) : 1.0 / sqrt(static_cast<double>(stat[ch]) + eps);
    double s_dy = 0.0, s_dy_xmu = 0.0;
    if (batch || dgamma || dbeta) {
      for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
        const int64_t e = channel_index(k, c, l, ch);
        s_dy += dy[e];
        s_dy_xmu += static_cast<double>(dy[e]) * (x[e] - mu);
      }
      s_dy = block_sum(s_dy, shared);
      s_dy_xmu = block_sum(s_dy_xmu, shared);
    }
    const double s_dy_xhat = s_dy_xmu * is;
    if (threadIdx.x == 0) {
      if (dgamma) dgamma[ch] += static_cast<float>(s_dy_xhat);
      if (dbeta) dbeta[ch] += static_cast<float>(s_dy);
    }
    if (!dx) continue;
    const double g = gamma ? gamma[ch] : 1.0;
    const float a = static_cast<float>(g * is);
    if (batch) {
      const float mean_dy = static_cast<float>(s_dy / m);
      const float k_xmu = static_cast<float>(is * s_dy_xhat / m);
      const float muf = static_cast<float>(mu);
      for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
        const int64_t e = channel_index(k, c, l, ch);
        dx[e] = a * (dy[e] - mean_dy - (x[e] - muf) * k_xmu);
      }
    } else {
      for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
        const int64_t e = channel_index(k, c, l, ch);
        dx[e] = a * dy[e];
      }
    }
  }
}

// One block per row.
__global__ void __launch_bounds__(kReduceThreads) ln_forward_kernel(const float* x, int64_t rows, int64_t f,
                                                                    const float* w, const float* b, float eps,
                                                                    float* y, float* mean, float* invstd) {
  __shared__ double shared[kReduceThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* in = x + r * f;
    float* out = y + r * f;
    double s = 0.0;
    for (int64_t k = threadIdx.x; k < f; k += blockDim.x) s += in[k];
    const double mu = block_sum(s, shared) / static_cast<double>(f);
    double sq = 0.0;
    for (int64_t k = threadIdx.x; k < f; k += blockDim.x) sq += (in[k] - mu) * (in[k] - mu);
    const double is = 1.0 / sqrt(block_sum(sq, shared) / static_cast<double>(f) + eps);
    if (threadIdx.x == 0) {
      mean[r] = static_cast<float>(mu);
      invstd[r] = static_cast<float>(is);
    }
    for (int64_t k = threadIdx.x; k < f; k += blockDim.x) {
      const double xh = (in[k] - mu) * is;
      out[k] = static_cast<float>(w ? xh * w[k] + b[k] : xh);
    }
  }
}

__global__ void __launch_bounds__(kReduceThreads) ln_backward_dx_kernel(const float* x, const float* dy,
                                                                        int64_t rows, int64_t f, const float* w,
                                                                        const float* mean, const float* invstd,
                                                                        float* dx) {
  __shared__ double shared[kReduceThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* in = x + r * f;
    const float* g = dy + r * f;
    const double mu = mean[r], is = invstd[r];
    double sum_g = 0.0, sum_gxh = 0.0;
    for (int64_t k = threadIdx.x; k < f; k += blockDim.x) {
      const double xh = (in[k] - mu) * is;
      const double gk = w ? g[k] * static_cast<double>(w[k]) : g[k];
      sum_g += gk;
      sum_gxh += gk * xh;
    }
    const double mg = block_sum(sum_g, shared) / static_cast<double>(f);
    const double mgxh = block_sum(sum_gxh, shared) / static_cast<double>(f);
    float* d = dx + r * f;
    for (int64_t k = threadIdx.x; k < f; k += blockDim.x) {
      const double xh = (in[k] - mu) * is;
      const double gk = w ? g[k] * static_cast<double>(w[k]) : g[k];
      d[k] = static_cast<float>(is * (gk - mg - xh * mgxh));
    }
  }
}

// One thread per feature, rows in order (the CPU's order of additions).
__global__ void __launch_bounds__(kThreads) ln_backward_params_kernel(const float* x, const float* dy, int64_t rows,
                                                                      int64_t f, const float* mean,
                                                                      const float* invstd, float* dw, float* db) {
  NN_CUDA_FOR(k, f) {
    float sw = dw[k], sb = db[k];
    for (int64_t r = 0; r < rows; ++r) {
      const double xh = (x[r * f + k] - static_cast<double>(mean[r])) * static_cast<double>(invstd[r]);
      const float g = dy[r * f + k];
      sw += static_cast<float>(g * xh);
      sb += g;
    }
    dw[k] = sw;
    db[k] = sb;
  }
}

// One thread per group of four elements (one Philox block).
__global__ void __launch_bounds__(kThreads) dropout_kernel(const float* x, float* y, float* mask, int64_t n, float p,
                                                           float scale, const uint64_t* state) {
  const uint64_t seed = state[0], offset = state[1];
  NN_CUDA_FOR(group, (n + 3) / 4) {
    const Philox4x32::Block bits = counter_rng_block(seed, offset, static_cast<uint64_t>(group));
    for (int u = 0; u < 4; ++u) {
      const int64_t i = group * 4 + u;
      if (i >= n) break;
      const float m = counter_rng_uniform(bits.v[u]) >= p ? scale : 0.0f;
      mask[i] = m;
      y[i] = x[i] * m;
    }
  }
}

__global__ void dropout_advance_kernel(uint64_t* state) { state[1] += 1; }

}  // namespace

void batch_norm_forward_train(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* beta, float eps, float* y, float* mean, float* var, float* invstd) {
  if (c <= 0) return;
  bn_train_kernel<<<blocks_for(c, 1), kReduceThreads, 0, stream()>>>(x, n, c, l, gamma, beta, eps, y, mean, var,
                                                                     invstd);
  launched("batch_norm_forward_train");
}

void batch_norm_update_running(float* running_mean, float* running_var, const float* mean, const float* var,
                               int64_t c, int64_t m, float momentum, float* num_batches) {
  if (c <= 0) return;
  const float unbias = static_cast<float>(static_cast<double>(m) / static_cast<double>(m - 1));
  bn_running_kernel<<<blocks_for(c), kThreads, 0, stream()>>>(running_mean, running_var, mean, var, c, unbias,
                                                              momentum, num_batches);
  launched("batch_norm_update_running");
}

void batch_norm_forward_eval(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var, float eps,
                             float* y) {
  if (n * c * l <= 0) return;
  bn_eval_kernel<<<blocks_for(n * c * l), kThreads, 0, stream()>>>(x, n, c, l, gamma, beta, running_mean,
                                                                   running_var, eps, y);
  launched("batch_norm_forward_eval");
}

void batch_norm_backward_train(const float* x, const float* dy, int64_t n, int64_t c, int64_t l,
                               const float* gamma, const float* mean, const float* invstd, float* dx, float* dgamma,
                               float* dbeta) {
  if (c <= 0) return;
  bn_backward_kernel<<<blocks_for(c, 1), kReduceThreads, 0, stream()>>>(x, dy, n, c, l, gamma, mean, invstd, true,
                                                                        0.0f, dx, dgamma, dbeta);
  launched("batch_norm_backward_train");
}

void batch_norm_backward_eval(const float* x, const float* dy, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* running_mean, const float* running_var, float eps, float* dx,
                              float* dgamma, float* dbeta) {
  if (c <= 0) return;
  bn_backward_kernel<<<blocks_for(c, 1), kReduceThreads, 0, stream()>>>(x, dy, n, c, l, gamma, running_mean,
                                                                        running_var, false, eps, dx, dgamma, dbeta);
  launched("batch_norm_backward_eval");
}

void layer_norm_forward(const float* x, int64_t rows, int64_t f, const float* w, const float* b, float eps,
                        float* y, float* mean, float* invstd) {
  if (rows <= 0 || f <= 0) return;
  ln_forward_kernel<<<blocks_for(rows, 1), kReduceThreads, 0, stream()>>>(x, rows, f, w, b, eps, y, mean, invstd);
  launched("layer_norm_forward");
}

void layer_norm_backward(const float* x, const float* dy, int64_t rows, int64_t f, const float* w,
                         const float* mean, const float* invstd, float* dx, float* dw, float* db) {
  if (rows <= 0 || f <= 0) return;
  if (dw && db) {
    ln_backward_params_kernel<<<blocks_for(f), kThreads, 0, stream()>>>(x, dy, rows, f, mean, invstd, dw, db);
    launched("layer_norm_backward (weight and bias)");
  }
  if (dx) {
    ln_backward_dx_kernel<<<blocks_for(rows, 1), kReduceThreads, 0, stream()>>>(x, dy, rows, f, w, mean, invstd, dx);
    launched("layer_norm_backward (input)");
  }
}

void dropout_forward(const float* x, float* y, float* mask, int64_t n, float p, float scale, uint64_t* state) {
  if (n > 0) {
    dropout_kernel<<<blocks_for((n + 3) / 4), kThreads, 0, stream()>>>(x, y, mask, n, p, scale, state);
    launched("dropout_forward");
  }
  dropout_advance_kernel<<<1, 1, 0, stream()>>>(state);
  launched("dropout_forward (advance)");
}

}  // namespace nn::ops::cuda
