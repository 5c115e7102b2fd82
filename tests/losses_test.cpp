// Loss values and gradients against PyTorch, gradient checks, and the error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nn/nn.hpp"

#include "support/support.hpp"
#include "reference/torch_reference.inc"

namespace {

using nn::test::error_of;
using nn::test::random_tensor;

nn::Tensor tensor(const std::vector<double>& v, nn::Shape shape) {
  nn::Tensor t(shape);
  for (size_t i = 0; i < v.size(); ++i) t[static_cast<int64_t>(i)] = static_cast<float>(v[i]);
  return t;
}

std::vector<int32_t> labels() {
  std::vector<int32_t> out;
  for (double v : ref::kLossLabels) out.push_back(static_cast<int32_t>(v));
  return out;
}

// expected = {value, d/dx_0, d/dx_1, ...}
void expect_matches(nn::Loss& loss, float value, const std::vector<double>& expected, double tol = 2e-6) {
  EXPECT_NEAR(value, expected[0], tol * std::max(1.0, std::fabs(expected[0]))) << loss.type_name();
  const nn::Tensor& g = loss.backward();
  ASSERT_EQ(static_cast<size_t>(g.numel()) + 1, expected.size()) << loss.type_name();
  for (int64_t i = 0; i < g.numel(); ++i)
    EXPECT_NEAR(g[i], expected[static_cast<size_t>(i + 1)], tol) << loss.type_name() << " grad " << i;
}

const nn::Shape k4x3{4, 3}, k4x1{4, 1};

TEST(LossesMatchPyTorch, MseDenseAndOneHot) {
  nn::MSELoss mse;
  auto logits = tensor(ref::kLossLogits, k4x3);
  expect_matches(mse, mse(logits, tensor(ref::kLossDense, k4x3)), ref::kMseDense);
  const auto y = labels();
  expect_matches(mse, mse(logits, nn::Labels(y)), ref::kMseOneHot);
}

TEST(LossesMatchPyTorch, BinaryCrossEntropy) {
  nn::BCELoss bce(0.0f);  // with eps 0 it is exactly PyTorch's formula away from 0 and 1
  expect_matches(bce, bce(tensor(ref::kLossProbs1, k4x1), tensor(ref::kLossBinary, k4x1)), ref::kBce, 1e-5);
  const std::vector<int32_t> y01{1, 0, 1, 0};
  expect_matches(bce, bce(tensor(ref::kLossProbs1, k4x1), nn::Labels(y01)), ref::kBce, 1e-5);
  nn::BCEWithLogitsLoss bcel;
  std::vector<double> first_column;
  for (size_t r = 0; r < 4; ++r) first_column.push_back(ref::kLossLogits[r * 3]);
  expect_matches(bcel, bcel(tensor(first_column, k4x1), tensor(ref::kLossBinary, k4x1)), ref::kBceWithLogits);
}

TEST(LossesMatchPyTorch, FusedSoftmaxCrossEntropy) {
  nn::SoftmaxCrossEntropyLoss ce;
  auto logits = tensor(ref::kLossLogits, k4x3);
  const auto y = labels();
  expect_matches(ce, ce(logits, nn::Labels(y)), ref::kSoftmaxCe);
  expect_matches(ce, ce(logits, tensor(ref::kSoftTargets, k4x3)), ref::kSoftmaxCeSoft);
}

TEST(LossesMatchPyTorch, CrossEntropyOnProbabilities) {
  nn::CrossEntropyLoss ce(0.0f);
  auto probs = tensor(ref::kProbs, k4x3);
  const auto y = labels();
  expect_matches(ce, ce(probs, nn::Labels(y)), ref::kNllOfProbs, 1e-5);
  // The fused loss with its softmax cancelled is the same loss on probabilities (seed 002).
  nn::SoftmaxCrossEntropyLoss cancelled({.softmax = true, .eps = 0.0f});
  cancelled.cancel_softmax();
  EXPECT_FALSE(cancelled.has_softmax());
  expect_matches(cancelled, cancelled(probs, nn::Labels(y)), ref::kNllOfProbs, 1e-5);
}

TEST(Losses, FusedCrossEntropyIsStableForHugeLogits) {
  nn::SoftmaxCrossEntropyLoss ce;
  nn::Tensor logits(nn::Shape{2, 3}, {1000, -1000, 0, 0, 5000, -5000});
  const std::vector<int32_t> y{0, 2};
  const float v = ce(logits, nn::Labels(y));
  EXPECT_TRUE(std::isfinite(v));
  EXPECT_NEAR(v, 5000.0f, 1e-2f);
  for (float g : ce.backward().span()) EXPECT_TRUE(std::isfinite(g));
  nn::BCEWithLogitsLoss bcel;
  nn::Tensor z(nn::Shape{2, 1}, {200, -200});
  nn::Tensor t(nn::Shape{2, 1}, {0, 1});
  EXPECT_NEAR(bcel(z, t), 200.0f, 1e-3f);
}

// ---- gradient checks ----------------------------------------------------------------------------


class LossGradcheck : public ::testing::TestWithParam<int> {};

TEST_P(LossGradcheck, EveryLossDenseAndIndexTargets) {
  const int n = GetParam();
  const nn::Shape shape{n, 4};
  std::vector<int32_t> y;
  nn::Rng rng(5);
  for (int i = 0; i < n; ++i) y.push_back(static_cast<int32_t>(rng.below(4)));
  std::vector<int32_t> y01;
  for (int i = 0; i < n; ++i) y01.push_back(static_cast<int32_t>(rng.below(2)));
  auto logits = random_tensor(shape, 1, -2, 2);
  auto probs = random_tensor(shape, 2, 0.1, 0.9);           // away from 0 and 1
  auto probs1 = random_tensor(nn::Shape{n, 1}, 3, 0.1, 0.9);
  auto dense = random_tensor(shape, 4, -1, 1);
  auto binary = random_tensor(shape, 6, 0, 1);
  nn::Tensor simplex(shape);  // rows of a softmax, for cross-entropy on probabilities
  nn::ops::softmax_rows(logits.data(), simplex.data(), n, 4);
  const nn::GradcheckOptions o{.step = 1e-3};

  nn::MSELoss mse;
  nn::BCELoss bce;
  nn::BCEWithLogitsLoss bcel;
  nn::CrossEntropyLoss ce;
  nn::SoftmaxCrossEntropyLoss sce;
  nn::SoftmaxCrossEntropyLoss sce_off({.softmax = false});
  const nn::Labels labels(y), labels01(y01);
  struct Case {
    const char* name;
    nn::GradcheckResult r;
  } cases[] = {
      {"MSE dense", nn::gradcheck(mse, logits, dense, o)},
      {"MSE indices", nn::gradcheck(mse, logits, labels, o)},
      {"MSE binary indices", nn::gradcheck(mse, random_tensor(nn::Shape{n, 1}, 8, -1, 2), labels01, o)},
      {"BCE dense", nn::gradcheck(bce, probs, binary, o)},
      {"BCE indices", nn::gradcheck(bce, probs1, labels01, o)},
      {"BCEWithLogits dense", nn::gradcheck(bcel, logits, binary, o)},
      {"BCEWithLogits indices", nn::gradcheck(bcel, random_tensor(nn::Shape{n, 1}, 7, -2, 2), labels01, o)},
      {"CrossEntropy one-hot-ish", nn::gradcheck(ce, probs, binary, o)},
      {"CrossEntropy indices", nn::gradcheck(ce, simplex, labels, o)},
      {"SoftmaxCE dense", nn::gradcheck(sce, logits, binary, o)},
      {"SoftmaxCE indices", nn::gradcheck(sce, logits, labels, o)},
      {"SoftmaxCE cancelled", nn::gradcheck(sce_off, simplex, labels, o)},
  };
  for (auto& c : cases) EXPECT_TRUE(c.r.ok) << c.name << ": " << c.r.message;
}

INSTANTIATE_TEST_SUITE_P(Batches, LossGradcheck, ::testing::Values(1, 5));

// ---- errors -----------------------------------------------------------------------------------

TEST(LossErrors, MismatchedBatchAndLabelOutOfRange) {
  nn::SoftmaxCrossEntropyLoss ce;
  nn::Tensor logits(nn::Shape{4, 10});
  const std::vector<int32_t> three{1, 2, 3};
  {
    const std::string m = error_of([&] { ce(logits, nn::Labels(three)); });
    EXPECT_NE(m.find("[4, 10]"), std::string::npos) << m;
    EXPECT_NE(m.find("3 labels"), std::string::npos) << m;
  }
  const std::vector<int32_t> bad{0, 1, 10, 2};
  {
    const std::string m = error_of([&] { ce(logits, nn::Labels(bad)); });
    EXPECT_NE(m.find("label 10"), std::string::npos) << m;
    EXPECT_NE(m.find("10 classes"), std::string::npos) << m;
  }
  nn::MSELoss mse;
  EXPECT_THROW(mse(nn::Tensor(nn::Shape{4, 2}), nn::Tensor(nn::Shape{3, 2})), nn::Error);
  nn::BCELoss bce;
  const std::vector<int32_t> two{0, 2};
  EXPECT_THROW(bce(nn::Tensor(nn::Shape{2, 1}), nn::Labels(two)), nn::Error);
  EXPECT_THROW(bce(nn::Tensor(nn::Shape{2, 3}), nn::Labels(two)), nn::Error);
  EXPECT_THROW(nn::CrossEntropyLoss()(nn::Tensor(nn::Shape{0, 3}), nn::Labels()), nn::Error);
}

// A one-output model trained with MSE on two-class labels (the XOR network): the label is the target.
TEST(LossBinary, MseOnOneOutputUsesTheLabelAsTarget) {
  nn::Tensor pred(nn::Shape{4, 1});
  const float p[] = {0.1f, 0.8f, 0.6f, -0.2f};
  std::copy(p, p + 4, pred.data());
  const std::vector<int32_t> y{0, 1, 1, 0};
  nn::Tensor dense(nn::Shape{4, 1});
  for (int i = 0; i < 4; ++i) dense[i] = static_cast<float>(y[static_cast<size_t>(i)]);
  nn::MSELoss by_labels, by_dense;
  const float a = by_labels(pred, nn::Labels(y));
  const float b = by_dense(pred, dense);
  EXPECT_FLOAT_EQ(a, b);
  EXPECT_NEAR(a, (0.01 + 0.04 + 0.16 + 0.04) / 4.0, 1e-6);
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(by_labels.backward()[i], by_dense.backward()[i]);
  const std::vector<int32_t> bad{0, 1, 2, 0};
  try {
    by_labels(pred, nn::Labels(bad));
    FAIL();
  } catch (const nn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("label 2 at index 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("expected 0 or 1"), std::string::npos) << e.what();
  }
}

// Logits given to the cross-entropy on probabilities: an error that names the fused loss, not NaN.
TEST(LossErrors, CrossEntropyOnLogitsPointsToTheFusedLoss) {
  nn::Tensor logits(nn::Shape{2, 3});
  const float z[] = {2.0f, -1.0f, 0.5f, 0.1f, 0.2f, 0.7f};
  std::copy(z, z + 6, logits.data());
  const std::vector<int32_t> y{0, 2};
  nn::CrossEntropyLoss ce;
  for (int dense = 0; dense < 2; ++dense) {
    try {
      if (dense) {
        ce(logits, nn::Tensor(nn::Shape{2, 3}));
      } else {
        ce(logits, nn::Labels(y));
      }
      FAIL();
    } catch (const nn::Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("expected probabilities in [0, 1]"), std::string::npos) << m;
      EXPECT_NE(m.find("found 2 at row 0, column 0"), std::string::npos) << m;
      EXPECT_NE(m.find("SoftmaxCrossEntropyLoss"), std::string::npos) << m;
    }
  }
  // Rows of a softmax pass.
  nn::Tensor probs(nn::Shape{2, 3});
  nn::ops::softmax_rows(logits.data(), probs.data(), 2, 3);
  EXPECT_TRUE(std::isfinite(ce(probs, nn::Labels(y))));
}

}  // namespace

TEST(Losses, BackwardBeforeAnyForwardIsAnErrorNamingTheLoss) {
  nn::MSELoss mse;
  EXPECT_HAS(nn::test::error_of([&] { (void)mse.backward(); }), "MSELoss: backward() before any forward()");
  nn::SoftmaxCrossEntropyLoss fused;
  EXPECT_HAS(nn::test::error_of([&] { (void)fused.backward(); }), "SoftmaxCrossEntropyLoss: backward() before");
  fused.cancel_softmax();
  EXPECT_HAS(nn::test::error_of([&] { (void)fused.backward(); }), "backward() before any forward()");
  nn::Tensor pred(nn::Shape{2, 1}, 0.5f), target(nn::Shape{2, 1}, 1.0f);
  mse(pred, target);
  EXPECT_EQ(mse.backward().numel(), 2);
}
