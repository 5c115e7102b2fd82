#include "nn/losses/loss.hpp"

#include <algorithm>
#include <cmath>

#include "nn/error.hpp"
#include "nn/ops/elementwise.hpp"

namespace nn {

float Loss::forward(const Tensor& pred, Labels) {
  fail(type_name(), ": expected a dense target tensor shaped like the prediction ", pred.shape().str(),
       ", found class indices");
}

void Loss::no_forward_yet() const {
  fail(type_name(), ": backward() before any forward(): expected a loss computed first, found none");
}

void Loss::check_labels(const Tensor& pred, Labels labels) const {
  NN_CHECK(pred.rank() == 2, type_name(), ": expected prediction of shape [N, C] with class indices, found ",
           pred.shape().str());
  NN_CHECK(static_cast<int64_t>(labels.size()) == pred.dim(0), type_name(), ": prediction ",
           pred.shape().str(), " has batch size ", pred.dim(0), " but ", labels.size(), " labels were given");
  const int64_t classes = pred.dim(1);
  for (size_t i = 0; i < labels.size(); ++i)
    NN_CHECK(labels[i] >= 0 && labels[i] < classes, type_name(), ": label ", labels[i], " at index ", i,
             " is out of range for ", classes, " classes (expected 0..", classes - 1, ")");
}

void Loss::check_same_shape(const Tensor& pred, const Tensor& target) const {
  NN_CHECK(pred.shape() == target.shape(), type_name(), ": expected target of shape ", pred.shape().str(),
           " (the prediction's), found ", target.shape().str());
}

namespace {
// Class indices of a single-output binary model: pred (N, 1), labels 0 or 1.
void check_binary_labels(const std::string& who, const Tensor& pred, Labels labels) {
  NN_CHECK(pred.rank() == 2 && pred.dim(1) == 1, who,
           ": expected prediction of shape [N, 1] with 0/1 labels, found ", pred.shape().str());
  NN_CHECK(static_cast<int64_t>(labels.size()) == pred.dim(0), who, ": prediction ", pred.shape().str(),
           " has batch size ", pred.dim(0), " but ", labels.size(), " labels were given");
  for (size_t i = 0; i < labels.size(); ++i)
    NN_CHECK(labels[i] == 0 || labels[i] == 1, who, ": label ", labels[i], " at index ", i,
             " is out of range for binary targets (expected 0 or 1)");
}

float bce_value_and_grad(const float* p, const float* y, float* g, int64_t n, float eps) {
  double total = 0.0;
  const float scale = 1.0f / static_cast<float>(n);
  for (int64_t i = 0; i < n; ++i) {
    const float a = p[i] + eps, b = 1.0f - p[i] + eps;
    total -= static_cast<double>(y[i]) * std::log(a) + (1.0 - y[i]) * std::log(b);
    g[i] = (-y[i] / a + (1.0f - y[i]) / b) * scale;
  }
  return static_cast<float>(total / static_cast<double>(n));
}

float bce_logits_value_and_grad(const float* z, const float* y, float* g, int64_t n) {
  double total = 0.0;
  const float scale = 1.0f / static_cast<float>(n);
  for (int64_t i = 0; i < n; ++i) {
    const float v = z[i];
    total += std::max(v, 0.0f) - v * y[i] + std::log1p(std::exp(-std::fabs(v)));
    float s;  // sigmoid(v), stably
    if (v >= 0.0f) {
      s = 1.0f / (1.0f + std::exp(-v));
    } else {
      const float e = std::exp(v);
      s = e / (1.0f + e);
    }
    g[i] = (s - y[i]) * scale;
  }
  return static_cast<float>(total / static_cast<double>(n));
}
}  // namespace

// ---- MSE ----------------------------------------------------------------------------------------

namespace {

// mean((pred - target)^2) over all elements, its gradient 2 (pred - target) / n into grad;
// target(i) is the target of element i.
template <class Target>
float mean_squared_error(const Loss& loss, const Tensor& pred, Tensor& grad, Target&& target) {
  const int64_t n = pred.numel();
  NN_CHECK(n > 0, loss.type_name(), ": expected a non-empty prediction, found ", pred.shape().str());
  grad.resize(pred.shape());
  double total = 0.0;
  const float scale = 2.0f / static_cast<float>(n);
  for (int64_t i = 0; i < n; ++i) {
    const float d = pred[i] - target(i);
    total += static_cast<double>(d) * d;
    grad[i] = scale * d;
  }
  return static_cast<float>(total / static_cast<double>(n));
}

}  // namespace

float MSELoss::forward(const Tensor& pred, const Tensor& target) {
  if (pred.is_cuda()) return forward_and_read(pred, target);
  check_same_shape(pred, target);
  return mean_squared_error(*this, pred, grad_, [&](int64_t i) { return target[i]; });
}

float MSELoss::forward(const Tensor& pred, Labels labels) {
  if (pred.is_cuda()) return forward_and_read(pred, labels);
  if (pred.rank() == 2 && pred.dim(1) == 1) {
    // One output per sample (a binary model such as the XOR network): the label is the 0/1 target.
    check_binary_labels(type_name(), pred, labels);
    return mean_squared_error(*this, pred, grad_,
                              [&](int64_t i) { return static_cast<float>(labels[static_cast<size_t>(i)]); });
  }
  check_labels(pred, labels);
  // The one-hot target of each row.
  const int64_t classes = pred.dim(1);
  return mean_squared_error(*this, pred, grad_, [&](int64_t i) {
    return i % classes == labels[static_cast<size_t>(i / classes)] ? 1.0f : 0.0f;
  });
}

// ---- BCE ----------------------------------------------------------------------------------------

float BCELoss::forward(const Tensor& pred, const Tensor& target) {
  if (pred.is_cuda()) return forward_and_read(pred, target);
  check_same_shape(pred, target);
  NN_CHECK(pred.numel() > 0, type_name(), ": expected a non-empty prediction, found ", pred.shape().str());
  grad_.resize(pred.shape());
  return bce_value_and_grad(pred.data(), target.data(), grad_.data(), pred.numel(), eps_);
}

float BCELoss::forward(const Tensor& pred, Labels labels) {
  if (pred.is_cuda()) return forward_and_read(pred, labels);
  check_binary_labels(type_name(), pred, labels);
  NN_CHECK(pred.numel() > 0, type_name(), ": expected a non-empty prediction, found ", pred.shape().str());
  grad_.resize(pred.shape());
  // Reuse grad_ to hold the targets first; the kernel reads y[i] before writing g[i].
  for (size_t i = 0; i < labels.size(); ++i) grad_[static_cast<int64_t>(i)] = static_cast<float>(labels[i]);
  return bce_value_and_grad(pred.data(), grad_.data(), grad_.data(), pred.numel(), eps_);
}

float BCEWithLogitsLoss::forward(const Tensor& pred, const Tensor& target) {
  if (pred.is_cuda()) return forward_and_read(pred, target);
  check_same_shape(pred, target);
  NN_CHECK(pred.numel() > 0, type_name(), ": expected a non-empty prediction, found ", pred.shape().str());
  grad_.resize(pred.shape());
  return bce_logits_value_and_grad(pred.data(), target.data(), grad_.data(), pred.numel());
}

float BCEWithLogitsLoss::forward(const Tensor& pred, Labels labels) {
  if (pred.is_cuda()) return forward_and_read(pred, labels);
  check_binary_labels(type_name(), pred, labels);
  NN_CHECK(pred.numel() > 0, type_name(), ": expected a non-empty prediction, found ", pred.shape().str());
  grad_.resize(pred.shape());
  for (size_t i = 0; i < labels.size(); ++i) grad_[static_cast<int64_t>(i)] = static_cast<float>(labels[i]);
  return bce_logits_value_and_grad(pred.data(), grad_.data(), grad_.data(), pred.numel());
}

// ---- cross-entropy on probabilities -------------------------------------------------------------

namespace {
// CrossEntropyLoss takes probabilities (rows of a softmax); logits would give log of negative
// numbers, NaN without a word. Values a little outside [0, 1] from rounding are accepted.
void check_probabilities(const Loss& who, const Tensor& pred) {
  constexpr float kSlack = 1e-3f;
  const float* p = pred.data();
  for (int64_t i = 0; i < pred.numel(); ++i) {
    if (p[i] >= -kSlack && p[i] <= 1.0f + kSlack) continue;
    const int64_t c = pred.rank() == 2 ? pred.dim(1) : 1;
    fail(who.type_name(), ": expected probabilities in [0, 1] (rows of a softmax), found ", p[i], " at row ", i / c,
         ", column ", i % c, "; for logits use the fused softmax cross-entropy (SoftmaxCrossEntropyLoss, "
         "--loss cross-entropy)");
  }
}
}  // namespace

float CrossEntropyLoss::forward(const Tensor& pred, const Tensor& target) {
  if (pred.is_cuda()) return forward_and_read(pred, target);
  NN_CHECK(pred.rank() == 2, type_name(), ": expected prediction of shape [N, C], found ", pred.shape().str());
  check_same_shape(pred, target);
  check_probabilities(*this, pred);
  const int64_t n = pred.dim(0);
  NN_CHECK(n > 0, type_name(), ": expected a non-empty batch, found ", pred.shape().str());
  grad_.resize(pred.shape());
  double total = 0.0;
  const float scale = 1.0f / static_cast<float>(n);
  for (int64_t i = 0; i < pred.numel(); ++i) {
    const float a = pred[i] + eps_;
    total -= static_cast<double>(target[i]) * std::log(a);
    grad_[i] = -target[i] / a * scale;
  }
  return static_cast<float>(total / static_cast<double>(n));
}

float CrossEntropyLoss::forward(const Tensor& pred, Labels labels) {
  if (pred.is_cuda()) return forward_and_read(pred, labels);
  check_labels(pred, labels);
  check_probabilities(*this, pred);
  const int64_t n = pred.dim(0), classes = pred.dim(1);
  NN_CHECK(n > 0, type_name(), ": expected a non-empty batch, found ", pred.shape().str());
  grad_.resize(pred.shape());
  grad_.zero();
  double total = 0.0;
  const float scale = 1.0f / static_cast<float>(n);
  for (int64_t r = 0; r < n; ++r) {
    const int64_t i = r * classes + labels[static_cast<size_t>(r)];
    const float a = pred[i] + eps_;
    total -= std::log(a);
    grad_[i] = -scale / a;
  }
  return static_cast<float>(total / static_cast<double>(n));
}

// ---- fused softmax cross-entropy ----------------------------------------------------------------

float SoftmaxCrossEntropyLoss::forward(const Tensor& pred, const Tensor& target) {
  if (pred.is_cuda()) return forward_and_read(pred, target);
  on_device_ = false;
  if (!options_.softmax) return probability_loss_.forward(pred, target);
  NN_CHECK(pred.rank() == 2, type_name(), ": expected logits of shape [N, C], found ", pred.shape().str());
  check_same_shape(pred, target);
  const int64_t n = pred.dim(0), classes = pred.dim(1);
  NN_CHECK(n > 0, type_name(), ": expected a non-empty batch, found ", pred.shape().str());
  grad_.resize(pred.shape());
  ops::softmax_rows(pred.data(), grad_.data(), n, classes);
  double total = 0.0;
  const float scale = 1.0f / static_cast<float>(n);
  for (int64_t r = 0; r < n; ++r) {
    const float* z = pred.data() + r * classes;
    const float* y = target.data() + r * classes;
    float* g = grad_.data() + r * classes;
    float lse;
    ops::logsumexp_rows(z, &lse, 1, classes);
    double ysum = 0.0;
    for (int64_t c = 0; c < classes; ++c) {
      total -= static_cast<double>(y[c]) * (z[c] - lse);
      ysum += y[c];
    }
    // d/dz of -sum_c y_c (z_c - lse) is p * sum(y) - y; for one-hot rows sum(y) = 1.
    for (int64_t c = 0; c < classes; ++c) g[c] = (g[c] * static_cast<float>(ysum) - y[c]) * scale;
  }
  return static_cast<float>(total / static_cast<double>(n));
}

float SoftmaxCrossEntropyLoss::forward(const Tensor& pred, Labels labels) {
  if (pred.is_cuda()) return forward_and_read(pred, labels);
  on_device_ = false;
  if (!options_.softmax) return probability_loss_.forward(pred, labels);
  check_labels(pred, labels);
  const int64_t n = pred.dim(0), classes = pred.dim(1);
  NN_CHECK(n > 0, type_name(), ": expected a non-empty batch, found ", pred.shape().str());
  grad_.resize(pred.shape());
  double total = 0.0;
  const float scale = 1.0f / static_cast<float>(n);
  for (int64_t r = 0; r < n; ++r) {
    const float* z = pred.data() + r * classes;
    float* g = grad_.data() + r * classes;
    float m = z[0];
    for (int64_t c = 1; c < classes; ++c) m = std::max(m, z[c]);
    float s = 0.0f;
    for (int64_t c = 0; c < classes; ++c) {
      g[c] = std::exp(z[c] - m);
      s += g[c];
    }
    const int32_t label = labels[static_cast<size_t>(r)];
    total += static_cast<double>(m) + std::log(static_cast<double>(s)) - z[label];
    const float inv = scale / s;
    for (int64_t c = 0; c < classes; ++c) g[c] *= inv;
    g[label] -= scale;
  }
  return static_cast<float>(total / static_cast<double>(n));
}

}  // namespace nn
