#include "nn/ops/batchnorm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nn/parallel.hpp"

namespace nn::ops {

namespace {
// Two sums in double over a channel's values, each in 8 partial sums: the values of the channel,
// taken in order, go to partial sums 0, 1, ..., 7, 0, 1, ... (each row of L values continuing
// where the row before stopped), and first() / second() add the 8 in a fixed tree. The order
// depends on the sizes alone (not on the threads). Whole groups of 8 run as two vectors of 4
// doubles per sum (GCC's vector extension: left to itself, GCC split the 8 lanes into a 4-, a 2-
// and two 1-wide pieces); one running sum would wait for the previous addition at every element.
//
// add_moments: the sums of x - shift and (x - shift)^2. With the shift a value of the channel,
// E[(x - shift)^2] - E[x - shift]^2 cancels no more than the two-pass variance does unless the
// shift lies many standard deviations from the mean.
// add_gradient: the sums of g and g (x - mu), in one pass over both.
class Sums {
 public:
  void add_moments(const float* x, int64_t len, double shift) {
    const V4d s = {shift, shift, shift, shift};
    each(
        len,
        [&](int64_t k, int j) {
          const double d = static_cast<double>(x[k]) - shift;
          a_[j] += d;
          b_[j] += d * d;
        },
        [&](int64_t k, V4d& a0, V4d& a1, V4d& b0, V4d& b1) {
          V4d d0, d1;
          load(x + k, d0);
          load(x + k + 4, d1);
          d0 -= s;
          d1 -= s;
          a0 += d0;
          a1 += d1;
          b0 += d0 * d0;
          b1 += d1 * d1;
        });
  }
  void add_gradient(const float* g, const float* x, int64_t len, double mu) {
    const V4d m = {mu, mu, mu, mu};
    each(
        len,
        [&](int64_t k, int j) {
          const double gk = static_cast<double>(g[k]);
          a_[j] += gk;
          b_[j] += gk * (static_cast<double>(x[k]) - mu);
        },
        [&](int64_t k, V4d& a0, V4d& a1, V4d& b0, V4d& b1) {
          V4d g0, g1, x0, x1;
          load(g + k, g0);
          load(g + k + 4, g1);
          load(x + k, x0);
          load(x + k + 4, x1);
          a0 += g0;
          a1 += g1;
          b0 += g0 * (x0 - m);
          b1 += g1 * (x1 - m);
        });
  }
  double first() const { return tree(a_); }
  double second() const { return tree(b_); }

 private:
  typedef double V4d __attribute__((vector_size(32)));
  typedef float V4f __attribute__((vector_size(16)));
  // v = 4 floats at p as doubles. (An out-parameter: a 32-byte vector returned by value changes
  // the ABI where AVX is off, which GCC and Clang warn about.)
  static void load(const float* p, V4d& v) {
    V4f f;
    std::memcpy(&f, p, sizeof f);
    v = __builtin_convertvector(f, V4d);
  }
  static double tree(const double* a) { return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])); }

  // f(k, lane) for k in [0, len), lane = (next_ + k) % 8; the whole groups of 8 that start at lane
  // 0 go to body(k, lanes 0-3 and 4-7 of the first sum, then of the second).
  template <class F, class Body>
  void each(int64_t len, F f, Body body) {
    int64_t k = 0;
    for (; k < len && next_ != 0; ++k, next_ = (next_ + 1) % 8) f(k, next_);
    if (k + 8 <= len) {
      V4d a0, a1, b0, b1;
      std::memcpy(&a0, a_, sizeof a0);
      std::memcpy(&a1, a_ + 4, sizeof a1);
      std::memcpy(&b0, b_, sizeof b0);
      std::memcpy(&b1, b_ + 4, sizeof b1);
      for (; k + 8 <= len; k += 8) body(k, a0, a1, b0, b1);
      std::memcpy(a_, &a0, sizeof a0);
      std::memcpy(a_ + 4, &a1, sizeof a1);
      std::memcpy(b_, &b0, sizeof b0);
      std::memcpy(b_ + 4, &b1, sizeof b1);
    }
    for (; k < len; ++k, next_ = (next_ + 1) % 8) f(k, next_);
  }
  double a_[8] = {}, b_[8] = {};
  int next_ = 0;
};
}  // namespace

void batch_norm_forward_train(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* beta, float eps, float* y, float* mean, float* var, float* invstd) {
  const double m = static_cast<double>(n * l);
  parallel_for(c, threads_for(n * c * l), [&](int64_t ch) {
    // One pass: the sums of x - x0 and (x - x0)^2 with x0 the channel's first value.
    const double x0 = x[ch * l];
    Sums s;
    for (int64_t i = 0; i < n; ++i) s.add_moments(x + (i * c + ch) * l, l, x0);
    const double d = s.first() / m;
    const double mu = x0 + d;
    const double v = std::max(0.0, s.second() / m - d * d);
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
  Sums s;
  for (int64_t i = 0; i < n; ++i) s.add_gradient(dy + (i * c + ch) * l, x + (i * c + ch) * l, l, mu);
  sum_dy = s.first();
  sum_dy_xmu = s.second();
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
