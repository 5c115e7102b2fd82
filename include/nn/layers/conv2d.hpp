/// @file
/// nn::Conv2D, the 2-D convolution layer over NCHW images, and its options.
// Implementation: the batch is split into one fixed block of images per thread; each image is
// convolved on its own, in per-thread buffers that stay in cache, straight into the NCHW output.
// Two algorithms:
// - direct (stride 1 only): ops::conv_flat_* on the zero-padded image, for layers with few
//   channels, where a GEMM per image would cost more in packing and calls than in arithmetic;
// - gemm: im2col of the image, then one GEMM (and, backward, one GEMM for dW and one for dx
//   followed by col2im).
#pragma once

#include "nn/export.hpp"

#include <vector>

#include "nn/layers/init.hpp"
#include "nn/layers/module.hpp"
#include "nn/layers/size2.hpp"
#include "nn/ops/window.hpp"

namespace nn {

/// How Conv2D computes; every choice gives the same results up to rounding.
enum class ConvAlgorithm {
  automatic,  ///< direct where it applies and the layer is small enough, otherwise gemm
  gemm,       ///< im2col and a matrix product per image; any stride
  /// A direct loop over the kernel taps on the zero-padded image, fast for few channels. Stride 1
  /// only (nn::Error otherwise); dx falls back to gemm when padding >= kernel.
  direct,
};

/// The settings of a nn::Conv2D beyond its channels and kernel size.
struct NN_API ConvOptions {
  Size2 stride = 1;   ///< the step between windows, (sh, sw); > 0
  Size2 padding = 0;  ///< zeros on each side
  bool bias = true;   ///< whether the layer has a bias b (out_c)
  /// He by default: convolutions are mostly followed by ReLU. fan_in = in_c * kh * kw.
  Init init = Init::he;
  float gain = 1.0f;    ///< scales the initial weights' standard deviation (see nn::Init)
  float alpha = 0.01f;  ///< slope assumed by Init::he_leaky
  /// Where the initial weights come from; nullptr: nn::global_rng(). Not owned; used only when the
  /// weights are drawn, so with a deferred in_channels it must live until the first forward.
  Rng* rng = nullptr;
  ConvAlgorithm algorithm = ConvAlgorithm::automatic;  ///< how to compute; the results agree to rounding
};

/// 2-D convolution (cross-correlation, as PyTorch's Conv2d) over NCHW activations, with
/// weight (out_c, in_c, kh, kw) and bias (out_c) as PyTorch stores them:
///
///     y[n, o, r, q] = b[o] + sum_{c, i, j} W[o, c, i, j] x[n, c, r*sh - ph + i, q*sw - pw + j]
///
/// (zero outside the input), of size OH = floor((H + 2 ph - kh) / sh) + 1 and the same for OW.
/// Images in a batch are computed in parallel (see nn::set_num_threads); dW and db are summed per
/// block of images and the blocks added in order, so a fixed thread count gives bit-identical
/// results. type_name() is "Conv2d", as PyTorch spells it.
/// @code
/// nn::Conv2D conv(1, 8, 3, {.padding = 1});   // (N, 1, 28, 28) -> (N, 8, 28, 28)
/// @endcode
class NN_API Conv2D : public Module {
 public:
  /// Conv2D(1, 8, 3, {.padding = 1}) or Conv2D(3, 16, {3, 5}, {.stride = {2, 1}}).
  /// @throws nn::Error when a channel count or the kernel size is <= 0, the stride <= 0, or the
  ///   padding < 0.
  Conv2D(int64_t in_channels, int64_t out_channels, Size2 kernel, ConvOptions options = {});
  /// in_channels inferred from the first forward's x; weight and bias exist (empty) from the start,
  /// so an optimizer may be built before the first forward.
  /// @throws nn::Error as the other constructor.
  Conv2D(int64_t out_channels, Size2 kernel, ConvOptions options = {});

  /// x: (N, in_c, H, W) -> (N, out_c, OH, OW)
  /// @throws nn::Error when x is not (N, in_c, H, W), the kernel is larger than the padded input,
  ///   or ConvAlgorithm::direct is asked for with a stride other than 1.
  const Tensor& forward(const Tensor& x) override;
  /// dy: (N, out_c, OH, OW) -> dx: (N, in_c, H, W); dW += dy * im2col(x)^T, db += sum of dy over
  /// N, OH, OW. dx is skipped (an empty tensor is returned) when input_grad() is false.
  /// @throws nn::Error when no forward came first or dy's shape differs from the output's.
  const Tensor& backward(const Tensor& dy) override;

  std::string type_name() const override { return "Conv2d"; }
  std::string extra_repr() const override;
  std::string spec_name() const override { return "conv"; }
  /// out, kernel, stride, padding, init, and those that differ from the defaults: gain, bias, alpha.
  nlohmann::json settings() const override;
  /// input [in_c, H, W] -> [out_c, OH, OW]; draws the weights when in_channels was deferred.
  Shape build(const Shape& input) override;
  /// A deferred Conv2D given a saved weight [out, in, kh, kw] takes in.
  void infer_from_saved(const std::string& name, const Shape& saved) override;

  int64_t in_channels() const { return in_; }  ///< 0 until inferred
  int64_t out_channels() const { return out_; }             ///< the number of output channels
  Size2 kernel_size() const { return {win_.kh, win_.kw}; }  ///< (kh, kw)
  Size2 stride() const { return {win_.sh, win_.sw}; }       ///< (sh, sw)
  Size2 padding() const { return {win_.ph, win_.pw}; }      ///< (ph, pw), zeros on each side
  bool initialized() const { return in_ > 0; }  ///< whether in_channels is known and the weights drawn
  /// The options it was built with (`rng` is always null here: it is used only while initialising).
  const ConvOptions& options() const { return options_; }
  /// W, (out_c, in_c, kh, kw); a reference into this layer, valid for its lifetime.
  Parameter& weight() { return *weight_; }
  /// b, (out_c); null when the layer has no bias. Valid for the layer's lifetime.
  Parameter* bias() { return bias_; }
  /// Sets in_channels and draws the weights (what the first forward does when it was deferred).
  /// @throws nn::Error when in_channels is already set or <= 0.
  void initialize(int64_t in_channels);

 private:
  int64_t in_ = 0;
  int64_t out_ = 0;
  ops::Window2d win_;
  ConvOptions options_;
  Parameter* weight_ = nullptr;
  Parameter* bias_ = nullptr;
  Rng* rng_ = nullptr;
  /// Geometry of the direct algorithm for an (h, w) input; see ops/conv_direct.hpp.
  struct Flat {
    int64_t wp = 0, plane = 0, len = 0, size = 0;  ///< padded row, padded plane, OH*wp, rounded len
  };
  /// Limits of ConvAlgorithm::automatic's direct choice: in_c*kh*kw and out_c, and out_c when
  /// in_c is 1.
  static constexpr int64_t kDirectMaxReduction = 256, kDirectMaxOutChannels = 64, kDirectMaxOutChannelsFromOne = 8;
  bool use_direct() const;
  bool direct_input_grad() const;
  /// The number of blocks of images (threads) for a batch of n.
  int blocks_for(int64_t n, int64_t oh, int64_t ow) const;
  Flat flat_forward(int64_t h, int64_t w);
  Flat flat_input_grad(int64_t oh, int64_t ow);

  const Tensor* x_ = nullptr;
  int blocks_ = 1;             ///< blocks of images used by the last forward
  std::vector<int64_t> offsets_, offsets_dx_;  ///< tap offsets in the padded planes
  Tensor work_;                ///< (blocks, per-block scratch): padded planes, columns
  Tensor wgrad_;               ///< (blocks, out_c*in_c*kh*kw [*8 for direct]): dW per block
  std::vector<double> bgrad_;  ///< (blocks, out_c): db per block
  Tensor wflip_;               ///< (in_c, out_c, kh, kw): W transposed and turned, for direct dx
  Tensor y_, dx_;
  // On a CUDA device (conv2d_cuda.cpp): the whole batch as one im2col and one cuBLAS GEMM.
  const Tensor& forward_cuda(const Tensor& x);    ///< forward() of an input on a CUDA device
  const Tensor& backward_cuda(const Tensor& dy);  ///< backward() of an input on a CUDA device
  Tensor cols_cuda_;   ///< (C*kh*kw, N*OH*OW): the batch's columns, kept for dW
  Tensor ocl_cuda_;    ///< (out_c, N*OH*OW): the GEMM's output, or dy in that order
  Tensor dcols_cuda_;  ///< (C*kh*kw, N*OH*OW): W^T dy before col2im
};

}  // namespace nn
