// Conv2D on a CUDA device: the batch unfolded by one im2col into (C*kh*kw, N*OH*OW) columns, one
// cuBLAS GEMM with the weight (out_c, C*kh*kw), and a transpose into NCHW order. Backward: dW from
// one GEMM against the kept columns, dx from W^T dy folded back by col2im (a gather: no atomics).
#include "nn/error.hpp"
#include "nn/layers/conv2d.hpp"
#include "../ops/cuda/device_check.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

const Tensor& Conv2D::forward_cuda(const Tensor& x) {
  const Device device = x.device();
  ops::cuda::check_device(weight_->data, device, repr(), "the weight");
  const int64_t n = x.dim(0), h = x.dim(2), w = x.dim(3);
  const int64_t oh = win_.out_h(h), ow = win_.out_w(w), l = oh * ow, cols = n * l;
  const int64_t rows = in_ * win_.kh * win_.kw;
  y_.resize(Shape{n, out_, oh, ow}, device);
  cols_cuda_.resize(Shape{rows, cols}, device);
  ocl_cuda_.resize(Shape{out_, cols}, device);
  ops::cuda::im2col(x.data(), n, in_, h, w, win_, cols_cuda_.data());
  // t (out_c, N*L) = W (out_c, rows) * cols (rows, N*L)
  ops::cuda::gemm(ops::Trans::No, ops::Trans::No, out_, cols, rows, 1.0f, weight_->data.data(), rows,
                  cols_cuda_.data(), cols, 0.0f, ocl_cuda_.data(), cols);
  ops::cuda::ocl_to_nol(ocl_cuda_.data(), y_.data(), out_, n, l);
  if (bias_) ops::cuda::add_bias_channels(y_.data(), bias_->data.data(), n, out_, l);
  return y_;
}

const Tensor& Conv2D::backward_cuda(const Tensor& dy) {
  const Device device = x_->device();
  ops::cuda::check_device(dy, device, repr(), "the output gradient");
  const int64_t n = x_->dim(0), h = x_->dim(2), w = x_->dim(3);
  const int64_t l = y_.dim(2) * y_.dim(3), cols = n * l;
  const int64_t rows = in_ * win_.kh * win_.kw;
  // t (out_c, N*L) = dy in channel-major order
  ocl_cuda_.resize(Shape{out_, cols}, device);
  ops::cuda::nol_to_ocl(dy.data(), ocl_cuda_.data(), n, out_, l);
  // dW (out_c, rows) += t (out_c, N*L) * cols^T (N*L, rows)
  ops::cuda::gemm(ops::Trans::No, ops::Trans::Yes, out_, rows, cols, 1.0f, ocl_cuda_.data(), cols, cols_cuda_.data(),
                  cols, 1.0f, weight_->grad.data(), rows);
  if (bias_) ops::cuda::sum_channels_accumulate(dy.data(), bias_->grad.data(), n, out_, l);
  if (!input_grad()) {
    dx_.resize(Shape{0}, device);
    return dx_;
  }
  // dcols (rows, N*L) = W^T (rows, out_c) * t (out_c, N*L), folded back into dx.
  dcols_cuda_.resize(Shape{rows, cols}, device);
  ops::cuda::gemm(ops::Trans::Yes, ops::Trans::No, rows, cols, out_, 1.0f, weight_->data.data(), rows,
                  ocl_cuda_.data(), cols, 0.0f, dcols_cuda_.data(), cols);
  dx_.resize(x_->shape(), device);
  ops::cuda::col2im(dcols_cuda_.data(), n, in_, h, w, win_, dx_.data());
  return dx_;
}

}  // namespace nn
