// Losses. forward() returns the mean over the batch; backward() returns dL/dpred, the exact
// derivative of that mean, in a buffer the loss owns (valid until the next forward()).
// Targets are dense tensors shaped like the prediction, or class indices (one per row).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <string>

#include "nn/labels.hpp"
#include "nn/tensor.hpp"

namespace nn {

class NN_API Loss {
 public:
  virtual ~Loss() = default;
  virtual float forward(const Tensor& pred, const Tensor& target) = 0;
  /// Class indices; losses that have no meaning for them throw nn::Error.
  virtual float forward(const Tensor& pred, Labels labels);
  virtual const Tensor& backward() const { return grad_; }
  float operator()(const Tensor& pred, const Tensor& target) { return forward(pred, target); }
  float operator()(const Tensor& pred, Labels labels) { return forward(pred, labels); }
  virtual std::string type_name() const = 0;

 protected:
  /// Checks that pred is (N, C) and that labels has N entries, each in [0, C).
  void check_labels(const Tensor& pred, Labels labels) const;
  void check_same_shape(const Tensor& pred, const Tensor& target) const;
  Tensor grad_;
};

/// Mean squared error over all elements: mean((pred - target)^2). Class indices become one-hot
/// rows of width C; with one output per sample ([N, 1]) a label (0 or 1) is the target itself, as in
/// the XOR network.
class NN_API MSELoss : public Loss {
 public:
  using Loss::forward;
  float forward(const Tensor& pred, const Tensor& target) override;
  float forward(const Tensor& pred, Labels labels) override;
  std::string type_name() const override { return "MSELoss"; }
};

/// Binary cross-entropy on probabilities p in [0, 1]:
/// -mean(y log(p + eps) + (1 - y) log(1 - p + eps)). Labels (0 or 1) stand for y of a (N, 1) pred.
class NN_API BCELoss : public Loss {
 public:
  explicit BCELoss(float eps = 1e-7f) : eps_(eps) {}
  using Loss::forward;
  float forward(const Tensor& pred, const Tensor& target) override;
  float forward(const Tensor& pred, Labels labels) override;
  std::string type_name() const override { return "BCELoss"; }

 private:
  float eps_;
};

/// Binary cross-entropy on logits z, computed stably as mean(max(z, 0) - z y + log(1 + e^-|z|)).
class NN_API BCEWithLogitsLoss : public Loss {
 public:
  using Loss::forward;
  float forward(const Tensor& pred, const Tensor& target) override;
  float forward(const Tensor& pred, Labels labels) override;
  std::string type_name() const override { return "BCEWithLogitsLoss"; }
};

/// Cross-entropy on probabilities (rows of a softmax): -1/N sum_i sum_c y_ic log(p_ic + eps).
/// A prediction outside [0, 1] (logits) is an nn::Error pointing to SoftmaxCrossEntropyLoss.
class NN_API CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(float eps = 1e-7f) : eps_(eps) {}
  using Loss::forward;
  float forward(const Tensor& pred, const Tensor& target) override;
  float forward(const Tensor& pred, Labels labels) override;
  std::string type_name() const override { return "CrossEntropyLoss"; }

 private:
  float eps_;
};

struct NN_API SoftmaxCrossEntropyOptions {
  /// false: the input is taken as probabilities already (seed 002's cancel_softmax()), and the
  /// loss is CrossEntropyLoss with its exact derivative.
  bool softmax = true;
  float eps = 1e-7f;  ///< used only when softmax is false
};

/// Softmax and cross-entropy fused, on logits z: -1/N sum_i (z_i,y_i - logsumexp(z_i)), with
/// gradient (softmax(z) - y) / N. This is what PyTorch calls CrossEntropyLoss.
class NN_API SoftmaxCrossEntropyLoss : public Loss {
 public:
  explicit SoftmaxCrossEntropyLoss(SoftmaxCrossEntropyOptions options = {})
      : options_(options), probability_loss_(options.eps) {}
  using Loss::forward;
  float forward(const Tensor& pred, const Tensor& target) override;
  float forward(const Tensor& pred, Labels labels) override;
  const Tensor& backward() const override { return options_.softmax ? grad_ : probability_loss_.backward(); }
  std::string type_name() const override { return "SoftmaxCrossEntropyLoss"; }
  /// Seed 002's switch: from now on the input is probabilities.
  SoftmaxCrossEntropyLoss& cancel_softmax() {
    options_.softmax = false;
    return *this;
  }
  bool has_softmax() const { return options_.softmax; }

 private:
  SoftmaxCrossEntropyOptions options_;
  CrossEntropyLoss probability_loss_;  ///< the loss once the softmax is cancelled
};

/// Seed 002's name for the fused loss.
using MultiCrossEntropy = SoftmaxCrossEntropyLoss;

}  // namespace nn
