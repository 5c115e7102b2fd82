// Conv2D: 2-D convolution (cross-correlation, as PyTorch's Conv2d) over NCHW activations, with
// weight (out_c, in_c, kh, kw) and bias (out_c) as PyTorch stores them:
//   y[n, o, r, q] = b[o] + sum_{c, i, j} W[o, c, i, j] x[n, c, r*sh - ph + i, q*sw - pw + j]
// (zero outside the input), of size OH = floor((H + 2 ph - kh) / sh) + 1 and the same for OW.
// Forward unfolds the batch with im2col into one (in_c*kh*kw, N*OH*OW) matrix and runs one GEMM;
// backward gives dW and db by GEMM and dx by GEMM then col2im. The per-image steps run in
// parallel over the batch; every reduction has a fixed order, so a fixed thread count gives
// bit-identical results.
#pragma once

#include "nn/layers/init.hpp"
#include "nn/layers/module.hpp"
#include "nn/layers/size2.hpp"
#include "nn/ops/window.hpp"

namespace nn {

struct ConvOptions {
  Size2 stride = 1;
  Size2 padding = 0;  // zeros on each side
  bool bias = true;
  // He by default: convolutions are mostly followed by ReLU. fan_in = in_c * kh * kw.
  Init init = Init::he;
  float gain = 1.0f;
  float alpha = 0.01f;  // slope assumed by Init::he_leaky
  Rng* rng = nullptr;   // where the initial weights come from; nullptr: nn::global_rng()
};

class Conv2D : public Module {
 public:
  // Conv2D(1, 8, 3, {.padding = 1}) or Conv2D(3, 16, {3, 5}, {.stride = {2, 1}}).
  Conv2D(int64_t in_channels, int64_t out_channels, Size2 kernel, ConvOptions options = {});
  // in_channels inferred from the first forward's x; weight and bias exist (empty) from the start,
  // so an optimizer may be built before the first forward.
  Conv2D(int64_t out_channels, Size2 kernel, ConvOptions options = {});

  // x: (N, in_c, H, W) -> (N, out_c, OH, OW)
  const Tensor& forward(const Tensor& x) override;
  // dy: (N, out_c, OH, OW) -> dx: (N, in_c, H, W); dW += dy * im2col(x)^T, db += sum of dy over
  // N, OH, OW. dx is skipped (an empty tensor is returned) when input_grad() is false.
  const Tensor& backward(const Tensor& dy) override;

  std::string type_name() const override { return "Conv2d"; }
  std::string extra_repr() const override;

  int64_t in_channels() const { return in_; }  // 0 until inferred
  int64_t out_channels() const { return out_; }
  Size2 kernel_size() const { return {win_.kh, win_.kw}; }
  Size2 stride() const { return {win_.sh, win_.sw}; }
  Size2 padding() const { return {win_.ph, win_.pw}; }
  bool initialized() const { return in_ > 0; }
  const ConvOptions& options() const { return options_; }
  Parameter& weight() { return *weight_; }
  Parameter* bias() { return bias_; }
  // Sets in_channels and draws the weights (what the first forward does when it was deferred).
  void initialize(int64_t in_channels);

 private:
  int64_t in_ = 0;
  int64_t out_ = 0;
  ops::Window2d win_;
  ConvOptions options_;
  Parameter* weight_ = nullptr;
  Parameter* bias_ = nullptr;
  Rng* rng_ = nullptr;
  const Tensor* x_ = nullptr;
  Tensor cols_;    // (in_c*kh*kw, N*OH*OW): im2col of the batch
  Tensor out_t_;   // (out_c, N*OH*OW): the GEMM's output, and dy in that layout for backward
  Tensor dcols_;   // (in_c*kh*kw, N*OH*OW): W^T dy before col2im
  Tensor y_, dx_;
};

}  // namespace nn
