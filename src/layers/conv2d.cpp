#include "nn/layers/conv2d.hpp"

#include <cstring>

#include "nn/error.hpp"
#include "nn/ops/gemm.hpp"
#include "nn/ops/im2col.hpp"
#include "nn/ops/parallel.hpp"

namespace nn {

Conv2D::Conv2D(int64_t in_channels, int64_t out_channels, Size2 kernel, ConvOptions options)
    : Conv2D(out_channels, kernel, options) {
  NN_CHECK(in_channels > 0, "Conv2d: expected in_channels > 0, found ", in_channels);
  initialize(in_channels);
}

Conv2D::Conv2D(int64_t out_channels, Size2 kernel, ConvOptions options) : out_(out_channels), options_(options) {
  NN_CHECK(out_channels > 0, "Conv2d: expected out_channels > 0, found ", out_channels);
  NN_CHECK(kernel.h > 0 && kernel.w > 0, "Conv2d: expected kernel_size > 0, found ", kernel.str());
  NN_CHECK(options.stride.h > 0 && options.stride.w > 0, "Conv2d: expected stride > 0, found ",
           options.stride.str());
  NN_CHECK(options.padding.h >= 0 && options.padding.w >= 0, "Conv2d: expected padding >= 0, found ",
           options.padding.str());
  win_ = {kernel.h, kernel.w, options.stride.h, options.stride.w, options.padding.h, options.padding.w};
  options_.rng = nullptr;  // only used while initialising
  rng_ = options.rng;
  weight_ = &register_parameter("weight", Tensor(Shape{out_, 0, win_.kh, win_.kw}));
  if (options.bias) bias_ = &register_parameter("bias", Tensor(Shape{out_}));
}

void Conv2D::initialize(int64_t in_channels) {
  NN_CHECK(in_ == 0, repr(), ": already initialised with in_channels=", in_);
  NN_CHECK(in_channels > 0, repr(), ": expected in_channels > 0, found ", in_channels);
  in_ = in_channels;
  const Shape shape{out_, in_, win_.kh, win_.kw};
  weight_->data = Tensor(shape);
  weight_->grad = Tensor(shape);
  init_weights(weight_->data, in_ * win_.kh * win_.kw, {options_.init, options_.gain, options_.alpha},
               rng_ ? *rng_ : global_rng());
  rng_ = nullptr;
}

const Tensor& Conv2D::forward(const Tensor& x) {
  NN_CHECK(x.rank() == 4, repr(), ": expected input of shape [N, C, H, W], found ", x.shape().str());
  if (in_ == 0) initialize(x.dim(1));
  NN_CHECK(x.dim(1) == in_, repr(), ": expected input of shape [N, ", in_, ", H, W], found ", x.shape().str());
  const int64_t n = x.dim(0), h = x.dim(2), w = x.dim(3);
  NN_CHECK(win_.fits(h, w), repr(), ": kernel ", kernel_size().str(), " is larger than the padded input (",
           h + 2 * win_.ph, ", ", w + 2 * win_.pw, ") of input ", x.shape().str());
  const int64_t oh = win_.out_h(h), ow = win_.out_w(w), ohw = oh * ow;
  const int64_t rows = in_ * win_.kh * win_.kw, ld = n * ohw;
  x_ = &x;
  cols_.resize(Shape{rows, ld});
  out_t_.resize(Shape{out_, ld});
  y_.resize(Shape{n, out_, oh, ow});

  // cols (C*kh*kw, N*OH*OW): image i fills columns [i*OH*OW, (i+1)*OH*OW).
  const float* xd = x.data();
  float* cd = cols_.data();
  const int64_t image = in_ * h * w;
#pragma omp parallel for schedule(static) num_threads(ops::threads_for(rows * ld))
  for (int64_t i = 0; i < n; ++i) ops::im2col(xd + i * image, in_, h, w, win_, cd + i * ohw, ld);

  // out_t (out_c, N*OH*OW) = W (out_c, C*kh*kw) * cols
  ops::gemm(ops::Trans::No, ops::Trans::No, out_, ld, rows, 1.0f, weight_->data.data(), rows, cd, ld, 0.0f,
            out_t_.data(), ld);

  // y (N, out_c, OH*OW) = out_t transposed by blocks, plus the bias.
  const float* od = out_t_.data();
  const float* bd = bias_ ? bias_->data.data() : nullptr;
  float* yd = y_.data();
#pragma omp parallel for schedule(static) num_threads(ops::threads_for(out_ * ld))
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < out_; ++o) {
      const float* src = od + o * ld + i * ohw;
      float* dst = yd + (i * out_ + o) * ohw;
      if (bd) {
        const float b = bd[o];
        for (int64_t k = 0; k < ohw; ++k) dst[k] = src[k] + b;
      } else {
        std::memcpy(dst, src, static_cast<size_t>(ohw) * sizeof(float));
      }
    }
  }
  return y_;
}

const Tensor& Conv2D::backward(const Tensor& dy) {
  NN_CHECK(x_ != nullptr, repr(), ": backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), repr(), ": expected output gradient of shape ", y_.shape().str(), ", found ",
           dy.shape().str());
  const int64_t n = x_->dim(0), h = x_->dim(2), w = x_->dim(3);
  const int64_t ohw = y_.dim(2) * y_.dim(3);
  const int64_t rows = in_ * win_.kh * win_.kw, ld = n * ohw;

  // dy (N, out_c, OH*OW) -> out_t (out_c, N*OH*OW)
  const float* gd = dy.data();
  float* td = out_t_.data();
#pragma omp parallel for schedule(static) num_threads(ops::threads_for(out_ * ld))
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out_; ++o)
      std::memcpy(td + o * ld + i * ohw, gd + (i * out_ + o) * ohw, static_cast<size_t>(ohw) * sizeof(float));

  // db (out_c) += sum over N*OH*OW, each channel summed in order by one thread.
  if (bias_) {
    float* db = bias_->grad.data();
#pragma omp parallel for schedule(static) num_threads(ops::threads_for(out_ * ld))
    for (int64_t o = 0; o < out_; ++o) {
      const float* row = td + o * ld;
      double s = 0.0;
      for (int64_t k = 0; k < ld; ++k) s += row[k];
      db[o] += static_cast<float>(s);
    }
  }

  // dW (out_c, C*kh*kw) += out_t (out_c, N*OH*OW) * cols^T
  ops::gemm(ops::Trans::No, ops::Trans::Yes, out_, rows, ld, 1.0f, td, ld, cols_.data(), ld, 1.0f,
            weight_->grad.data(), rows);

  if (!input_grad()) {
    dx_.resize(Shape{0});
    return dx_;
  }
  // dcols (C*kh*kw, N*OH*OW) = W^T (C*kh*kw, out_c) * out_t, then folded back image by image.
  dcols_.resize(Shape{rows, ld});
  ops::gemm(ops::Trans::Yes, ops::Trans::No, rows, ld, out_, 1.0f, weight_->data.data(), rows, td, ld, 0.0f,
            dcols_.data(), ld);
  dx_.resize(x_->shape());
  const float* dc = dcols_.data();
  float* dxd = dx_.data();
  const int64_t image = in_ * h * w;
#pragma omp parallel for schedule(static) num_threads(ops::threads_for(rows * ld))
  for (int64_t i = 0; i < n; ++i) ops::col2im(dc + i * ohw, ld, in_, h, w, win_, dxd + i * image);
  return dx_;
}

std::string Conv2D::extra_repr() const {
  std::string s = (in_ ? std::to_string(in_) : std::string("?")) + ", " + std::to_string(out_) +
                  ", kernel_size=" + kernel_size().str() + ", stride=" + stride().str();
  if (win_.ph != 0 || win_.pw != 0) s += ", padding=" + padding().str();
  if (!bias_) s += ", bias=False";
  return s;
}

}  // namespace nn
