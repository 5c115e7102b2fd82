/// @file
/// @brief Metrics for classification (accuracy, top-k, confusion matrix, precision/recall/F1) and
/// regression (MSE, MAE, R^2).
///
/// Scores are [N, C] tensors (logits or probabilities: only their order matters); predictions and
/// truths are class indices. Mismatched sizes or shapes throw nn::Error naming the function.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nn/labels.hpp"
#include "nn/tensor.hpp"

namespace nn::train {

/// The predicted class of each row of `scores` ([N, C], or [N, ...] read as [N, C]): the index of
/// the row's largest entry (the first one on ties) when C > 1; when C == 1, class 1 if the single
/// output is >= threshold, else 0 (0.5 for probabilities, 0 for logits). `out` holds N entries.
NN_API void predict_classes(const Tensor& scores, std::span<int32_t> out, float threshold = 0.5f);
/// As predict_classes(const Tensor&, std::span<int32_t>, float), into a new vector of N classes.
NN_API std::vector<int32_t> predict_classes(const Tensor& scores, float threshold = 0.5f);

/// Fraction of predicted[i] == truth[i]; 0 for no samples.
NN_API double accuracy(std::span<const int32_t> predicted, Labels truth);
/// Fraction of rows of scores ([N, C]) whose true class is among the k highest: fewer than k
/// classes score strictly higher than it (so ties count in the true class's favour).
NN_API double top_k_accuracy(const Tensor& scores, Labels truth, int64_t k);

/// counts[t * C + p]: how many samples of true class t were predicted as p (rows = true class).
struct NN_API ConfusionMatrix {
  int64_t num_classes = 0;     ///< C, the number of classes
  std::vector<int64_t> counts;  ///< C * C counts, row-major by true class
  /// The count of samples of class `truth` predicted as `predicted` (unchecked).
  int64_t at(int64_t truth, int64_t predicted) const {
    return counts[static_cast<size_t>(truth * num_classes + predicted)];
  }
  int64_t total() const;  ///< the number of samples counted
  /// A table with a header row of predicted classes and one row per true class.
  std::string str() const;
};
/// The confusion matrix of `predicted` against `truth` (equal sizes). Labels must lie in
/// [0, num_classes) (nn::Error otherwise); num_classes 0 means 1 + the largest label seen.
NN_API ConfusionMatrix confusion_matrix(std::span<const int32_t> predicted, Labels truth, int64_t num_classes = 0);

/// Per-class precision tp / (tp + fp), recall tp / (tp + fn), F1 2pr / (p + r) and support
/// (samples of the class); a 0/0 is defined as 0 (scikit-learn's zero_division=0). Macro averages
/// are unweighted means over all classes.
struct NN_API ClassificationReport {
  /// @var precision
  /// Per class: tp / (tp + fp).
  /// @var recall
  /// Per class: tp / (tp + fn).
  /// @var f1
  /// Per class: 2 p r / (p + r).
  std::vector<double> precision, recall, f1;
  std::vector<int64_t> support;  ///< per class: the number of samples whose true class it is
  /// @var macro_precision
  /// The unweighted mean of precision over the classes.
  /// @var macro_recall
  /// The unweighted mean of recall over the classes.
  /// @var macro_f1
  /// The unweighted mean of f1 over the classes.
  double macro_precision = 0.0, macro_recall = 0.0, macro_f1 = 0.0;
  double accuracy = 0.0;  ///< the fraction of samples on the diagonal
};
/// The per-class and macro-averaged figures of a confusion matrix.
NN_API ClassificationReport classification_report(const ConfusionMatrix& cm);

/// Regression metrics over prediction and target of the same shape ([N] or [N, D], D outputs).
/// Mean of (pred - target)^2 over every element. @throws nn::Error for different shapes or no values.
NN_API double mean_squared_error(const Tensor& pred, const Tensor& target);
/// Mean of |pred - target| over every element. @throws nn::Error for different shapes or no values.
NN_API double mean_absolute_error(const Tensor& pred, const Tensor& target);
/// Coefficient of determination 1 - SS_res / SS_tot per output column, averaged over the columns
/// (scikit-learn's uniform_average). A column with constant target scores 1 when predicted exactly,
/// else 0.
NN_API double r2_score(const Tensor& pred, const Tensor& target);

}  // namespace nn::train
