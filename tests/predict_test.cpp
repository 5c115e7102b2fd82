// nn::train::predict: batched inference into a caller's buffer.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>

#include "nn/error.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/random.hpp"
#include "nn/train/predict.hpp"
#include "support/support.hpp"

namespace {

using nn::test::error_of;

nn::Tensor inputs(int64_t n, int64_t d) {
  nn::Tensor x(nn::Shape{n, d});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>((i * 37) % 23) / 7.0f - 1.5f;
  return x;
}

// The model's outputs for rows [start, start + b) of x, forward in evaluation mode.
std::vector<float> forward_rows(nn::Module& model, const nn::Tensor& x, int64_t start, int64_t b) {
  const int64_t per = x.numel() / x.dim(0);
  nn::Tensor slice(nn::Shape{b, per});
  std::copy_n(x.data() + start * per, b * per, slice.data());
  model.eval();
  const nn::Tensor& y = model.forward(slice);
  return y.to_vector();
}

TEST(Predict, EqualsForwardBatchByBatchAtEveryBoundary) {
  nn::manual_seed(3);
  auto model = nn::io::build_model(nn::io::parse_model_spec("linear:16,relu,linear:3"));
  const int64_t n = 10;
  const nn::Tensor x = inputs(n, 5);
  const std::vector<float> whole = forward_rows(*model, x, 0, n);
  for (int64_t batch : {1, 3, 4, 5, 9, 10, 11, 1000}) {
    nn::Tensor out;
    nn::train::predict(*model, x, out, batch);
    ASSERT_EQ(out.shape(), (nn::Shape{n, 3})) << "batch " << batch;
    // Exactly what forward gives on the same batches (the last one shorter).
    std::vector<float> expected;
    for (int64_t start = 0; start < n; start += batch) {
      const auto part = forward_rows(*model, x, start, std::min(batch, n - start));
      expected.insert(expected.end(), part.begin(), part.end());
    }
    EXPECT_EQ(out.to_vector(), expected) << "batch " << batch;
    // And what one forward over all rows gives, up to rounding.
    for (size_t i = 0; i < whole.size(); ++i) EXPECT_NEAR(out.to_vector()[i], whole[i], 1e-5f) << "batch " << batch;
  }
}

TEST(Predict, RunsInEvaluationModeAndRestoresTheMode) {
  nn::manual_seed(4);
  auto model = nn::io::build_model(nn::io::parse_model_spec("linear:32,relu,dropout:0.5,linear:2"));
  const nn::Tensor x = inputs(6, 4);
  const std::vector<float> eval = forward_rows(*model, x, 0, 6);
  model->train();
  nn::Tensor out;
  nn::train::predict(*model, x, out, 4);
  EXPECT_TRUE(model->is_training());
  std::vector<float> expected = forward_rows(*model, x, 0, 4);
  const auto tail = forward_rows(*model, x, 4, 2);
  expected.insert(expected.end(), tail.begin(), tail.end());
  EXPECT_EQ(out.to_vector(), expected);  // dropout off
  for (size_t i = 0; i < eval.size(); ++i) EXPECT_NEAR(out.to_vector()[i], eval[i], 1e-5f);
  model->eval();
  nn::train::predict(*model, x, out, 4);
  EXPECT_FALSE(model->is_training());
}

TEST(Predict, ReusesTheBufferAndHandlesNoSamples) {
  nn::manual_seed(5);
  auto model = nn::io::build_model(nn::io::parse_model_spec("linear:3"));
  const nn::Tensor x = inputs(8, 2);
  nn::Tensor out;
  nn::train::predict(*model, x, out, 3);
  const float* first = out.data();
  nn::train::predict(*model, x, out, 3);
  EXPECT_EQ(out.data(), first);  // the same storage: nothing allocated for the output
  nn::train::predict(*model, nn::Tensor(nn::Shape{0, 2}), out, 3);
  EXPECT_EQ(out.shape(), (nn::Shape{0, 0}));
}

TEST(Predict, RefusesBadArguments) {
  auto model = nn::io::build_model(nn::io::parse_model_spec("linear:3"));
  const nn::Tensor x = inputs(4, 2);
  nn::Tensor out;
  EXPECT_NE(error_of([&] { nn::train::predict(*model, x, out, 0); }).find("batch_size > 0"), std::string::npos);
  EXPECT_NE(error_of([&] { nn::train::predict(*model, nn::Tensor(nn::Shape{}), out, 2); }).find("[N, ...]"),
            std::string::npos);
}

}  // namespace
