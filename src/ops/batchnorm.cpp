#include "nn/ops/batchnorm.hpp"

#include <algorithm>
#include <cmath>

#include "nn/parallel.hpp"

namespace nn::ops {

namespace {
// A sum in double over a channel's values, in 8 partial sums: the values of the channel, taken in
// order, go to partial sums 0, 1, ..., 7, 0, 1, ... (each row of L values continuing where the row
// before stopped), and total() adds the 8 in a fixed tree. The order depends on the sizes alone
// (not on the threads), and the loop vectorises, where one running sum waits for the previous
// addition at every element (4 cycles each: a quarter of the stronger CNN's training step).
class Lanes {
 public:
  void add(const float* x, int64_t len) {
    each(len, [&](int64_t k, int j) { acc_[j] += static_cast<double>(x[k]); });
  }
  void add_product_deviation(const float* g, const float* x, int64_t len, double mu) {
    each(len, [&](int64_t k, int j) { acc_[j] += static_cast<double>(g[k]) * (static_cast<double>(x[k]) - mu); });
  }
  double total() const { return tree(acc_); }

 protected:
  static double tree(const double* a) { return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])); }

  // f(k, lane) for k in [0, len), lane = (next_ + k) % 8, with the whole groups of 8 unrolled.
  template <class F>
  void each(int64_t len, F f) {
    int64_t k = 0;
    for (; k < len && next_ != 0; ++k, next_ = (next_ + 1) % 8) f(k, next_);
    for (; k + 8 <= len; k += 8)
      for (int j = 0; j < 8; ++j) f(k + j, j);
    for (; k < len; ++k, next_ = (next_ + 1) % 8) f(k, next_);
  }
  double acc_[8] = {};
  int next_ = 0;
};

// The sum and the sum of squares of x - shift in one pass (8 partial sums each, as Lanes). With
// the shift a value of the channel, E[(x - shift)^2] - E[x - shift]^2 cancels no more than the
// two-pass variance does unless the shift lies many standard deviations from the mean.
class Moments : public Lanes {
 public:
  void add(const float* x, int64_t len, double shift) {
    each(len, [&](int64_t k, int j) {
      const double d = static_cast<double>(x[k]) - shift;
      acc_[j] += d;
      sq_[j] += d * d;
    });
  }
  double total_squares() const { return tree(sq_); }

 private:
  double sq_[8] = {};
};
}  // namespace

void batch_norm_forward_train(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* beta, float eps, float* y, float* mean, float* var, float* invstd) {
  const double m = static_cast<double>(n * l);
  parallel_for(c, threads_for(n * c * l), [&](int64_t ch) {
    // One pass: the sums of x - x0 and (x - x0)^2 with x0 the channel's first value.
    const double x0 = x[ch * l];
    Moments s;
    for (int64_t i = 0; i < n; ++i) s.add(x + (i * c + ch) * l, l, x0);
    const double d = s.total() / m;
    const double mu = x0 + d;
    const double v = std::max(0.0, s.total_squares() / m - d * d);
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
  Lanes s, sx;
  for (int64_t i = 0; i < n; ++i) {
    s.add(dy + (i * c + ch) * l, l);
    sx.add_product_deviation(dy + (i * c + ch) * l, x + (i * c + ch) * l, l, mu);
  }
  sum_dy = s.total();
  sum_dy_xmu = sx.total();
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
