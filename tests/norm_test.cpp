// BatchNorm1d and BatchNorm2d: forward by hand, running statistics as PyTorch keeps them,
// gradient checks through the batch statistics (training) and with fixed ones (evaluation),
// buffers, shape errors and printing.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn/error.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/random.hpp"
#include "nn/threads.hpp"

#include "support/support.hpp"

namespace {

using nn::test::error_of;
using nn::test::fill_uniform;


TEST(BatchNorm1d, ForwardAndRunningStatisticsByHand) {
  nn::BatchNorm1d bn(2);
  // channel 0: {1, 3} (mean 2, biased var 1, unbiased 2); channel 1: {0, 0, ...} constant 5.
  nn::Tensor x(nn::Shape{2, 2}, {1, 5, 3, 5});
  const nn::Tensor& y = bn.forward(x);
  const float s = 1.0f / std::sqrt(1.0f + 1e-5f);
  EXPECT_NEAR(y[0], -s, 1e-6);
  EXPECT_NEAR(y[2], s, 1e-6);
  EXPECT_NEAR(y[1], 0.0f, 1e-6);
  EXPECT_NEAR(y[3], 0.0f, 1e-6);
  EXPECT_NEAR(bn.running_mean()[0], 0.2f, 1e-7);
  EXPECT_NEAR(bn.running_mean()[1], 0.5f, 1e-7);
  EXPECT_NEAR(bn.running_var()[0], 0.9f + 0.1f * 2.0f, 1e-6);  // unbiased variance
  EXPECT_NEAR(bn.running_var()[1], 0.9f, 1e-6);
  EXPECT_EQ(bn.num_batches_tracked()[0], 1.0f);

  // Evaluation uses the running statistics and leaves them alone.
  bn.eval();
  const nn::Tensor& z = bn.forward(x);
  EXPECT_NEAR(z[0], (1.0f - 0.2f) / std::sqrt(1.1f + 1e-5f), 1e-6);
  EXPECT_NEAR(z[1], (5.0f - 0.5f) / std::sqrt(0.9f + 1e-5f), 1e-5);
  EXPECT_EQ(bn.num_batches_tracked()[0], 1.0f);
  EXPECT_NEAR(bn.running_mean()[0], 0.2f, 1e-7);
}

TEST(BatchNorm2d, NormalisesEachChannelOverBatchAndPlane) {
  nn::BatchNorm2d bn(3);
  bn.weight()->data = nn::Tensor(nn::Shape{3}, {1.0f, 2.0f, 0.5f});
  bn.bias()->data = nn::Tensor(nn::Shape{3}, {0.0f, -1.0f, 3.0f});
  nn::Tensor x(nn::Shape{4, 3, 5, 2});
  fill_uniform(x, 2, -3.0, 5.0);
  const nn::Tensor& y = bn.forward(x);
  for (int64_t c = 0; c < 3; ++c) {
    double s = 0, ss = 0;
    for (int64_t n = 0; n < 4; ++n)
      for (int64_t k = 0; k < 10; ++k) {
        const double v = y[(n * 3 + c) * 10 + k];
        s += v;
        ss += v * v;
      }
    const double mean = s / 40, var = ss / 40 - mean * mean;
    EXPECT_NEAR(mean, bn.bias()->data[c], 1e-5);
    EXPECT_NEAR(std::sqrt(var), bn.weight()->data[c], 1e-4);
  }
}

TEST(BatchNorm2d, StatisticsAreExactEnoughAndTheSameOnAnyThreadCount) {
  // Planes of 13x13 (not a multiple of the 8 partial sums the kernels keep), enough values for
  // the channels to run on two threads; an offset of 100 makes the variance's cancellation show.
  nn::Tensor x(nn::Shape{64, 64, 13, 13}), dy(nn::Shape{64, 64, 13, 13});
  fill_uniform(x, 3, 99.0, 101.0);
  fill_uniform(dy, 4, -1.0, 1.0);
  auto run = [&](int threads) {
    nn::set_num_threads(threads);
    nn::BatchNorm2d bn(64);
    std::vector<float> out = bn.forward(x).to_vector();
    for (float v : bn.backward(dy).span()) out.push_back(v);
    for (float v : bn.weight()->grad.span()) out.push_back(v);
    for (float v : bn.bias()->grad.span()) out.push_back(v);
    nn::set_num_threads(1);
    return out;
  };
  const std::vector<float> one = run(1);
  EXPECT_EQ(one, run(2));
  // The normalised output against statistics summed in long double.
  const int64_t l = 13 * 13;
  for (int64_t c = 0; c < 64; c += 7) {
    long double s = 0, ss = 0;
    for (int64_t n = 0; n < 64; ++n)
      for (int64_t k = 0; k < l; ++k) s += x[(n * 64 + c) * l + k];
    const long double mean = s / (64 * l);
    for (int64_t n = 0; n < 64; ++n)
      for (int64_t k = 0; k < l; ++k) ss += (x[(n * 64 + c) * l + k] - mean) * (x[(n * 64 + c) * l + k] - mean);
    const long double invstd = 1.0L / std::sqrt(ss / (64 * l) + 1e-5L);
    for (int64_t k = 0; k < l; k += 17) {
      const int64_t i = (5 * 64 + c) * l + k;
      EXPECT_NEAR(one[static_cast<size_t>(i)], static_cast<double>((x[i] - mean) * invstd), 2e-5) << "channel " << c;
    }
  }
}

TEST(BatchNorm2d, OnePassVarianceHoldsFarFromZero) {
  // The forward sums x - x0 and (x - x0)^2 in one pass (x0 a value of the channel). Values near
  // 1e6 with a spread of 2: E[x^2] - E[x]^2 without the shift would lose about 1e-3 of the
  // variance (x^2 ~ 1e12 in double); with it the variance is exact to float rounding.
  nn::Tensor x(nn::Shape{16, 4, 10, 10});
  fill_uniform(x, 8, 1e6 - 1.0, 1e6 + 1.0);
  nn::BatchNorm2d bn(4, {.momentum = 1.0f});  // the running statistics become the batch's
  bn.forward(x);
  const int64_t l = 100, m = 16 * l;
  for (int64_t c = 0; c < 4; ++c) {
    long double s = 0, ss = 0;
    for (int64_t n = 0; n < 16; ++n)
      for (int64_t k = 0; k < l; ++k) s += x[(n * 4 + c) * l + k];
    const long double mean = s / m;
    for (int64_t n = 0; n < 16; ++n)
      for (int64_t k = 0; k < l; ++k) ss += (x[(n * 4 + c) * l + k] - mean) * (x[(n * 4 + c) * l + k] - mean);
    const double unbiased = static_cast<double>(ss / (m - 1));
    EXPECT_NEAR(bn.running_var()[c], unbiased, 1e-6 * unbiased) << "channel " << c;
    EXPECT_NEAR(bn.running_mean()[c], static_cast<double>(mean), 0.07) << "channel " << c;  // float at 1e6: steps of 1/16
  }
}

TEST(BatchNorm, GradcheckInTrainingThroughTheBatchStatistics) {
  struct Case {
    nn::Shape x;
    bool two_d;
  };
  for (const Case& c : {Case{{4, 3}, false}, Case{{3, 2, 5}, false}, Case{{1, 2, 3, 4}, true},
                        Case{{3, 2, 3, 2}, true}}) {
    std::unique_ptr<nn::BatchNorm> bn;
    if (c.two_d)
      bn = std::make_unique<nn::BatchNorm2d>(c.x[1]);
    else
      bn = std::make_unique<nn::BatchNorm1d>(c.x[1]);
    fill_uniform(bn->weight()->data, 3, 0.5, 1.5);
    fill_uniform(bn->bias()->data, 4);
    nn::Tensor x(c.x);
    fill_uniform(x, 5, -2.0, 2.0);
    auto r = nn::gradcheck(*bn, x, {.step = 1e-2, .atol = 2e-3});
    EXPECT_TRUE(r.ok) << c.x.str() << ": " << r.message;
  }
}

TEST(BatchNorm, GradcheckInEvaluation) {
  nn::BatchNorm2d bn(2);
  nn::Tensor warm(nn::Shape{4, 2, 3, 3});
  fill_uniform(warm, 6, -1.0, 3.0);
  bn.forward(warm);  // move the running statistics away from (0, 1)
  bn.eval();
  fill_uniform(bn.weight()->data, 3, 0.5, 1.5);
  nn::Tensor x(nn::Shape{2, 2, 3, 2});
  fill_uniform(x, 7);
  auto r = nn::gradcheck(bn, x);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(BatchNorm, NoInputGradientStillGivesParameterGradients) {
  nn::BatchNorm1d bn(3);
  nn::Tensor x(nn::Shape{5, 3}), dy(nn::Shape{5, 3});
  fill_uniform(x, 1);
  fill_uniform(dy, 2);
  bn.forward(x);
  bn.backward(dy);
  const std::vector<float> dw = bn.weight()->grad.to_vector();
  bn.zero_grad();
  bn.set_input_grad(false);
  bn.forward(x);
  EXPECT_TRUE(bn.backward(dy).empty());
  EXPECT_EQ(bn.weight()->grad.to_vector(), dw);
}

TEST(BatchNorm, BuffersAreNamedAndAreNotParameters) {
  nn::Sequential model(nn::Linear(4, 3), nn::BatchNorm1d(3));
  auto params = model.named_parameters();
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[2].first, "1.weight");
  EXPECT_EQ(params[3].first, "1.bias");
  auto buffers = model.named_buffers();
  ASSERT_EQ(buffers.size(), 3u);
  EXPECT_EQ(buffers[0].first, "1.running_mean");
  EXPECT_EQ(buffers[1].first, "1.running_var");
  EXPECT_EQ(buffers[2].first, "1.num_batches_tracked");
  EXPECT_EQ(buffers[2].second->shape(), nn::Shape{});
  EXPECT_EQ(buffers[1].second->to_vector(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(model.buffers().size(), 3u);
  // The buffers moved with the module into the Sequential: they are the layer's own.
  EXPECT_EQ(buffers[0].second, &model.at<nn::BatchNorm1d>(1).running_mean());
}

TEST(BatchNorm, WithoutAffineHasNoParameters) {
  nn::BatchNorm1d bn(2, {.affine = false});
  EXPECT_TRUE(bn.parameters().empty());
  EXPECT_EQ(bn.named_buffers().size(), 3u);
  nn::Tensor x(nn::Shape{3, 2, 2});
  fill_uniform(x, 9);
  auto r = nn::gradcheck(bn, x);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(BatchNorm, ShapeErrorsAndPrinting) {
  nn::BatchNorm2d bn(16);
  EXPECT_EQ(error_of([&] { bn.forward(nn::Tensor(nn::Shape{64, 784})); }),
            "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): expected input "
            "of shape [N, C, H, W] with C = 16, found [64, 784]");
  nn::BatchNorm1d bn1(4);
  EXPECT_THROW(bn1.forward(nn::Tensor(nn::Shape{8, 3})), nn::Error);
  EXPECT_THROW(bn1.forward(nn::Tensor(nn::Shape{1, 4})), nn::Error);  // one value per channel in training
  bn1.eval();
  EXPECT_NO_THROW(bn1.forward(nn::Tensor(nn::Shape{1, 4})));
  EXPECT_THROW(nn::BatchNorm1d(0), nn::Error);
  EXPECT_EQ(nn::BatchNorm1d(8, {.eps = 1e-3f, .momentum = 0.2f}).repr(),
            "BatchNorm1d(8, eps=0.001, momentum=0.2, affine=True, track_running_stats=True)");
}

}  // namespace
