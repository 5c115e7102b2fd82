#include "nn/ops/batchnorm.hpp"

#include <cmath>

#include "nn/parallel.hpp"

namespace nn::ops {

void batch_norm_forward_train(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* beta, float eps, float* y, float* mean, float* var, float* invstd) {
  const double m = static_cast<double>(n * l);
  parallel_for(c, threads_for(n * c * l), [&](int64_t ch) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float* xi = x + (i * c + ch) * l;  // (L)
      for (int64_t k = 0; k < l; ++k) s += xi[k];
    }
    const double mu = s / m;
    double ss = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float* xi = x + (i * c + ch) * l;
      for (int64_t k = 0; k < l; ++k) {
        const double d = xi[k] - mu;
        ss += d * d;
      }
    }
    const double v = ss / m;
    const double is = 1.0 / std::sqrt(v + static_cast<double>(eps));
    mean[ch] = static_cast<float>(mu);
    var[ch] = static_cast<float>(v);
    invstd[ch] = static_cast<float>(is);
    const float scale = static_cast<float>(is * (gamma ? gamma[ch] : 1.0f));
    const float shift = (beta ? beta[ch] : 0.0f) - static_cast<float>(mu) * scale;
    for (int64_t i = 0; i < n; ++i) {
      const float* xi = x + (i * c + ch) * l;
      float* yi = y + (i * c + ch) * l;
      for (int64_t k = 0; k < l; ++k) yi[k] = xi[k] * scale + shift;
    }
  });
}

void batch_norm_forward_eval(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var, float eps,
                             float* y) {
  parallel_for(c, threads_for(n * c * l), [&](int64_t ch) {
    const double is = 1.0 / std::sqrt(static_cast<double>(running_var[ch]) + eps);
    const float scale = static_cast<float>(is * (gamma ? gamma[ch] : 1.0f));
    const float shift = (beta ? beta[ch] : 0.0f) - running_mean[ch] * scale;
    for (int64_t i = 0; i < n; ++i) {
      const float* xi = x + (i * c + ch) * l;
      float* yi = y + (i * c + ch) * l;
      for (int64_t k = 0; k < l; ++k) yi[k] = xi[k] * scale + shift;
    }
  });
}

namespace {
// sum dy and sum dy (x - mu) over channel ch.
void channel_sums(const float* x, const float* dy, int64_t n, int64_t c, int64_t l, int64_t ch, double mu,
                  double& sum_dy, double& sum_dy_xmu) {
  sum_dy = 0.0;
  sum_dy_xmu = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* xi = x + (i * c + ch) * l;
    const float* gi = dy + (i * c + ch) * l;
    for (int64_t k = 0; k < l; ++k) {
      sum_dy += gi[k];
      sum_dy_xmu += static_cast<double>(gi[k]) * (xi[k] - mu);
    }
  }
}
}  // namespace

void batch_norm_backward_train(const float* x, const float* dy, int64_t n, int64_t c, int64_t l,
                               const float* gamma, const float* mean, const float* invstd, float* dx, float* dgamma,
                               float* dbeta) {
  const double m = static_cast<double>(n * l);
  parallel_for(c, threads_for(n * c * l), [&](int64_t ch) {
    const double mu = mean[ch], is = invstd[ch];
    double sum_dy, sum_dy_xmu;
    channel_sums(x, dy, n, c, l, ch, mu, sum_dy, sum_dy_xmu);
    const double sum_dy_xhat = sum_dy_xmu * is;
    if (dgamma) dgamma[ch] += static_cast<float>(sum_dy_xhat);
    if (dbeta) dbeta[ch] += static_cast<float>(sum_dy);
    if (!dx) return;
    // dx = g is (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x - mu) is
    const double g = gamma ? gamma[ch] : 1.0;
    const float a = static_cast<float>(g * is);
    const float mean_dy = static_cast<float>(sum_dy / m);
    const float k_xmu = static_cast<float>(is * sum_dy_xhat / m);  // is * mean(dy xhat)
    const float muf = static_cast<float>(mu);
    for (int64_t i = 0; i < n; ++i) {
      const float* xi = x + (i * c + ch) * l;
      const float* gi = dy + (i * c + ch) * l;
      float* di = dx + (i * c + ch) * l;
      for (int64_t k = 0; k < l; ++k) di[k] = a * (gi[k] - mean_dy - (xi[k] - muf) * k_xmu);
    }
  });
}

void batch_norm_backward_eval(const float* x, const float* dy, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* running_mean, const float* running_var, float eps, float* dx,
                              float* dgamma, float* dbeta) {
  parallel_for(c, threads_for(n * c * l), [&](int64_t ch) {
    const double mu = running_mean[ch];
    const double is = 1.0 / std::sqrt(static_cast<double>(running_var[ch]) + eps);
    if (dgamma || dbeta) {
      double sum_dy, sum_dy_xmu;
      channel_sums(x, dy, n, c, l, ch, mu, sum_dy, sum_dy_xmu);
      if (dgamma) dgamma[ch] += static_cast<float>(sum_dy_xmu * is);
      if (dbeta) dbeta[ch] += static_cast<float>(sum_dy);
    }
    if (!dx) return;
    const float a = static_cast<float>((gamma ? gamma[ch] : 1.0) * is);
    for (int64_t i = 0; i < n; ++i) {
      const float* gi = dy + (i * c + ch) * l;
      float* di = dx + (i * c + ch) * l;
      for (int64_t k = 0; k < l; ++k) di[k] = a * gi[k];
    }
  });
}

}  // namespace nn::ops
