#include "nn/train/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "nn/error.hpp"

namespace nn::train {

namespace {

// Rows and columns of a score tensor read as [N, C].
void rows_cols(const Tensor& scores, const char* what, int64_t& n, int64_t& c) {
  NN_CHECK(scores.rank() >= 1 && scores.dim(0) > 0, what, ": expected scores of shape [N, C], found ",
           scores.shape().str());
  n = scores.dim(0);
  c = scores.numel() / n;
}

void check_regression(const Tensor& pred, const Tensor& target, const char* what) {
  NN_CHECK(pred.shape() == target.shape(), what, ": prediction ", pred.shape().str(), " and target ",
           target.shape().str(), " differ in shape");
  NN_CHECK(pred.numel() > 0, what, ": expected at least one value, found none");
}

}  // namespace

void predict_classes(const Tensor& scores, std::span<int32_t> out, float threshold) {
  int64_t n = 0, c = 0;
  rows_cols(scores, "predict_classes", n, c);
  NN_CHECK(static_cast<int64_t>(out.size()) == n, "predict_classes: ", n, " rows of scores but room for ",
           out.size(), " predictions");
  const float* s = scores.data();
  for (int64_t i = 0; i < n; ++i) {
    const float* row = s + i * c;  // row is (C)
    if (c == 1) {
      out[static_cast<size_t>(i)] = row[0] >= threshold ? 1 : 0;
    } else {
      out[static_cast<size_t>(i)] = static_cast<int32_t>(std::max_element(row, row + c) - row);
    }
  }
}

std::vector<int32_t> predict_classes(const Tensor& scores, float threshold) {
  std::vector<int32_t> out(scores.rank() >= 1 ? static_cast<size_t>(scores.dim(0)) : 0u);
  predict_classes(scores, out, threshold);
  return out;
}

double accuracy(std::span<const int32_t> predicted, Labels truth) {
  NN_CHECK(predicted.size() == truth.size(), "accuracy: ", predicted.size(), " predictions but ", truth.size(),
           " labels");
  if (truth.empty()) return 0.0;
  int64_t correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) correct += predicted[i] == truth[i] ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

double top_k_accuracy(const Tensor& scores, Labels truth, int64_t k) {
  int64_t n = 0, c = 0;
  rows_cols(scores, "top_k_accuracy", n, c);
  NN_CHECK(static_cast<int64_t>(truth.size()) == n, "top_k_accuracy: ", n, " rows of scores but ", truth.size(),
           " labels");
  NN_CHECK(k >= 1, "top_k_accuracy: expected k >= 1, found ", k);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = scores.data() + i * c;
    const int32_t t = truth[static_cast<size_t>(i)];
    NN_CHECK(t >= 0 && t < c, "top_k_accuracy: label ", t, " of sample ", i, " out of range for ", c,
             " classes");
    int64_t higher = 0;
    for (int64_t j = 0; j < c; ++j) higher += row[j] > row[t] ? 1 : 0;
    correct += higher < k ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

int64_t ConfusionMatrix::total() const {
  int64_t s = 0;
  for (int64_t v : counts) s += v;
  return s;
}

std::string ConfusionMatrix::str() const {
  std::ostringstream out;
  out << "true\\pred";
  for (int64_t p = 0; p < num_classes; ++p) out << '\t' << p;
  for (int64_t t = 0; t < num_classes; ++t) {
    out << '\n' << t;
    for (int64_t p = 0; p < num_classes; ++p) out << '\t' << at(t, p);
  }
  return out.str();
}

ConfusionMatrix confusion_matrix(std::span<const int32_t> predicted, Labels truth, int64_t num_classes) {
  NN_CHECK(predicted.size() == truth.size(), "confusion_matrix: ", predicted.size(), " predictions but ",
           truth.size(), " labels");
  if (num_classes <= 0) {
    int32_t m = -1;
    for (size_t i = 0; i < truth.size(); ++i) m = std::max({m, truth[i], predicted[i]});
    num_classes = m + 1;
  }
  ConfusionMatrix cm{num_classes, std::vector<int64_t>(static_cast<size_t>(num_classes * num_classes), 0)};
  for (size_t i = 0; i < truth.size(); ++i) {
    const int32_t t = truth[i], p = predicted[i];
    NN_CHECK(t >= 0 && t < num_classes && p >= 0 && p < num_classes, "confusion_matrix: sample ", i,
             " has true class ", t, " and predicted class ", p, ", expected both in [0, ", num_classes, ")");
    ++cm.counts[static_cast<size_t>(t * num_classes + p)];
  }
  return cm;
}

ClassificationReport classification_report(const ConfusionMatrix& cm) {
  const int64_t c = cm.num_classes;
  ClassificationReport r;
  r.precision.assign(static_cast<size_t>(c), 0.0);
  r.recall.assign(static_cast<size_t>(c), 0.0);
  r.f1.assign(static_cast<size_t>(c), 0.0);
  r.support.assign(static_cast<size_t>(c), 0);
  auto ratio = [](double a, double b) { return b == 0.0 ? 0.0 : a / b; };
  int64_t diagonal = 0;
  for (int64_t k = 0; k < c; ++k) {
    int64_t predicted_k = 0, true_k = 0;
    for (int64_t j = 0; j < c; ++j) {
      predicted_k += cm.at(j, k);  // column k
      true_k += cm.at(k, j);       // row k
    }
    const auto tp = static_cast<double>(cm.at(k, k));
    const auto i = static_cast<size_t>(k);
    r.precision[i] = ratio(tp, static_cast<double>(predicted_k));
    r.recall[i] = ratio(tp, static_cast<double>(true_k));
    r.f1[i] = ratio(2.0 * r.precision[i] * r.recall[i], r.precision[i] + r.recall[i]);
    r.support[i] = true_k;
    diagonal += cm.at(k, k);
    r.macro_precision += r.precision[i];
    r.macro_recall += r.recall[i];
    r.macro_f1 += r.f1[i];
  }
  if (c > 0) {
    r.macro_precision /= static_cast<double>(c);
    r.macro_recall /= static_cast<double>(c);
    r.macro_f1 /= static_cast<double>(c);
  }
  r.accuracy = ratio(static_cast<double>(diagonal), static_cast<double>(cm.total()));
  return r;
}

double mean_squared_error(const Tensor& pred, const Tensor& target) {
  check_regression(pred, target, "mean_squared_error");
  double s = 0.0;
  for (int64_t i = 0; i < pred.numel(); ++i) {
    const double d = static_cast<double>(pred[i]) - static_cast<double>(target[i]);
    s += d * d;
  }
  return s / static_cast<double>(pred.numel());
}

double mean_absolute_error(const Tensor& pred, const Tensor& target) {
  check_regression(pred, target, "mean_absolute_error");
  double s = 0.0;
  for (int64_t i = 0; i < pred.numel(); ++i) s += std::abs(static_cast<double>(pred[i]) - target[i]);
  return s / static_cast<double>(pred.numel());
}

double r2_score(const Tensor& pred, const Tensor& target) {
  check_regression(pred, target, "r2_score");
  const int64_t n = pred.dim(0), d = pred.numel() / n;  // [N, D]
  double total = 0.0;
  for (int64_t j = 0; j < d; ++j) {
    double mean = 0.0;
    for (int64_t i = 0; i < n; ++i) mean += target[i * d + j];
    mean /= static_cast<double>(n);
    double ss_res = 0.0, ss_tot = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const double y = target[i * d + j], e = y - static_cast<double>(pred[i * d + j]);
      ss_res += e * e;
      ss_tot += (y - mean) * (y - mean);
    }
    total += ss_tot == 0.0 ? (ss_res == 0.0 ? 1.0 : 0.0) : 1.0 - ss_res / ss_tot;
  }
  return total / static_cast<double>(d);
}

}  // namespace nn::train
