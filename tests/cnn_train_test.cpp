// End to end: a small CNN (Conv2D -> ReLU -> MaxPool2D -> Flatten -> Linear) learns whether the
// bright bar in an 8x8 image is horizontal or vertical.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "nn/layers/activation.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/pool.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/losses/loss.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/random.hpp"

namespace {

// n images (n, 1, 8, 8) of noise in [0, 0.3) with one bar of brightness 1 across the image:
// a row (label 0) or a column (label 1), at a random position.
void make_bars(int64_t n, nn::Rng& rng, nn::Tensor& x, std::vector<int32_t>& y) {
  x.resize(nn::Shape{n, 1, 8, 8});
  y.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    float* img = x.data() + i * 64;
    for (int64_t k = 0; k < 64; ++k) img[k] = static_cast<float>(rng.uniform(0.0, 0.3));
    const int32_t label = static_cast<int32_t>(rng.below(2));
    const int64_t at = static_cast<int64_t>(rng.below(8));
    for (int64_t k = 0; k < 8; ++k) img[label == 0 ? at * 8 + k : k * 8 + at] = 1.0f;
    y[static_cast<size_t>(i)] = label;
  }
}

// Trains the model for `steps` steps from `seed` and returns every parameter value.
std::vector<float> train_and_collect(int steps) {
  nn::manual_seed(5);
  nn::Sequential model(nn::Conv2D(1, 8, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2D(2),
                       nn::Conv2D(8, 3, {.stride = 2, .padding = 1}), nn::ReLU(), nn::Flatten(), nn::Linear(2));
  nn::SoftmaxCrossEntropyLoss loss;
  nn::Adam adam(model.parameters(), {.lr = 0.01f});
  nn::Rng data(3);
  nn::Tensor x;
  std::vector<int32_t> y;
  for (int step = 0; step < steps; ++step) {
    make_bars(64, data, x, y);
    loss(model(x), nn::Labels(y));
    adam.zero_grad();
    model.backward(loss.backward());
    adam.step();
  }
  std::vector<float> out;
  for (nn::Parameter* p : model.parameters()) out.insert(out.end(), p->data.span().begin(), p->data.span().end());
  return out;
}

TEST(CnnTraining, SameSeedSameThreadsBitIdentical) {
  const std::vector<float> a = train_and_collect(5), b = train_and_collect(5);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

TEST(CnnTraining, LearnsHorizontalVersusVerticalBars) {
  nn::manual_seed(42);
  nn::Sequential model(nn::Conv2D(1, 4, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2D(2), nn::Flatten(),
                       nn::Linear(2));
  nn::SoftmaxCrossEntropyLoss loss;
  nn::Adam adam(model.parameters(), {.lr = 0.02f});
  nn::Rng data(7);
  nn::Tensor x;
  std::vector<int32_t> y;
  float first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    make_bars(32, data, x, y);
    const float l = loss(model(x), nn::Labels(y));
    if (step == 0) first = l;
    last = l;
    adam.zero_grad();
    model.backward(loss.backward());
    adam.step();
  }
  EXPECT_LT(last, 0.5f * first);

  model.eval();
  make_bars(500, data, x, y);
  const nn::Tensor& logits = model(x);
  std::vector<int64_t> pred(500);
  nn::ops::argmax_rows(logits.data(), pred.data(), 500, 2);
  int correct = 0;
  for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == y[i];
  EXPECT_GE(correct, 475) << "accuracy " << correct / 5.0 << "%";
}

}  // namespace
