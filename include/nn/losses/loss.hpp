/// @file
/// The losses: nn::Loss and MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss,
/// SoftmaxCrossEntropyLoss.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <string>

#include "nn/labels.hpp"
#include "nn/losses/graph_loss.hpp"
#include "nn/tensor.hpp"

namespace nn {

/// Class indices in device memory: `size` int32 values at `data` on the prediction's CUDA device
/// (a trainer's label buffer, filled by an asynchronous copy), for Loss::compute().
struct NN_API DeviceLabels {
  const int32_t* data = nullptr;  ///< device pointer to the labels
  int64_t size = 0;               ///< the number of labels (the batch size)
};

/// A loss: a scalar L of a batch's prediction and target, and its gradient dL/dpred.
///
/// forward() returns the mean (over the batch, or over all elements: see each loss); backward()
/// returns dL/dpred, the exact derivative of that mean, in a buffer the loss owns (valid until the
/// next forward()). Targets are dense tensors shaped like the prediction, or class indices (one
/// per row, nn::Labels). The value is accumulated in double and returned as float.
/// @code
/// float value = loss(net.forward(x), labels);
/// net.backward(loss.backward());
/// @endcode
/// A loss is not thread-safe (it writes its own gradient buffer) and not copyable.
class NN_API Loss {
 public:
  virtual ~Loss() = default;
  /// The loss of `pred` against a dense `target` of the same shape; computes the gradient too.
  /// @throws nn::Error when the shapes differ, the prediction is empty, or the values are not what
  ///   the loss takes (see each loss).
  virtual float forward(const Tensor& pred, const Tensor& target) = 0;
  /// Class indices; losses that have no meaning for them throw nn::Error.
  virtual float forward(const Tensor& pred, Labels labels);
  /// dL/dpred for the last forward(), pred's shape; a buffer the loss owns, valid until the next
  /// forward().
  /// @throws nn::Error before the first forward().
  virtual const Tensor& backward() const {
    if (!grad_.defined()) no_forward_yet();
    return grad_;
  }
  /// The same as forward(pred, target).
  float operator()(const Tensor& pred, const Tensor& target) { return forward(pred, target); }
  /// The same as forward(pred, labels).
  float operator()(const Tensor& pred, Labels labels) { return forward(pred, labels); }
  /// The type's name as PyTorch spells it ("MSELoss"); error messages start with it.
  virtual std::string type_name() const = 0;

  // Values left on the device: forward() returns the value as a float, which for a prediction on
  // a CUDA device means waiting for the GPU. compute() does the same work without reading the value
  // back: it stays in value_tensor() on pred's device until value() reads it, so a training step
  // can be queued (or captured in a CUDA graph) without a synchronisation.
  /// The loss of `pred` against a dense `target` on pred's device, and its gradient (backward()),
  /// without reading the value back on a CUDA device (value_tensor(), value()); on the CPU it is
  /// forward().
  /// @throws nn::Error as forward() (on a CUDA device, value problems such as a probability out of
  ///   range are reported by value()).
  void compute(const Tensor& pred, const Tensor& target);
  /// Against class indices on pred's CUDA device, N of them; they are checked on the device, and a
  /// label out of range is reported by value().
  /// @throws nn::Error when pred is not on a CUDA device or labels.size is not pred's batch size.
  void compute(const Tensor& pred, DeviceLabels labels);
  /// The value of the last compute() (or forward() on a CUDA device) as a tensor of shape [1] on
  /// the prediction's device: a device scalar on a GPU. Valid until the next compute().
  /// @throws nn::Error before the first forward() or compute().
  const Tensor& value_tensor() const;
  /// The value of the last compute() (or forward() on a CUDA device), copied to the host (waits
  /// for the device).
  /// @throws nn::Error before the first forward() or compute(), or when the device found a label
  ///   out of range or (cross-entropy on probabilities) a prediction outside [0, 1].
  float value() const;

 protected:
  /// The CUDA branch of forward(pred, target): fills grad_, value_ and device_flag(), on pred's
  /// device.
  /// The default throws nn::Error (no device version).
  virtual void forward_cuda(const Tensor& pred, const Tensor& target);
  /// The CUDA branch against class indices on the device; the default throws nn::Error.
  virtual void forward_cuda(const Tensor& pred, DeviceLabels labels);
  /// forward() of a prediction on a CUDA device: forward_cuda, then value().
  float forward_and_read(const Tensor& pred, const Tensor& target);
  /// forward() against host labels of a prediction on a CUDA device: checks them, copies them to
  /// the device, forward_cuda, then value().
  float forward_and_read(const Tensor& pred, Labels labels);
  /// value_ on pred's device: the mean (shape [1]), with room for the int32 flag behind it.
  void prepare_device_value(const Tensor& pred);
  /// The message value() throws when the device flagged an input; the default names the labels.
  virtual std::string device_input_error() const;
  /// The flag behind value_'s element: 1 when the last compute() on a device saw a bad input.
  int32_t* device_flag();
  Tensor value_;          ///< the last value, shape [1], on the prediction's device
  Tensor device_labels_;  ///< host labels copied to the device (int32 in float storage)
  bool on_device_ = false;  ///< whether the last forward()/compute() ran on a CUDA device

 protected:
  /// Checks that pred is (N, C) and that labels has N entries, each in [0, C).
  /// @throws nn::Error otherwise, naming type_name().
  void check_labels(const Tensor& pred, Labels labels) const;
  /// Checks that target has pred's shape.
  /// @throws nn::Error otherwise, naming type_name().
  void check_same_shape(const Tensor& pred, const Tensor& target) const;
  Tensor grad_;  ///< dL/dpred, what backward() returns; forward() fills it
  /// Throws the nn::Error of a backward() before any forward().
  [[noreturn]] void no_forward_yet() const;
};

/// A loss with CUDA kernels (all of nn's own): it also is a nn::GraphLoss, so a Trainer can capture
/// whole training steps with it; forward_on_device() is compute() and value_on_device() is
/// value_tensor().
class NN_API DeviceLoss : public Loss, public GraphLoss {
 public:
  /// compute(pred, DeviceLabels{labels, pred.dim(0)}).
  void forward_on_device(const Tensor& pred, const int32_t* labels) override;
  /// compute(pred, target).
  void forward_on_device(const Tensor& pred, const Tensor& target) override;
  /// value_tensor().
  const Tensor& value_on_device() const override { return value_tensor(); }
};

/// Mean squared error over all elements: mean((pred - target)^2). Class indices become one-hot
/// rows of width C; with one output per sample ([N, 1]) a label (0 or 1) is the target itself, as in
/// the XOR network. Gradient 2 (pred - target) / numel.
class NN_API MSELoss : public DeviceLoss {
 public:
  using Loss::forward;
  /// mean((pred - target)^2) over all elements; pred and target of any one shape.
  /// @throws nn::Error when the shapes differ or pred is empty.
  float forward(const Tensor& pred, const Tensor& target) override;
  /// pred (N, C) against one-hot rows of the labels, or pred (N, 1) against labels 0/1.
  /// @throws nn::Error when labels.size() != N or a label is out of range.
  float forward(const Tensor& pred, Labels labels) override;
  std::string type_name() const override { return "MSELoss"; }

 protected:
  void forward_cuda(const Tensor& pred, const Tensor& target) override;  ///< the device kernels
  void forward_cuda(const Tensor& pred, DeviceLabels labels) override;   ///< the device kernels
};

/// Binary cross-entropy on probabilities p in [0, 1]:
/// -mean(y log(p + eps) + (1 - y) log(1 - p + eps)). Labels (0 or 1) stand for y of a (N, 1) pred.
/// The mean is over all elements. Use it after a Sigmoid; on logits, BCEWithLogitsLoss is stabler.
class NN_API BCELoss : public DeviceLoss {
 public:
  /// `eps` keeps the logarithms finite at p = 0 and p = 1.
  explicit BCELoss(float eps = 1e-7f) : eps_(eps) {}
  using Loss::forward;
  /// pred: probabilities, any shape; target: y in [0, 1], the same shape.
  /// @throws nn::Error when the shapes differ or pred is empty.
  float forward(const Tensor& pred, const Tensor& target) override;
  /// pred (N, 1) against labels 0 or 1.
  /// @throws nn::Error when pred is not (N, 1), labels.size() != N, or a label is not 0 or 1.
  float forward(const Tensor& pred, Labels labels) override;
  std::string type_name() const override { return "BCELoss"; }

 protected:
  void forward_cuda(const Tensor& pred, const Tensor& target) override;  ///< the device kernels
  void forward_cuda(const Tensor& pred, DeviceLabels labels) override;   ///< the device kernels

 private:
  float eps_;
};

/// Binary cross-entropy on logits z, computed stably as mean(max(z, 0) - z y + log(1 + e^-|z|)).
/// The same as Sigmoid followed by BCELoss, without its loss of precision; gradient
/// (sigmoid(z) - y) / numel. The mean is over all elements.
class NN_API BCEWithLogitsLoss : public DeviceLoss {
 public:
  using Loss::forward;
  /// pred: logits, any shape; target: y in [0, 1], the same shape.
  /// @throws nn::Error when the shapes differ or pred is empty.
  float forward(const Tensor& pred, const Tensor& target) override;
  /// pred (N, 1) logits against labels 0 or 1.
  /// @throws nn::Error when pred is not (N, 1), labels.size() != N, or a label is not 0 or 1.
  float forward(const Tensor& pred, Labels labels) override;
  std::string type_name() const override { return "BCEWithLogitsLoss"; }

 protected:
  void forward_cuda(const Tensor& pred, const Tensor& target) override;  ///< the device kernels
  void forward_cuda(const Tensor& pred, DeviceLabels labels) override;   ///< the device kernels
};

/// Cross-entropy on probabilities (rows of a softmax): -1/N sum_i sum_c y_ic log(p_ic + eps).
/// A prediction outside [0, 1] (logits) is an nn::Error pointing to SoftmaxCrossEntropyLoss.
/// Note that PyTorch's CrossEntropyLoss, which takes logits, is SoftmaxCrossEntropyLoss here.
class NN_API CrossEntropyLoss : public DeviceLoss {
 public:
  /// `eps` keeps the logarithm finite at p = 0.
  explicit CrossEntropyLoss(float eps = 1e-7f) : eps_(eps) {}
  using Loss::forward;
  /// pred (N, C) probabilities against target rows y (N, C), e.g. one-hot; the mean is over N.
  /// @throws nn::Error when pred is not (N, C) with N > 0, the shapes differ, or a value of pred
  ///   is outside [0, 1] (beyond a rounding slack of 1e-3).
  float forward(const Tensor& pred, const Tensor& target) override;
  /// pred (N, C) probabilities against class indices: -mean_i log(p_i,label_i + eps).
  /// @throws nn::Error when pred is not (N, C) with N > 0, labels.size() != N, a label is out of
  ///   [0, C), or a value of pred is outside [0, 1].
  float forward(const Tensor& pred, Labels labels) override;
  std::string type_name() const override { return "CrossEntropyLoss"; }

 protected:
  void forward_cuda(const Tensor& pred, const Tensor& target) override;  ///< the device kernels
  void forward_cuda(const Tensor& pred, DeviceLabels labels) override;   ///< the device kernels
  std::string device_input_error() const override;  ///< names probabilities and labels

 private:
  float eps_;
};

/// The settings of a nn::SoftmaxCrossEntropyLoss.
struct NN_API SoftmaxCrossEntropyOptions {
  /// false: the input is taken as probabilities already (what cancel_softmax() switches to), and
  /// the loss is CrossEntropyLoss with its exact derivative.
  bool softmax = true;
  float eps = 1e-7f;  ///< used only when softmax is false
};

/// Softmax and cross-entropy fused, on logits z: -1/N sum_i (z_i,y_i - logsumexp(z_i)), with
/// gradient (softmax(z) - y) / N. This is what PyTorch calls CrossEntropyLoss. The usual loss of
/// a classifier whose last layer is a Linear (no Softmax layer): the fused form is exact and does
/// not overflow on large logits.
/// @code
/// nn::SoftmaxCrossEntropyLoss loss;
/// float value = loss(logits, labels);   // logits (N, C), labels N class indices
/// @endcode
class NN_API SoftmaxCrossEntropyLoss : public DeviceLoss {
 public:
  /// A fused loss on logits, or (options.softmax false) CrossEntropyLoss on probabilities.
  explicit SoftmaxCrossEntropyLoss(SoftmaxCrossEntropyOptions options = {})
      : options_(options), probability_loss_(options.eps) {}
  using Loss::forward;
  /// Logits (N, C) against target rows y (N, C) (one-hot or soft labels); the mean is over N.
  /// @throws nn::Error when pred is not (N, C) with N > 0 or the shapes differ (and, without the
  ///   softmax, as CrossEntropyLoss).
  float forward(const Tensor& pred, const Tensor& target) override;
  /// Logits (N, C) against class indices: mean_i (logsumexp(z_i) - z_i,label_i).
  /// @throws nn::Error when pred is not (N, C) with N > 0, labels.size() != N or a label is out of
  ///   [0, C) (and, without the softmax, as CrossEntropyLoss).
  float forward(const Tensor& pred, Labels labels) override;
  /// dL/dpred of the last forward(): (softmax(z) - y) / N, or CrossEntropyLoss's gradient without
  /// the softmax. Valid until the next forward().
  /// @throws nn::Error before the first forward().
  const Tensor& backward() const override {
    if (!options_.softmax && !on_device_) return probability_loss_.backward();
    if (!grad_.defined()) no_forward_yet();
    return grad_;
  }
  std::string type_name() const override { return "SoftmaxCrossEntropyLoss"; }

 protected:
  void forward_cuda(const Tensor& pred, const Tensor& target) override;  ///< the device kernels
  void forward_cuda(const Tensor& pred, DeviceLabels labels) override;   ///< the device kernels

 public:
  /// Switches the softmax off: from now on the input is probabilities (a network that ends in a
  /// Softmax layer), and the loss is CrossEntropyLoss. Returns *this.
  SoftmaxCrossEntropyLoss& cancel_softmax() {
    options_.softmax = false;
    return *this;
  }
  bool has_softmax() const { return options_.softmax; }  ///< false once cancel_softmax() ran

 private:
  SoftmaxCrossEntropyOptions options_;
  CrossEntropyLoss probability_loss_;  ///< the loss once the softmax is cancelled
};

/// Another name for the fused loss, SoftmaxCrossEntropyLoss ("multi-class cross-entropy").
using MultiCrossEntropy = SoftmaxCrossEntropyLoss;

}  // namespace nn
