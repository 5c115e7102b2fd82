#include <gtest/gtest.h>

#include <vector>

#include "nn/error.hpp"
#include "nn/train/metrics.hpp"

namespace {

using nn::Labels;
using nn::Shape;
using nn::Tensor;
namespace train = nn::train;

// truth and predictions of 7 samples over 3 classes; class 2 is never predicted.
const std::vector<int32_t> kTruth{0, 0, 0, 1, 1, 2, 2};
const std::vector<int32_t> kPred{0, 0, 1, 1, 1, 0, 1};

TEST(Metrics, ConfusionMatrixRowsAreTrueClasses) {
  const auto cm = train::confusion_matrix(kPred, kTruth, 3);
  ASSERT_EQ(cm.num_classes, 3);
  const std::vector<int64_t> expected{2, 1, 0,   // true 0
                                      0, 2, 0,   // true 1
                                      1, 1, 0};  // true 2
  EXPECT_EQ(cm.counts, expected);
  EXPECT_EQ(cm.at(2, 0), 1);
  EXPECT_EQ(cm.total(), 7);
  // num_classes inferred from the largest label.
  EXPECT_EQ(train::confusion_matrix(kPred, kTruth).num_classes, 3);
  EXPECT_NE(cm.str().find("true\\pred"), std::string::npos);
}

TEST(Metrics, PrecisionRecallF1WithAZeroDivisionClass) {
  const auto r = train::classification_report(train::confusion_matrix(kPred, kTruth, 3));
  // precision: 2/3 of predicted 0, 2/4 of predicted 1, class 2 never predicted: 0/0 -> 0.
  EXPECT_DOUBLE_EQ(r.precision[0], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.precision[1], 0.5);
  EXPECT_DOUBLE_EQ(r.precision[2], 0.0);
  EXPECT_DOUBLE_EQ(r.recall[0], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.recall[1], 1.0);
  EXPECT_DOUBLE_EQ(r.recall[2], 0.0);
  EXPECT_DOUBLE_EQ(r.f1[0], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.f1[1], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.f1[2], 0.0);
  EXPECT_EQ(r.support, (std::vector<int64_t>{3, 2, 2}));
  EXPECT_DOUBLE_EQ(r.macro_precision, 7.0 / 18.0);
  EXPECT_DOUBLE_EQ(r.macro_recall, 5.0 / 9.0);
  EXPECT_DOUBLE_EQ(r.macro_f1, 4.0 / 9.0);
  EXPECT_DOUBLE_EQ(r.accuracy, 4.0 / 7.0);
  EXPECT_DOUBLE_EQ(train::accuracy(kPred, kTruth), 4.0 / 7.0);
}

TEST(Metrics, ConfusionMatrixRejectsLabelsOutOfRange) {
  const std::vector<int32_t> truth{0, 3}, pred{0, 1};
  EXPECT_THROW(train::confusion_matrix(pred, truth, 3), nn::Error);
  const std::vector<int32_t> short_pred{0};
  EXPECT_THROW(train::accuracy(short_pred, truth), nn::Error);
}

TEST(Metrics, TopKAccuracy) {
  const Tensor scores(Shape{3, 3}, {0.1f, 0.5f, 0.4f,    // true 2: second
                                    0.7f, 0.2f, 0.1f,    // true 2: third
                                    0.3f, 0.3f, 0.4f});  // true 0: second, tied with class 1
  const std::vector<int32_t> truth{2, 2, 0};
  EXPECT_DOUBLE_EQ(train::top_k_accuracy(scores, truth, 1), 0.0);
  EXPECT_DOUBLE_EQ(train::top_k_accuracy(scores, truth, 2), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(train::top_k_accuracy(scores, truth, 3), 1.0);
  EXPECT_DOUBLE_EQ(train::accuracy(train::predict_classes(scores), truth), 0.0);
  EXPECT_THROW(train::top_k_accuracy(scores, truth, 0), nn::Error);
}

TEST(Metrics, PredictClassesArgmaxAndThreshold) {
  const Tensor scores(Shape{2, 3}, {1.0f, 3.0f, 3.0f, -1.0f, -2.0f, -0.5f});
  EXPECT_EQ(train::predict_classes(scores), (std::vector<int32_t>{1, 2}));  // first of a tie
  const Tensor probs(Shape{3, 1}, {0.2f, 0.5f, 0.7f});
  EXPECT_EQ(train::predict_classes(probs, 0.5f), (std::vector<int32_t>{0, 1, 1}));
  const Tensor logits(Shape{3, 1}, {-1.0f, 0.0f, 2.0f});
  EXPECT_EQ(train::predict_classes(logits, 0.0f), (std::vector<int32_t>{0, 1, 1}));
}

TEST(Metrics, RegressionErrorsAndR2) {
  // scikit-learn's r2_score example: 0.948608137...
  const Tensor target(Shape{4}, {3.0f, -0.5f, 2.0f, 7.0f});
  const Tensor pred(Shape{4}, {2.5f, 0.0f, 2.0f, 8.0f});
  EXPECT_DOUBLE_EQ(train::mean_squared_error(pred, target), 0.375);
  EXPECT_DOUBLE_EQ(train::mean_absolute_error(pred, target), 0.5);
  EXPECT_NEAR(train::r2_score(pred, target), 0.9486081370449679, 1e-12);
  EXPECT_DOUBLE_EQ(train::r2_score(target, target), 1.0);

  // Two outputs, averaged per column: 0.965437788 and 0.908163265 -> 0.936800526.
  const Tensor t2(Shape{3, 2}, {0.5f, 1.0f, -1.0f, 1.0f, 7.0f, -6.0f});
  const Tensor p2(Shape{3, 2}, {0.0f, 2.0f, -1.0f, 2.0f, 8.0f, -5.0f});
  EXPECT_NEAR(train::r2_score(p2, t2), (1.0 - 1.25 / (217.0 / 6.0) + 1.0 - 3.0 / (98.0 / 3.0)) / 2.0, 1e-12);

  // A constant target: 1 when predicted exactly, else 0.
  const Tensor flat(Shape{3}, {2.0f, 2.0f, 2.0f}), off(Shape{3}, {2.0f, 2.0f, 3.0f});
  EXPECT_DOUBLE_EQ(train::r2_score(flat, flat), 1.0);
  EXPECT_DOUBLE_EQ(train::r2_score(off, flat), 0.0);
  EXPECT_THROW(train::mean_squared_error(pred, t2), nn::Error);
}

}  // namespace
