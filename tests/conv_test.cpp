// Conv2D: forward by hand, against a nested-loop reference convolution (seed 002) forward and
// backward, gradient checks, determinism, deferred input size, shape errors and printing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "nn/error.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/random.hpp"

#include "support/support.hpp"

namespace {

using nn::test::error_of;
using nn::test::fill_uniform;

struct Geometry {
  int64_t n, c, h, w, out;
  nn::Size2 k, s, p;
};

// Seed 002's loops, in double: y[b, o, r, q] = b[o] + sum W[o, c, i, j] x[b, c, r*sh - ph + i, q*sw - pw + j].
struct Reference {
  std::vector<double> y, dw, db, dx;
};

Reference reference_conv(const Geometry& g, const nn::Tensor& x, const nn::Tensor& wt, const nn::Tensor* bias,
                         const nn::Tensor& dy) {
  const int64_t oh = (g.h + 2 * g.p.h - g.k.h) / g.s.h + 1, ow = (g.w + 2 * g.p.w - g.k.w) / g.s.w + 1;
  Reference r;
  r.y.assign(static_cast<size_t>(g.n * g.out * oh * ow), 0.0);
  r.dw.assign(static_cast<size_t>(wt.numel()), 0.0);
  r.db.assign(static_cast<size_t>(g.out), 0.0);
  r.dx.assign(static_cast<size_t>(x.numel()), 0.0);
  auto xi = [&](int64_t b, int64_t c, int64_t i, int64_t j) { return ((b * g.c + c) * g.h + i) * g.w + j; };
  auto wi = [&](int64_t o, int64_t c, int64_t i, int64_t j) { return ((o * g.c + c) * g.k.h + i) * g.k.w + j; };
  for (int64_t b = 0; b < g.n; ++b)
    for (int64_t o = 0; o < g.out; ++o)
      for (int64_t rr = 0; rr < oh; ++rr)
        for (int64_t q = 0; q < ow; ++q) {
          const size_t yi = static_cast<size_t>(((b * g.out + o) * oh + rr) * ow + q);
          double s = bias ? (*bias)[o] : 0.0;
          const double grad = dy[static_cast<int64_t>(yi)];
          r.db[static_cast<size_t>(o)] += grad;
          for (int64_t c = 0; c < g.c; ++c)
            for (int64_t i = 0; i < g.k.h; ++i)
              for (int64_t j = 0; j < g.k.w; ++j) {
                const int64_t ih = rr * g.s.h - g.p.h + i, iw = q * g.s.w - g.p.w + j;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                s += static_cast<double>(wt[wi(o, c, i, j)]) * x[xi(b, c, ih, iw)];
                r.dw[static_cast<size_t>(wi(o, c, i, j))] += grad * x[xi(b, c, ih, iw)];
                r.dx[static_cast<size_t>(xi(b, c, ih, iw))] += grad * wt[wi(o, c, i, j)];
              }
          r.y[yi] = s;
        }
  return r;
}

void expect_near(const nn::Tensor& got, const std::vector<double>& want, double tol, const char* what) {
  ASSERT_EQ(static_cast<size_t>(got.numel()), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[static_cast<int64_t>(i)], want[i], tol * (1.0 + std::fabs(want[i]))) << what << "[" << i << "]";
}

TEST(Conv2D, ForwardByHand) {
  // x = 1..9 as one 3x3 image, a 2x2 kernel of ones, bias 0.5.
  nn::Conv2D conv(1, 1, 2);
  conv.weight().data.fill(1.0f);
  conv.bias()->data.fill(0.5f);
  nn::Tensor x(nn::Shape{1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const nn::Tensor& y = conv.forward(x);
  ASSERT_EQ(y.shape(), (nn::Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{12.5f, 16.5f, 24.5f, 28.5f}));

  // Padding 1 and stride 2: the windows start at (-1, -1), (-1, 1), (1, -1), (1, 1).
  nn::Conv2D padded(1, 1, 2, {.stride = 2, .padding = 1, .bias = false});
  padded.weight().data.fill(1.0f);
  const nn::Tensor& z = padded.forward(x);
  ASSERT_EQ(z.shape(), (nn::Shape{1, 1, 2, 2}));
  EXPECT_EQ(z.to_vector(), (std::vector<float>{1, 5, 11, 28}));

  // Backward of the first: dx counts how many windows cover each pixel, dW sums the windows.
  nn::Tensor dy(nn::Shape{1, 1, 2, 2}, 1.0f);
  conv.zero_grad();
  const nn::Tensor& dx = conv.backward(dy);
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{1, 2, 1, 2, 4, 2, 1, 2, 1}));
  EXPECT_EQ(conv.weight().grad.to_vector(), (std::vector<float>{12, 16, 24, 28}));
  EXPECT_EQ(conv.bias()->grad[0], 4.0f);
}

class Conv2DReference : public ::testing::TestWithParam<Geometry> {};

TEST_P(Conv2DReference, ForwardAndBackwardMatchNestedLoops) {
  const Geometry g = GetParam();
  nn::Rng init(7);
  nn::Conv2D conv(g.c, g.out, g.k, {.stride = g.s, .padding = g.p, .rng = &init});
  fill_uniform(conv.bias()->data, 8);
  nn::Tensor x(nn::Shape{g.n, g.c, g.h, g.w});
  fill_uniform(x, 9);
  const nn::Tensor& y = conv.forward(x);
  nn::Tensor dy(y.shape());
  fill_uniform(dy, 10);
  Reference ref = reference_conv(g, x, conv.weight().data, &conv.bias()->data, dy);
  expect_near(y, ref.y, 1e-5, "y");
  conv.zero_grad();
  const nn::Tensor& dx = conv.backward(dy);
  expect_near(dx, ref.dx, 1e-5, "dx");
  // dW and db sum N*OH*OW float32 products: allow rounding that grows like its square root.
  const double sum_tol = 1e-6 * std::sqrt(static_cast<double>(y.numel() / g.out)) + 1e-6;
  expect_near(conv.weight().grad, ref.dw, sum_tol, "dW");
  expect_near(conv.bias()->grad, ref.db, sum_tol, "db");

  // Gradients accumulate: a second backward doubles them.
  conv.backward(dy);
  for (double& v : ref.dw) v *= 2;
  expect_near(conv.weight().grad, ref.dw, sum_tol, "dW twice");
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, Conv2DReference,
    ::testing::Values(Geometry{3, 2, 7, 5, 4, {3, 2}, {2, 1}, {1, 0}}, Geometry{2, 3, 6, 6, 5, 3, 1, 1},
                      Geometry{1, 1, 5, 8, 2, {1, 4}, {1, 3}, {0, 2}}, Geometry{2, 4, 9, 7, 3, 5, 2, 2},
                      Geometry{4, 3, 12, 10, 6, {3, 3}, {3, 2}, {2, 1}},
                      Geometry{16, 3, 16, 16, 8, 3, 1, 1},
                      // large enough for the parallel im2col and col2im (threads_for)
                      Geometry{32, 4, 24, 24, 16, 3, 1, 1}));

// Both algorithms against the reference and against each other, on stride-1 geometries: odd
// sizes, batch 1, kernels 1x1 to 5x5 and non-square, padding 0 to past the kernel (where the direct
// dx falls back to the GEMM), output channels that leave 1 to 3 after blocks of 4, tap counts that
// leave 1 or 2 after groups of 3, rows wider and narrower than a vector.
class Conv2DAlgorithms : public ::testing::TestWithParam<Geometry> {};

TEST_P(Conv2DAlgorithms, DirectAndGemmMatchTheReference) {
  const Geometry g = GetParam();
  nn::Tensor x(nn::Shape{g.n, g.c, g.h, g.w});
  fill_uniform(x, 9);
  std::vector<std::vector<float>> results[2];
  for (int a = 0; a < 2; ++a) {
    nn::Rng init(7);
    nn::Conv2D conv(g.c, g.out, g.k,
                    {.stride = g.s,
                     .padding = g.p,
                     .rng = &init,
                     .algorithm = a == 0 ? nn::ConvAlgorithm::gemm : nn::ConvAlgorithm::direct});
    fill_uniform(conv.bias()->data, 8);
    const nn::Tensor& y = conv.forward(x);
    nn::Tensor dy(y.shape());
    fill_uniform(dy, 10);
    const Reference ref = reference_conv(g, x, conv.weight().data, &conv.bias()->data, dy);
    expect_near(y, ref.y, 1e-5, a == 0 ? "gemm y" : "direct y");
    results[a].push_back(y.to_vector());
    conv.zero_grad();
    const nn::Tensor& dx = conv.backward(dy);
    expect_near(dx, ref.dx, 1e-5, a == 0 ? "gemm dx" : "direct dx");
    const double sum_tol = 1e-6 * std::sqrt(static_cast<double>(y.numel() / g.out)) + 1e-6;
    expect_near(conv.weight().grad, ref.dw, sum_tol, a == 0 ? "gemm dW" : "direct dW");
    expect_near(conv.bias()->grad, ref.db, sum_tol, a == 0 ? "gemm db" : "direct db");
    results[a].push_back(dx.to_vector());
    results[a].push_back(conv.weight().grad.to_vector());
  }
  for (size_t k = 0; k < results[0].size(); ++k)
    for (size_t i = 0; i < results[0][k].size(); ++i)
      ASSERT_NEAR(results[0][k][i], results[1][k][i], 1e-4 * (1.0 + std::fabs(results[0][k][i])))
          << k << "[" << i << "]";
}

INSTANTIATE_TEST_SUITE_P(
    StrideOne, Conv2DAlgorithms,
    ::testing::Values(Geometry{1, 1, 28, 28, 8, 3, 1, 1}, Geometry{3, 8, 14, 14, 16, 3, 1, 1},
                      Geometry{1, 1, 5, 7, 1, 3, 1, 0}, Geometry{2, 3, 9, 11, 5, 3, 1, 1},
                      Geometry{2, 2, 7, 30, 7, {3, 2}, 1, {1, 0}}, Geometry{1, 3, 6, 5, 6, 1, 1, 0},
                      Geometry{2, 2, 8, 9, 3, 5, 1, 2}, Geometry{2, 2, 6, 7, 2, {1, 3}, 1, {1, 0}},
                      Geometry{1, 2, 4, 4, 3, 2, 1, 3}, Geometry{2, 5, 3, 2, 4, {2, 1}, 1, 0},
                      Geometry{1, 4, 1, 1, 9, 1, 1, 0}, Geometry{3, 1, 10, 17, 2, 4, 1, 1}));

TEST(Conv2D, DirectAlgorithmNeedsStrideOne) {
  nn::Conv2D conv(1, 2, 3, {.stride = 2, .algorithm = nn::ConvAlgorithm::direct});
  nn::Tensor x(nn::Shape{1, 1, 8, 8});
  EXPECT_HAS(error_of([&] { conv.forward(x); }), "stride 1");
}

TEST(Conv2D, GradcheckBatchOneAndMore) {
  struct Case {
    int64_t n, c, h, w, out;
    nn::Size2 k, s, p;
  };
  for (const Case& cs : {Case{1, 2, 5, 4, 3, {3, 2}, {2, 1}, {1, 0}}, Case{3, 2, 4, 6, 2, {2, 3}, {1, 2}, {0, 1}},
                         Case{2, 1, 6, 5, 2, 3, 2, 1}}) {
    nn::Rng init(3);
    nn::Conv2D conv(cs.c, cs.out, cs.k, {.stride = cs.s, .padding = cs.p, .rng = &init});
    fill_uniform(conv.bias()->data, 4);
    nn::Tensor x(nn::Shape{cs.n, cs.c, cs.h, cs.w});
    fill_uniform(x, 5);
    auto r = nn::gradcheck(conv, x);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_GT(r.checked, x.numel());
  }
}

TEST(Conv2D, GradcheckWithoutBias) {
  nn::Rng init(3);
  nn::Conv2D conv(2, 3, {2, 3}, {.stride = {1, 2}, .padding = {1, 1}, .bias = false, .rng = &init});
  EXPECT_EQ(conv.bias(), nullptr);
  EXPECT_EQ(conv.parameters().size(), 1u);
  nn::Tensor x(nn::Shape{2, 2, 4, 5});
  fill_uniform(x, 6);
  auto r = nn::gradcheck(conv, x);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Conv2D, NoInputGradientStillGivesParameterGradients) {
  nn::Rng init(3);
  nn::Conv2D conv(2, 3, 3, {.padding = 1, .rng = &init});
  nn::Tensor x(nn::Shape{2, 2, 5, 5});
  fill_uniform(x, 6);
  nn::Tensor dy(nn::Shape{2, 3, 5, 5});
  fill_uniform(dy, 7);
  conv.forward(x);
  conv.backward(dy);
  const std::vector<float> dw = conv.weight().grad.to_vector();
  conv.zero_grad();
  conv.set_input_grad(false);
  conv.forward(x);
  EXPECT_TRUE(conv.backward(dy).empty());
  EXPECT_EQ(conv.weight().grad.to_vector(), dw);
}

TEST(Conv2D, BitIdenticalWhenRunTwice) {
  auto run = [](nn::ConvAlgorithm algorithm) {
    // Large enough that every loop of the layer runs on several threads where there are several.
    nn::Rng init(11);
    nn::Conv2D conv(4, 16, 3, {.padding = 1, .rng = &init, .algorithm = algorithm});
    nn::Tensor x(nn::Shape{64, 4, 24, 24}), dy(nn::Shape{64, 16, 24, 24});
    fill_uniform(x, 12);
    fill_uniform(dy, 13);
    std::vector<float> out = conv.forward(x).to_vector();
    const std::vector<float> dx = conv.backward(dy).to_vector();
    out.insert(out.end(), dx.begin(), dx.end());
    for (float v : conv.weight().grad.span()) out.push_back(v);
    for (float v : conv.bias()->grad.span()) out.push_back(v);
    return out;
  };
  for (const auto algorithm : {nn::ConvAlgorithm::direct, nn::ConvAlgorithm::gemm}) {
    const std::vector<float> a = run(algorithm), b = run(algorithm);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  }
}

TEST(Conv2D, DeferredInputChannels) {
  nn::manual_seed(4);
  nn::Conv2D conv(6, {3, 1}, {.stride = {1, 1}});
  EXPECT_FALSE(conv.initialized());
  EXPECT_EQ(conv.parameters().size(), 2u);  // registered from the start, so an optimizer can hold them
  EXPECT_EQ(conv.repr(), "Conv2d(?, 6, kernel_size=(3, 1), stride=(1, 1))");
  nn::Tensor x(nn::Shape{2, 5, 4, 4});
  fill_uniform(x, 1);
  EXPECT_EQ(conv.forward(x).shape(), (nn::Shape{2, 6, 2, 4}));
  EXPECT_EQ(conv.in_channels(), 5);
  EXPECT_EQ(conv.weight().data.shape(), (nn::Shape{6, 5, 3, 1}));
  EXPECT_EQ(conv.weight().grad.shape(), (nn::Shape{6, 5, 3, 1}));

  // The same weights as a conv built with the size known, from the same seed.
  nn::manual_seed(4);
  nn::Conv2D known(5, 6, {3, 1});
  EXPECT_EQ(known.weight().data.to_vector(), conv.weight().data.to_vector());
}

TEST(Conv2D, HeInitialisationAndZeroBias) {
  nn::Rng rng(5);
  nn::Conv2D conv(16, 32, 3, {.rng = &rng});
  double s = 0, ss = 0;
  for (float v : conv.weight().data.span()) {
    s += v;
    ss += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(conv.weight().data.numel());
  const double std = std::sqrt(ss / n - (s / n) * (s / n));
  EXPECT_NEAR(std, std::sqrt(2.0 / (16 * 9)), 0.05 * std::sqrt(2.0 / (16 * 9)));
  for (float v : conv.bias()->data.span()) EXPECT_EQ(v, 0.0f);
}

TEST(Conv2D, ShapeErrorsNameTheLayerAndWhatArrived) {
  nn::Conv2D conv(1, 8, 3, {.padding = 1});
  auto message = [&](const nn::Tensor& x) { return error_of([&] { conv.forward(x); }); };
  EXPECT_EQ(message(nn::Tensor(nn::Shape{64, 784})),
            "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)): expected input of shape "
            "[N, C, H, W], found [64, 784]");
  EXPECT_EQ(message(nn::Tensor(nn::Shape{2, 3, 8, 8})),
            "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)): expected input of shape "
            "[N, 1, H, W], found [2, 3, 8, 8]");
  nn::Conv2D big(1, 2, {5, 2});
  EXPECT_EQ(error_of([&] { big.forward(nn::Tensor(nn::Shape{1, 1, 4, 4})); }),
            "Conv2d(1, 2, kernel_size=(5, 2), stride=(1, 1)): kernel (5, 2) is larger than the padded input "
            "(4, 4) of input [1, 1, 4, 4]");
  conv.forward(nn::Tensor(nn::Shape{2, 1, 4, 4}));
  EXPECT_THROW(conv.backward(nn::Tensor(nn::Shape{2, 8, 3, 4})), nn::Error);
  EXPECT_THROW(nn::Conv2D(1, 8, 0), nn::Error);
  EXPECT_THROW(nn::Conv2D(1, 8, 3, {.stride = 0}), nn::Error);
  EXPECT_THROW(nn::Conv2D(1, 8, 3, {.padding = -1}), nn::Error);
  EXPECT_THROW(nn::Conv2D(0, 8, 3), nn::Error);
}

TEST(Conv2D, PrintsLikePyTorch) {
  EXPECT_EQ(nn::Conv2D(1, 8, 3, {.padding = 1}).repr(),
            "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
  EXPECT_EQ(nn::Conv2D(3, 16, {3, 5}, {.stride = {2, 1}, .bias = false}).repr(),
            "Conv2d(3, 16, kernel_size=(3, 5), stride=(2, 1), bias=False)");
}

}  // namespace
