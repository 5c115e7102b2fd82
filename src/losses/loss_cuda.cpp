// The losses on a CUDA device (the CPU versions are in loss.cpp): the same checks of shapes on the
// host, the arithmetic in nn::ops::cuda, the value left on the device until value() reads it.
#include <cstring>

#include "nn/error.hpp"
#include "nn/losses/loss.hpp"
#include "../cuda/runtime.hpp"
#include "../ops/cuda/device_check.hpp"
#include "../ops/cuda/ops_cuda.hpp"

namespace nn {

namespace cu = ops::cuda;

void Loss::compute(const Tensor& pred, const Tensor& target) {
  if (!pred.is_cuda()) {
    const float v = forward(pred, target);
    value_.resize(Shape{1}, Device::cpu());
    value_[0] = v;
    on_device_ = false;
    return;
  }
  cu::check_device(target, pred.device(), type_name(), "the target");
  forward_cuda(pred, target);
}

void Loss::compute(const Tensor& pred, DeviceLabels labels) {
  NN_CHECK(pred.is_cuda(), type_name(), ": expected a prediction on a CUDA device with device labels, found one on ",
           pred.device().str());
  NN_CHECK(pred.rank() == 2 && labels.size == pred.dim(0), type_name(), ": prediction ", pred.shape().str(),
           " with ", labels.size, " labels: expected a prediction of shape [N, C] and N labels");
  forward_cuda(pred, labels);
}

const Tensor& Loss::value_tensor() const {
  if (!value_.defined()) no_forward_yet();
  return value_;
}

float Loss::value() const {
  if (!value_.defined()) no_forward_yet();
  if (!value_.is_cuda()) return value_[0];
  // The value and the flag behind it, in one copy (one wait).
  float both[2];
  nn::cuda::detail::copy_d2h(both, value_.data(), sizeof both);
  int32_t bad = 0;
  std::memcpy(&bad, &both[1], sizeof bad);
  if (bad != 0) fail(device_input_error());
  return both[0];
}

void DeviceLoss::forward_on_device(const Tensor& pred, const int32_t* labels) {
  NN_CHECK(pred.rank() == 2, type_name(), ": expected prediction of shape [N, C] with class indices, found ",
           pred.shape().str());
  compute(pred, DeviceLabels{labels, pred.dim(0)});
}

void DeviceLoss::forward_on_device(const Tensor& pred, const Tensor& target) { compute(pred, target); }

std::string Loss::device_input_error() const {
  return type_name() + ": a label was out of range for the prediction's classes (found on the device)";
}

std::string CrossEntropyLoss::device_input_error() const {
  return type_name() + ": expected probabilities in [0, 1] (rows of a softmax) and labels in range, found a value "
                       "outside (on the device); for logits use the fused softmax cross-entropy "
                       "(SoftmaxCrossEntropyLoss, --loss cross-entropy)";
}

void Loss::forward_cuda(const Tensor&, const Tensor&) {
  fail(type_name(), ": no CUDA version of this loss; compute it on the CPU");
}

void Loss::forward_cuda(const Tensor&, DeviceLabels) {
  fail(type_name(), ": no CUDA version of this loss against class indices; compute it on the CPU");
}

void Loss::prepare_device_value(const Tensor& pred) {
  // Storage for two floats: the value, then the int32 flag (device_flag()); the tensor shows one.
  value_.resize(Shape{2}, pred.device());
  value_.resize(Shape{1}, pred.device());
  on_device_ = true;
}

int32_t* Loss::device_flag() { return reinterpret_cast<int32_t*>(value_.data() + 1); }

float Loss::forward_and_read(const Tensor& pred, const Tensor& target) {
  compute(pred, target);
  return value();
}

float Loss::forward_and_read(const Tensor& pred, Labels labels) {
  NN_CHECK(pred.rank() == 2, type_name(), ": expected prediction of shape [N, C] with class indices, found ",
           pred.shape().str());
  NN_CHECK(static_cast<int64_t>(labels.size()) == pred.dim(0), type_name(), ": prediction ", pred.shape().str(),
           " has batch size ", pred.dim(0), " but ", labels.size(), " labels were given");
  device_labels_.resize(Shape{static_cast<int64_t>(labels.size())}, pred.device());
  if (!labels.empty()) nn::cuda::detail::copy_h2d(device_labels_.data(), labels.data(), labels.size_bytes());
  forward_cuda(pred, DeviceLabels{cu::as_int32(device_labels_), static_cast<int64_t>(labels.size())});
  return value();
}

namespace {

// A non-empty prediction, as on the CPU.
void check_nonempty(const Loss& loss, const Tensor& pred) {
  NN_CHECK(pred.numel() > 0, loss.type_name(), ": expected a non-empty prediction, found ", pred.shape().str());
}

// (N, C) with N > 0, the shape the row-wise losses need.
void check_rows(const Loss& loss, const Tensor& pred, const char* what) {
  NN_CHECK(pred.rank() == 2, loss.type_name(), ": expected ", what, " of shape [N, C], found ", pred.shape().str());
  NN_CHECK(pred.dim(0) > 0, loss.type_name(), ": expected a non-empty batch, found ", pred.shape().str());
}

// pred (N, 1) for the binary losses against class indices.
void check_binary(const Loss& loss, const Tensor& pred) {
  NN_CHECK(pred.rank() == 2 && pred.dim(1) == 1, loss.type_name(),
           ": expected prediction of shape [N, 1] with 0/1 labels, found ", pred.shape().str());
  NN_CHECK(pred.dim(0) > 0, loss.type_name(), ": expected a non-empty prediction, found ", pred.shape().str());
}

}  // namespace

// ---- MSE ----------------------------------------------------------------------------------------

void MSELoss::forward_cuda(const Tensor& pred, const Tensor& target) {
  check_same_shape(pred, target);
  check_nonempty(*this, pred);
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  nn::cuda::detail::memset_zero(device_flag(), sizeof(int32_t));
  cu::mse(pred.data(), target.data(), grad_.data(), pred.numel(), value_.data());
}

void MSELoss::forward_cuda(const Tensor& pred, DeviceLabels labels) {
  check_rows(*this, pred, "prediction");
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  cu::mse_labels(pred.data(), labels.data, grad_.data(), pred.dim(0), pred.dim(1), value_.data(), device_flag());
}

// ---- BCE ----------------------------------------------------------------------------------------

void BCELoss::forward_cuda(const Tensor& pred, const Tensor& target) {
  check_same_shape(pred, target);
  check_nonempty(*this, pred);
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  nn::cuda::detail::memset_zero(device_flag(), sizeof(int32_t));
  cu::bce(pred.data(), target.data(), grad_.data(), pred.numel(), eps_, value_.data());
}

void BCELoss::forward_cuda(const Tensor& pred, DeviceLabels labels) {
  check_binary(*this, pred);
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  cu::bce_labels(pred.data(), labels.data, grad_.data(), pred.dim(0), eps_, value_.data(), device_flag());
}

void BCEWithLogitsLoss::forward_cuda(const Tensor& pred, const Tensor& target) {
  check_same_shape(pred, target);
  check_nonempty(*this, pred);
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  nn::cuda::detail::memset_zero(device_flag(), sizeof(int32_t));
  cu::bce_logits(pred.data(), target.data(), grad_.data(), pred.numel(), value_.data());
}

void BCEWithLogitsLoss::forward_cuda(const Tensor& pred, DeviceLabels labels) {
  check_binary(*this, pred);
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  cu::bce_logits_labels(pred.data(), labels.data, grad_.data(), pred.dim(0), value_.data(), device_flag());
}

// ---- cross-entropy on probabilities -------------------------------------------------------------

void CrossEntropyLoss::forward_cuda(const Tensor& pred, const Tensor& target) {
  check_rows(*this, pred, "prediction");
  check_same_shape(pred, target);
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  cu::cross_entropy(pred.data(), target.data(), grad_.data(), pred.dim(0), pred.dim(1), eps_, value_.data(),
                    device_flag());
}

void CrossEntropyLoss::forward_cuda(const Tensor& pred, DeviceLabels labels) {
  check_rows(*this, pred, "prediction");
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  cu::cross_entropy_labels(pred.data(), labels.data, grad_.data(), pred.dim(0), pred.dim(1), eps_, value_.data(),
                           device_flag());
}

// ---- fused softmax cross-entropy ----------------------------------------------------------------

void SoftmaxCrossEntropyLoss::forward_cuda(const Tensor& pred, const Tensor& target) {
  check_rows(*this, pred, "logits");
  check_same_shape(pred, target);
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  if (!options_.softmax) {  // CrossEntropyLoss's kernels, with this loss's buffers
    cu::cross_entropy(pred.data(), target.data(), grad_.data(), pred.dim(0), pred.dim(1), options_.eps,
                      value_.data(), device_flag());
    return;
  }
  nn::cuda::detail::memset_zero(device_flag(), sizeof(int32_t));
  cu::softmax_cross_entropy(pred.data(), target.data(), grad_.data(), pred.dim(0), pred.dim(1), value_.data());
}

void SoftmaxCrossEntropyLoss::forward_cuda(const Tensor& pred, DeviceLabels labels) {
  check_rows(*this, pred, "logits");
  prepare_device_value(pred);
  grad_.resize(pred.shape(), pred.device());
  if (!options_.softmax) {
    cu::cross_entropy_labels(pred.data(), labels.data, grad_.data(), pred.dim(0), pred.dim(1), options_.eps,
                             value_.data(), device_flag());
    return;
  }
  cu::softmax_cross_entropy_labels(pred.data(), labels.data, grad_.data(), pred.dim(0), pred.dim(1), value_.data(),
                                   device_flag());
}

}  // namespace nn
