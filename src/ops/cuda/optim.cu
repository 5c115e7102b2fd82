// Optimizer updates and gradient clipping on the device. The learning rate and Adam's step count
// are read from device memory, so a captured training step replays with the current values.
#include <cmath>

#include "launch.cuh"
#include "ops_cuda.hpp"

namespace nn::ops::cuda {

namespace {

__global__ void __launch_bounds__(kThreads) sgd_kernel(float* w, const float* g, float* b, int64_t n,
                                                       const float* lr_ptr, float mu, float damp, float wd,
                                                       bool nesterov, bool first, int32_t* nonfinite) {
  const float lr = *lr_ptr;
  bool bad = false;
  NN_CUDA_FOR(j, n) {
    const float gj = g[j] + wd * w[j];
    float wj;
    if (mu == 0.0f) {
      wj = w[j] - lr * gj;
    } else {
      const float bj = first ? gj : mu * b[j] + (1.0f - damp) * gj;
      b[j] = bj;
      wj = w[j] - lr * (nesterov ? gj + mu * bj : bj);
    }
    w[j] = wj;
    bad |= !isfinite(wj);
  }
  if (bad) *nonfinite = 1;  // every writer writes the same value
}

__global__ void __launch_bounds__(kThreads) adam_kernel(float* w, const float* g, float* m, float* v, float* vmax,
                                                        int64_t n, const float* lr_ptr, const int64_t* step,
                                                        float b1, float b2, float eps, float wd, bool decoupled,
                                                        bool amsgrad, int32_t* nonfinite) {
  __shared__ float shared[3];
  if (threadIdx.x == 0) {
    // The host's formulas (nn::Adam::step), in double, for t = step + 1.
    const double t = static_cast<double>(*step + 1);
    const float lr = *lr_ptr;
    const double bc1 = 1.0 - pow(static_cast<double>(b1), t);
    const double bc2 = 1.0 - pow(static_cast<double>(b2), t);
    shared[0] = lr;
    shared[1] = static_cast<float>(lr / bc1);
    shared[2] = static_cast<float>(sqrt(bc2));
  }
  __syncthreads();
  const float lr = shared[0], step_size = shared[1], sqrt_bc2 = shared[2];
  bool bad = false;
  NN_CUDA_FOR(j, n) {
    float gj = g[j];
    float wj = w[j];
    if (decoupled)
      wj *= 1.0f - lr * wd;
    else
      gj += wd * wj;
    const float mj = b1 * m[j] + (1.0f - b1) * gj;
    float vj = b2 * v[j] + (1.0f - b2) * gj * gj;
    m[j] = mj;
    v[j] = vj;
    if (amsgrad) {
      vj = fmaxf(vmax[j], vj);
      vmax[j] = vj;
    }
    wj = wj - step_size * mj / (sqrtf(vj) / sqrt_bc2 + eps);
    w[j] = wj;
    bad |= !isfinite(wj);
  }
  if (bad) *nonfinite = 1;
}

__global__ void adam_advance_kernel(int64_t* step) { *step += 1; }

__global__ void __launch_bounds__(kReduceThreads) norm_kernel(const float* g, int64_t n, bool inf_norm,
                                                              double* acc) {
  __shared__ double shared[kReduceThreads];
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const double a = fabs(static_cast<double>(g[i]));
    if (inf_norm)
      s = (isnan(s) || isnan(a)) ? NAN : fmax(s, a);
    else
      s += a * a;
  }
  if (inf_norm) {
    s = block_max(s, shared);
    if (threadIdx.x == 0) acc[0] = (isnan(s) || isnan(acc[0])) ? NAN : fmax(acc[0], s);
  } else {
    s = block_sum(s, shared);
    if (threadIdx.x == 0) acc[0] += s;
  }
}

__global__ void norm_finish_kernel(const double* acc, bool inf_norm, float max_norm, float* norm, float* coef) {
  const double total = inf_norm ? acc[0] : sqrt(acc[0]);
  norm[0] = static_cast<float>(total);
  const double c = static_cast<double>(max_norm) / (total + 1e-6);
  coef[0] = isfinite(total) && c < 1.0 ? static_cast<float>(c) : 1.0f;
}

__global__ void __launch_bounds__(kThreads) scale_kernel(float* g, int64_t n, const float* coef) {
  const float c = *coef;
  if (c == 1.0f) return;
  NN_CUDA_FOR(i, n) g[i] *= c;
}

__global__ void __launch_bounds__(kThreads) clamp_kernel(float* g, int64_t n, float c) {
  NN_CUDA_FOR(i, n) g[i] = fminf(fmaxf(g[i], -c), c);
}

}  // namespace

void sgd_update(float* w, const float* g, float* b, int64_t n, const float* lr, float mu, float damp, float wd,
                bool nesterov, bool first, int32_t* nonfinite) {
  if (n <= 0) return;
  sgd_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(w, g, b, n, lr, mu, damp, wd, nesterov, first, nonfinite);
  launched("sgd_update");
}

void adam_update(float* w, const float* g, float* m, float* v, float* vmax, int64_t n, const float* lr,
                 const int64_t* step, float b1, float b2, float eps, float wd, bool decoupled, bool amsgrad,
                 int32_t* nonfinite) {
  if (n <= 0) return;
  adam_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(w, g, m, v, vmax, n, lr, step, b1, b2, eps, wd, decoupled,
                                                        amsgrad, nonfinite);
  launched("adam_update");
}

void adam_advance(int64_t* step) {
  adam_advance_kernel<<<1, 1, 0, stream()>>>(step);
  launched("adam_advance");
}

void norm_accumulate(const float* g, int64_t n, bool inf_norm, double* acc) {
  if (n <= 0) return;
  norm_kernel<<<1, kReduceThreads, 0, stream()>>>(g, n, inf_norm, acc);
  launched("norm_accumulate");
}

void norm_finish(const double* acc, bool inf_norm, float max_norm, float* norm, float* coef) {
  norm_finish_kernel<<<1, 1, 0, stream()>>>(acc, inf_norm, max_norm, norm, coef);
  launched("norm_finish");
}

void scale_by(float* g, int64_t n, const float* coef) {
  if (n <= 0) return;
  scale_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(g, n, coef);
  launched("scale_by");
}

void clamp(float* g, int64_t n, float c) {
  if (n <= 0) return;
  clamp_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(g, n, c);
  launched("clamp");
}

}  // namespace nn::ops::cuda
