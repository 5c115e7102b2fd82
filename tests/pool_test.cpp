// MaxPool2D, AvgPool2D and Flatten: forward by hand, PyTorch's padding semantics, gradient checks
// (max pooling on distinct values, away from ties), shape errors and printing, and the pool fused with a ReLU.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <numeric>
#include <vector>

#include "nn/error.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/pool.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/random.hpp"

#include "support/support.hpp"

namespace {

using nn::test::error_of;

// Distinct values 0.1 apart in a random order, so a gradcheck step of 0.01 never changes a max.
nn::Tensor distinct(const nn::Shape& shape, uint64_t seed) {
  nn::Tensor t(shape);
  std::vector<int> order(static_cast<size_t>(t.numel()));
  std::iota(order.begin(), order.end(), 0);
  nn::Rng rng(seed);
  rng.shuffle(std::span<int>(order));
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = 0.1f * static_cast<float>(order[static_cast<size_t>(i)]) - 1.0f;
  return t;
}

TEST(MaxPool2D, ForwardAndBackwardByHand) {
  nn::MaxPool2D pool(2);
  nn::Tensor x(nn::Shape{1, 1, 4, 4}, {1, 5, 2, 0,   //
                                       3, 4, 8, 7,   //
                                       9, 1, 0, 2,   //
                                       6, 2, 3, 11});
  const nn::Tensor& y = pool.forward(x);
  ASSERT_EQ(y.shape(), (nn::Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{5, 8, 9, 11}));
  const nn::Tensor& dx = pool.backward(nn::Tensor(nn::Shape{1, 1, 2, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 4}));
}

// Windows of any geometry against a plain loop: the first maximum in row-major order wins ties.
// The sizes reach the 2x2 kernels' 8- and 4-window vectors (with an overlapping last block: 10
// and 5 windows a row), odd heights and widths, and planes too narrow for a vector.
TEST(MaxPool2D, MatchesAReferenceWithTies) {
  struct Case {
    nn::Size2 k, s, p;
  };
  for (const nn::Size2 hw : {nn::Size2{7, 9}, nn::Size2{28, 28}, nn::Size2{14, 14}, nn::Size2{13, 21},
                             nn::Size2{9, 11}, nn::Size2{4, 6}, nn::Size2{5, 16}})
    for (const Case& c : {Case{2, 2, 0}, Case{3, 2, 1}, Case{{2, 3}, {1, 2}, {1, 0}}}) {
      const int64_t h = hw.h, w = hw.w;
      nn::MaxPool2D pool(c.k, c.s, c.p);
      nn::Tensor x(nn::Shape{3, 2, h, w});
      nn::Rng rng(4);
      for (float& v : x.span()) v = static_cast<float>(rng.below(3));  // many ties
      const nn::Tensor& y = pool.forward(x);
      const int64_t oh = y.dim(2), ow = y.dim(3);
      nn::Tensor dy(y.shape());
      for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = static_cast<float>(i + 1);
      std::vector<float> want_dx(static_cast<size_t>(x.numel()), 0.0f);
      for (int64_t pl = 0; pl < 6; ++pl)
        for (int64_t r = 0; r < oh; ++r)
          for (int64_t q = 0; q < ow; ++q) {
            float best = -INFINITY;
            int64_t at = -1;
            for (int64_t i = 0; i < c.k.h; ++i)
              for (int64_t j = 0; j < c.k.w; ++j) {
                const int64_t ih = r * c.s.h - c.p.h + i, iw = q * c.s.w - c.p.w + j;
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                const float v = x[(pl * h + ih) * w + iw];
                if (v > best) {
                  best = v;
                  at = (pl * h + ih) * w + iw;
                }
              }
            const int64_t o = (pl * oh + r) * ow + q;
            ASSERT_EQ(y[o], best) << hw.str() << " " << c.k.str();
            want_dx[static_cast<size_t>(at)] += dy[o];
          }
      // Fill dx with garbage first: every element must be written.
      pool.backward(nn::Tensor(y.shape(), NAN));
      EXPECT_EQ(pool.backward(dy).to_vector(), want_dx) << hw.str() << " " << c.k.str();
    }
}

// In the vectorised 2x2 kernels too, a NaN takes the window's place and receives its gradient.
TEST(MaxPool2D, NanPropagatesInWideRows) {
  nn::MaxPool2D pool(2);
  nn::Tensor x(nn::Shape{1, 1, 2, 20});
  for (int64_t i = 0; i < 40; ++i) x[i] = static_cast<float>(i % 7);
  x[5] = NAN;   // window 2, top row
  x[33] = NAN;  // window 6, bottom row
  const nn::Tensor& y = pool.forward(x);
  for (int64_t q = 0; q < 10; ++q) EXPECT_EQ(std::isnan(y[q]), q == 2 || q == 6) << q;
  const nn::Tensor& dx = pool.backward(nn::Tensor(nn::Shape{1, 1, 1, 10}, 1.0f));
  EXPECT_EQ(dx[5], 1.0f);
  EXPECT_EQ(dx[33], 1.0f);
  EXPECT_EQ(dx[4] + dx[24] + dx[25], 0.0f);
}

// A batch large enough to be split over threads gives what each image gives alone.
TEST(Pool2D, LargeBatchMatchesImageByImage) {
  nn::Tensor x = distinct(nn::Shape{64, 16, 28, 28}, 8);
  nn::Tensor one(nn::Shape{1, 16, 28, 28});
  for (int kind = 0; kind < 3; ++kind) {
    std::unique_ptr<nn::Module> pool, single;
    if (kind == 0) {
      pool = std::make_unique<nn::MaxPool2D>(2);
      single = std::make_unique<nn::MaxPool2D>(2);
    } else if (kind == 1) {
      pool = std::make_unique<nn::MaxPool2D>(3, 2, 1);
      single = std::make_unique<nn::MaxPool2D>(3, 2, 1);
    } else {
      pool = std::make_unique<nn::AvgPool2D>(2);
      single = std::make_unique<nn::AvgPool2D>(2);
    }
    const nn::Tensor& y = pool->forward(x);
    nn::Tensor dy(y.shape());
    for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = static_cast<float>(i % 13);
    const nn::Tensor& dx = pool->backward(dy);
    const int64_t in = one.numel(), out = y.numel() / 64;
    nn::Tensor dy1(y.shape().sample().batched(1));
    for (int64_t n = 0; n < 64; n += 9) {
      std::copy_n(x.data() + n * in, in, one.data());
      std::copy_n(dy.data() + n * out, out, dy1.data());
      const nn::Tensor& y1 = single->forward(one);
      ASSERT_TRUE(std::equal(y1.data(), y1.data() + out, y.data() + n * out)) << kind << " image " << n;
      const nn::Tensor& dx1 = single->backward(dy1);
      ASSERT_TRUE(std::equal(dx1.data(), dx1.data() + in, dx.data() + n * in)) << kind << " image " << n;
    }
  }
}

TEST(MaxPool2D, NanPropagates) {
  for (nn::Size2 k : {nn::Size2(2), nn::Size2(2, 3)}) {
    nn::MaxPool2D pool(k);
    nn::Tensor x(nn::Shape{1, 1, 2, 4}, {1, NAN, 5, 2, 7, 3, 1, 0});
    const nn::Tensor& y = pool.forward(x);
    EXPECT_TRUE(std::isnan(y[0]));
  }
}

TEST(MaxPool2D, PadsWithMinusInfinity) {
  // All values negative: zero padding would win, -inf padding never does.
  nn::MaxPool2D pool(2, 1, 1);
  nn::Tensor x(nn::Shape{1, 1, 2, 2}, {-1, -2, -3, -4});
  const nn::Tensor& y = pool.forward(x);
  ASSERT_EQ(y.shape(), (nn::Shape{1, 1, 3, 3}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{-1, -1, -2, -1, -1, -2, -3, -3, -4}));
}

TEST(MaxPool2D, OutputSizeFloorsAndStrideDefaultsToKernel) {
  nn::MaxPool2D pool(nn::Size2{3, 2});
  EXPECT_EQ(pool.stride(), (nn::Size2{3, 2}));
  nn::Tensor x(nn::Shape{2, 3, 7, 5});
  EXPECT_EQ(pool.forward(x).shape(), (nn::Shape{2, 3, 2, 2}));
}

TEST(MaxPool2D, Gradcheck) {
  struct Case {
    nn::Shape x;
    nn::Size2 k;
    nn::Size2 s, p;
  };
  for (const Case& c : {Case{{1, 1, 4, 4}, 2, 2, 0}, Case{{2, 3, 5, 7}, {3, 2}, {2, 1}, {1, 1}},
                        Case{{3, 2, 6, 5}, 3, 2, 1}}) {
    nn::MaxPool2D pool(c.k, c.s, c.p);
    auto r = nn::gradcheck(pool, distinct(c.x, 3));
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(AvgPool2D, ForwardByHandCountsThePadding) {
  nn::AvgPool2D pool(2);
  nn::Tensor x(nn::Shape{1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(pool.forward(x).to_vector(), (std::vector<float>{3.5f, 5.5f}));

  // count_include_pad: a corner window holds one element and three zeros, divided by 4.
  nn::AvgPool2D padded(2, 1, 1);
  nn::Tensor z(nn::Shape{1, 1, 2, 2}, {1, 2, 3, 4});
  const nn::Tensor& y = padded.forward(z);
  ASSERT_EQ(y.shape(), (nn::Shape{1, 1, 3, 3}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0.25f, 0.75f, 0.5f, 1.0f, 2.5f, 1.5f, 0.75f, 1.75f, 1.0f}));
  const nn::Tensor& dx = padded.backward(nn::Tensor(nn::Shape{1, 1, 3, 3}, 1.0f));
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{1, 1, 1, 1}));  // each pixel lies in 4 windows, 1/4 each
}

TEST(AvgPool2D, Gradcheck) {
  nn::Rng rng(2);
  for (int64_t n : {1, 3}) {
    nn::AvgPool2D pool({2, 3}, {1, 2}, {1, 1});
    nn::Tensor x(nn::Shape{n, 2, 5, 6});
    for (float& v : x.span()) v = static_cast<float>(rng.uniform(-1, 1));
    auto r = nn::gradcheck(pool, x);
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(Pool2D, ShapeErrorsAndPrinting) {
  nn::MaxPool2D pool(2);
  EXPECT_EQ(error_of([&] { pool.forward(nn::Tensor(nn::Shape{64, 784})); }),
            "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False): expected input of "
            "shape [N, C, H, W], found [64, 784]");
  nn::AvgPool2D avg(3);
  EXPECT_EQ(error_of([&] { avg.forward(nn::Tensor(nn::Shape{1, 1, 2, 5})); }),
            "AvgPool2d(kernel_size=3, stride=3, padding=0): kernel (3, 3) is larger than the padded input (2, "
            "5) of input [1, 1, 2, 5]");
  EXPECT_THROW(nn::MaxPool2D(2, 2, 2), nn::Error);  // padding more than half the kernel
  EXPECT_THROW(nn::AvgPool2D(0), nn::Error);
  EXPECT_THROW(nn::AvgPool2D(2, -1), nn::Error);
  EXPECT_EQ(nn::AvgPool2D(3, 0).stride(), nn::Size2(3));  // 0: the kernel size
  pool.forward(nn::Tensor(nn::Shape{1, 1, 4, 4}));
  EXPECT_THROW(pool.backward(nn::Tensor(nn::Shape{1, 1, 4, 4})), nn::Error);
  EXPECT_EQ(nn::MaxPool2D({2, 3}, 1).repr(),
            "MaxPool2d(kernel_size=(2, 3), stride=1, padding=0, dilation=1, ceil_mode=False)");
  EXPECT_EQ(nn::AvgPool2D(2, {1, 2}, 1).repr(), "AvgPool2d(kernel_size=2, stride=(1, 2), padding=1)");
}

TEST(Flatten, ReshapesForwardAndBack) {
  nn::Flatten flat;
  nn::Tensor x(nn::Shape{2, 3, 2, 2});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(i);
  const nn::Tensor& y = flat.forward(x);
  ASSERT_EQ(y.shape(), (nn::Shape{2, 12}));
  EXPECT_EQ(y.to_vector(), x.to_vector());
  nn::Tensor dy(nn::Shape{2, 12});
  for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = static_cast<float>(-i);
  const nn::Tensor& dx = flat.backward(dy);
  EXPECT_EQ(dx.shape(), x.shape());
  EXPECT_EQ(dx.to_vector(), dy.to_vector());
  EXPECT_THROW(flat.backward(nn::Tensor(nn::Shape{2, 11})), nn::Error);
  EXPECT_EQ(flat.repr(), "Flatten(start_dim=1, end_dim=-1)");
  auto r = nn::gradcheck(flat, x);
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace

// A Sequential runs a ReLU right before or after a MaxPool2D as one fused pass
// (MaxPool2D::forward_relu / backward_relu); its output and input gradient must equal the two
// layers run one by one, bit for bit: on ties, zeros of either sign, NaN and infinities, with the
// 2x2 vector path (8 and 4 lanes, odd sizes) and the general loop (overlapping, padded windows).
TEST(MaxPool2D, FusedWithReluInSequentialEqualsTheLayersOneByOne) {
  struct Case {
    nn::Size2 kernel, stride, padding;
    int64_t h, w;
  };
  const Case cases[] = {{2, 2, 0, 28, 28}, {2, 2, 0, 9, 11}, {2, 2, 0, 8, 9}, {3, 1, 1, 7, 6}, {3, 2, 0, 9, 9}};
  for (const Case& c : cases) {
    for (const bool relu_first : {true, false}) {
      nn::Rng rng(7);
      nn::Tensor x(nn::Shape{3, 2, c.h, c.w}), dy;
      for (int64_t i = 0; i < x.numel(); ++i) {
        // Few distinct values (ties), both signs, some exact zeros and special values.
        const uint64_t r = rng.next_u64() % 16;
        x[i] = r == 0 ? -0.0f : r == 1 ? NAN : r == 2 ? INFINITY : r == 3 ? -INFINITY
                                                                : static_cast<float>(static_cast<int>(r) - 9) * 0.5f;
      }
      auto make = [&] {
        auto seq = std::make_shared<nn::Sequential>();
        if (relu_first) seq->add(nn::ReLU());
        seq->add(nn::MaxPool2D(c.kernel, c.stride, c.padding));
        if (!relu_first) seq->add(nn::ReLU());
        return seq;
      };
      auto fused = make(), plain = make();
      const nn::Tensor& y = fused->forward(x);
      // The same layers, one by one.
      const nn::Tensor& y1 = (*plain)[0].forward(x);
      const nn::Tensor& y2 = (*plain)[1].forward(y1);
      ASSERT_EQ(y.shape(), y2.shape());
      dy = nn::Tensor(y.shape());
      for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = static_cast<float>(rng.next_u64() % 7) - 3.0f;
      auto bits = [](const nn::Tensor& t) {
        std::vector<uint32_t> b;
        for (float v : t.span()) b.push_back(std::bit_cast<uint32_t>(v));
        return b;
      };
      EXPECT_EQ(bits(y), bits(y2)) << c.h << "x" << c.w << " relu_first " << relu_first;
      const nn::Tensor& dx = fused->backward(dy);
      const nn::Tensor& d1 = (*plain)[1].backward(dy);
      const nn::Tensor& d0 = (*plain)[0].backward(d1);
      EXPECT_EQ(bits(dx), bits(d0)) << c.h << "x" << c.w << " relu_first " << relu_first;
    }
  }
}
