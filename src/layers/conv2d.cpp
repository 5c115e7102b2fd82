#include "nn/layers/conv2d.hpp"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/ops/conv_direct.hpp"
#include "nn/ops/gemm.hpp"
#include "nn/ops/im2col.hpp"
#include "nn/parallel.hpp"

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
  // Sized at the first input of a model already moved to a GPU: the new tensors follow it there.
  if (device().is_cuda()) to(device());
}

namespace {

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// The sum of v[0, n): 8 running sums (a vector, without reordering), added in a fixed order.
float sum8(const float* v, int64_t n) {
  float l[8] = {};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int u = 0; u < 8; ++u) l[u] += v[k + u];
  for (; k < n; ++k) l[0] += v[k];
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

}  // namespace

bool Conv2D::use_direct() const {
  if (win_.sh != 1 || win_.sw != 1) return false;
  switch (options_.algorithm) {
    case ConvAlgorithm::gemm: return false;
    case ConvAlgorithm::direct: return true;
    case ConvAlgorithm::automatic: break;
  }
  // Where the direct kernels beat a GEMM per image (bench/conv_bench.cpp, bench/conv_providers):
  // few channels. With one input channel the direct kernel's vectors per tap are short, and past
  // kDirectMaxOutChannelsFromOne output channels im2col's GEMM wins.
  if (in_ == 1 && out_ > kDirectMaxOutChannelsFromOne) return false;
  return in_ * win_.kh * win_.kw <= kDirectMaxReduction && out_ <= kDirectMaxOutChannels;
}

bool Conv2D::direct_input_grad() const {
  // dx is the direct convolution of dy padded by k - 1 - p with the turned weights.
  return use_direct() && win_.ph <= win_.kh - 1 && win_.pw <= win_.kw - 1;
}

int Conv2D::blocks_for(int64_t n, int64_t oh, int64_t ow) const {
  const int64_t macs = n * out_ * oh * ow * in_ * win_.kh * win_.kw;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n, threads_for(macs))));
}

Conv2D::Flat Conv2D::flat_forward(int64_t h, int64_t w) {
  Flat f;
  f.wp = w + 2 * win_.pw;
  f.plane = (h + 2 * win_.ph) * f.wp;
  f.len = win_.out_h(h) * f.wp;
  f.size = ops::conv_flat_size(f.len);
  offsets_.resize(static_cast<size_t>(win_.kh * win_.kw));
  for (int64_t i = 0; i < win_.kh; ++i)
    for (int64_t j = 0; j < win_.kw; ++j) offsets_[static_cast<size_t>(i * win_.kw + j)] = i * f.wp + j;
  return f;
}

Conv2D::Flat Conv2D::flat_input_grad(int64_t oh, int64_t ow) {
  const int64_t qh = win_.kh - 1 - win_.ph, qw = win_.kw - 1 - win_.pw;
  Flat f;
  f.wp = ow + 2 * qw;
  f.plane = (oh + 2 * qh) * f.wp;
  f.len = (oh + 2 * qh - win_.kh + 1) * f.wp;  // H rows
  f.size = ops::conv_flat_size(f.len);
  offsets_dx_.resize(static_cast<size_t>(win_.kh * win_.kw));
  for (int64_t i = 0; i < win_.kh; ++i)
    for (int64_t j = 0; j < win_.kw; ++j) offsets_dx_[static_cast<size_t>(i * win_.kw + j)] = i * f.wp + j;
  return f;
}

const Tensor& Conv2D::forward(const Tensor& x) {
  NN_CHECK(x.rank() == 4, repr(), ": expected input of shape [N, C, H, W], found ", x.shape().str());
  if (in_ == 0) initialize(x.dim(1));
  NN_CHECK(x.dim(1) == in_, repr(), ": expected input of shape [N, ", in_, ", H, W], found ", x.shape().str());
  NN_CHECK(options_.algorithm != ConvAlgorithm::direct || (win_.sh == 1 && win_.sw == 1), repr(),
           ": the direct algorithm needs stride 1, found stride ", stride().str());
  const int64_t n = x.dim(0), h = x.dim(2), w = x.dim(3);
  NN_CHECK(win_.fits(h, w), repr(), ": kernel ", kernel_size().str(), " is larger than the padded input (",
           h + 2 * win_.ph, ", ", w + 2 * win_.pw, ") of input ", x.shape().str());
  const int64_t oh = win_.out_h(h), ow = win_.out_w(w), ohw = oh * ow;
  const int64_t rows = in_ * win_.kh * win_.kw, taps = win_.kh * win_.kw;
  x_ = &x;
  if (x.is_cuda()) return forward_cuda(x);
  y_.resize(Shape{n, out_, oh, ow});
  const int blocks = blocks_for(n, oh, ow);
  blocks_ = blocks;
  const float* xd = x.data();
  const float* wd = weight_->data.data();
  const float* bd = bias_ ? bias_->data.data() : nullptr;
  float* yd = y_.data();
  const int64_t image = in_ * h * w;

  if (use_direct()) {
    const Flat f = flat_forward(h, w);
    const int64_t padded = in_ * f.plane + f.size, per_block = round_up(padded + out_ * f.size, 16);
    work_.resize(Shape{blocks, per_block});
    const int64_t* off = offsets_.data();
    parallel_for(blocks, blocks, [&](int64_t b) {
      float* xp = work_.data() + b * per_block;
      float* out = xp + padded;
      for (int64_t i = n * b / blocks; i < n * (b + 1) / blocks; ++i) {
        ops::conv_flat_pad(xd + i * image, in_, h, w, win_.ph, win_.pw, f.wp, f.plane, f.size, xp);
        ops::conv_flat_forward(xp, in_, f.plane, off, taps, wd, bd, out_, out, f.size, f.len);
        ops::conv_flat_unpad(out, out_, f.size, f.wp, oh, ow, yd + i * out_ * ohw);
      }
    });
    return y_;
  }

  // A 1x1 kernel with stride 1 and no padding reads the image as it is.
  const bool plain = rows == in_ && win_.sh == 1 && win_.sw == 1 && win_.ph == 0 && win_.pw == 0;
  const int64_t per_block = plain ? 16 : round_up(rows * ohw, 16);
  work_.resize(Shape{blocks, per_block});
  parallel_for(blocks, blocks, [&](int64_t b) {
    float* cols = work_.data() + b * per_block;
    for (int64_t i = n * b / blocks; i < n * (b + 1) / blocks; ++i) {
      const float* src = xd + i * image;
      if (!plain) {
        ops::im2col(src, in_, h, w, win_, cols, ohw);
        src = cols;
      }
      // y_i (out_c, OH*OW) = W (out_c, C*kh*kw) * cols (C*kh*kw, OH*OW), then the bias.
      float* yi = yd + i * out_ * ohw;
      ops::gemm(ops::Trans::No, ops::Trans::No, out_, ohw, rows, 1.0f, wd, rows, src, ohw, 0.0f, yi, ohw);
      if (bd)
        for (int64_t o = 0; o < out_; ++o) {
          float* row = yi + o * ohw;
          const float bo = bd[o];
          for (int64_t k = 0; k < ohw; ++k) row[k] += bo;
        }
    }
  });
  return y_;
}

const Tensor& Conv2D::backward(const Tensor& dy) {
  NN_CHECK(x_ != nullptr, repr(), ": backward called before forward");
  NN_CHECK(dy.shape() == y_.shape(), repr(), ": expected output gradient of shape ", y_.shape().str(), ", found ",
           dy.shape().str());
  if (x_->is_cuda()) return backward_cuda(dy);
  const int64_t n = x_->dim(0), h = x_->dim(2), w = x_->dim(3);
  const int64_t oh = y_.dim(2), ow = y_.dim(3), ohw = oh * ow;
  const int64_t rows = in_ * win_.kh * win_.kw, taps = win_.kh * win_.kw;
  const int blocks = blocks_;
  const bool direct = use_direct(), want_dx = input_grad();
  const bool direct_dx = want_dx && direct_input_grad();
  const float* xd = x_->data();
  const float* gd = dy.data();
  const float* wd = weight_->data.data();
  const int64_t image = in_ * h * w;
  const int64_t wsize = out_ * rows * (direct ? 8 : 1);  // dW per block (8 lanes each when direct)

  if (want_dx) dx_.resize(x_->shape());
  else dx_.resize(Shape{0});
  float* dxd = dx_.data();

  // Scratch per block: [x padded | dy on the padded row stride] (direct dW) or [cols] (gemm dW),
  // then [dy padded | dx on its row stride] (direct dx) or [dcols] (gemm dx).
  Flat f, g;
  int64_t wpart = 0, dxpart = 0;
  if (direct) {
    f = flat_forward(h, w);
    wpart = in_ * f.plane + f.size + out_ * f.size;
  } else {
    wpart = rows * ohw;
  }
  if (direct_dx) {
    g = flat_input_grad(oh, ow);
    dxpart = out_ * g.plane + g.size + in_ * g.size;
    // wflip (in_c, out_c, kh, kw): W[o, c] turned by 180 degrees.
    wflip_.resize(Shape{in_, out_, win_.kh, win_.kw});
    float* wf = wflip_.data();
    for (int64_t o = 0; o < out_; ++o)
      for (int64_t c = 0; c < in_; ++c)
        for (int64_t t = 0; t < taps; ++t) wf[(c * out_ + o) * taps + t] = wd[(o * in_ + c) * taps + (taps - 1 - t)];
  } else if (want_dx) {
    dxpart = rows * ohw;
  }
  const int64_t per_block = round_up(wpart + dxpart, 16);
  work_.resize(Shape{blocks, per_block});
  wgrad_.resize(Shape{blocks, round_up(wsize, 16)});
  bgrad_.resize(static_cast<size_t>(blocks * out_));
  const int64_t wstride = wgrad_.dim(1);
  const int64_t* off = offsets_.data();
  const int64_t* off_dx = offsets_dx_.data();
  const float* wf = wflip_.data();

  parallel_for(blocks, blocks, [&](int64_t b) {
    float* scratch = work_.data() + b * per_block;
    float* dxs = scratch + wpart;
    float* wg = wgrad_.data() + b * wstride;
    double* bg = bgrad_.data() + b * out_;
    std::fill_n(wg, wsize, 0.0f);
    std::fill_n(bg, out_, 0.0);
    for (int64_t i = n * b / blocks; i < n * (b + 1) / blocks; ++i) {
      const float* xi = xd + i * image;
      const float* gi = gd + i * out_ * ohw;
      for (int64_t o = 0; o < out_; ++o) bg[o] += sum8(gi + o * ohw, ohw);
      if (direct) {
        // dW: x padded as in forward; dy on the same row stride, zero at the junk positions.
        float* xp = scratch;
        float* dyz = scratch + in_ * f.plane + f.size;
        ops::conv_flat_pad(xi, in_, h, w, win_.ph, win_.pw, f.wp, f.plane, f.size, xp);
        // dy as channels of f.size floats, rows on stride f.wp (no padding above or left).
        ops::conv_flat_pad(gi, out_, oh, ow, 0, 0, f.wp, f.size, 0, dyz);
        ops::conv_flat_weight_grad(xp, in_, f.plane, off, taps, dyz, out_, f.size, f.size, wg);
      } else {
        // dW (out_c, C*kh*kw) += dy_i (out_c, OH*OW) * cols^T
        ops::im2col(xi, in_, h, w, win_, scratch, ohw);
        ops::gemm(ops::Trans::No, ops::Trans::Yes, out_, rows, ohw, 1.0f, gi, ohw, scratch, ohw, 1.0f, wg, rows);
      }
      if (!want_dx) continue;
      float* dxi = dxd + i * image;
      if (direct_dx) {
        // dx = dy padded by k - 1 - p, convolved with the turned weights.
        float* dyp = dxs;
        float* out = dxs + out_ * g.plane + g.size;
        ops::conv_flat_pad(gi, out_, oh, ow, win_.kh - 1 - win_.ph, win_.kw - 1 - win_.pw, g.wp, g.plane, g.size,
                           dyp);
        ops::conv_flat_forward(dyp, out_, g.plane, off_dx, taps, wf, nullptr, in_, out, g.size, g.len);
        ops::conv_flat_unpad(out, in_, g.size, g.wp, h, w, dxi);
      } else {
        // dcols (C*kh*kw, OH*OW) = W^T dy_i, folded back into dx_i.
        ops::gemm(ops::Trans::Yes, ops::Trans::No, rows, ohw, out_, 1.0f, wd, rows, gi, ohw, 0.0f, dxs, ohw);
        ops::col2im(dxs, ohw, in_, h, w, win_, dxi);
      }
    }
  });

  // The blocks' sums, added in block order.
  float* dw = weight_->grad.data();
  const float* wg = wgrad_.data();
  if (direct) {
    for (int64_t k = 0; k < out_ * rows; ++k) {
      float s = 0.0f;
      for (int b = 0; b < blocks; ++b) {
        const float* l = wg + b * wstride + 8 * k;
        s += ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
      }
      dw[k] += s;
    }
  } else {
    for (int64_t k = 0; k < out_ * rows; ++k) {
      float s = 0.0f;
      for (int b = 0; b < blocks; ++b) s += wg[b * wstride + k];
      dw[k] += s;
    }
  }
  if (bias_) {
    float* db = bias_->grad.data();
    for (int64_t o = 0; o < out_; ++o) {
      double s = 0.0;
      for (int b = 0; b < blocks; ++b) s += bgrad_[static_cast<size_t>(b * out_ + o)];
      db[o] += static_cast<float>(s);
    }
  }
  return dx_;
}

namespace {
nlohmann::json size2_json(Size2 s) { return s.h == s.w ? nlohmann::json(s.h) : nlohmann::json::array({s.h, s.w}); }
}  // namespace

Shape Conv2D::build(const Shape& input) {
  NN_CHECK(input.rank() == 3, repr(), ": expected samples of shape [C, H, W], found ", input.str());
  if (in_ == 0) initialize(input[0]);
  NN_CHECK(input[0] == in_, repr(), ": expected samples of shape [", in_, ", H, W], found ", input.str());
  NN_CHECK(win_.fits(input[1], input[2]), repr(), ": kernel ", kernel_size().str(),
           " is larger than the padded input of samples ", input.str());
  return Shape{out_, win_.out_h(input[1]), win_.out_w(input[2])};
}

nlohmann::json Conv2D::settings() const {
  nlohmann::json j = {{"out", out_},
                      {"kernel", size2_json(kernel_size())},
                      {"stride", size2_json(stride())},
                      {"padding", size2_json(padding())},
                      {"init", to_string(options_.init)}};
  if (!options_.bias) j["bias"] = false;
  if (options_.gain != 1.0f) j["gain"] = options_.gain;
  if (options_.alpha != ConvOptions{}.alpha) j["alpha"] = options_.alpha;
  return j;
}

std::string Conv2D::extra_repr() const {
  std::string s = (in_ ? std::to_string(in_) : std::string("?")) + ", " + std::to_string(out_) +
                  ", kernel_size=" + kernel_size().str() + ", stride=" + stride().str();
  if (win_.ph != 0 || win_.pw != 0) s += ", padding=" + padding().str();
  if (!bias_) s += ", bias=False";
  return s;
}

void Conv2D::infer_from_saved(const std::string& name, const Shape& saved) {
  if (in_ == 0 && name == "weight" && saved.rank() == 4 && saved[0] == out_ && saved[1] > 0 &&
      saved[2] == kernel_size().h && saved[3] == kernel_size().w)
    initialize(saved[1]);
}

}  // namespace nn
