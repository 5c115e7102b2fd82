/// @file
/// nn::GraphLoss: what a loss offers so that a whole training step on a GPU can be captured into a
/// CUDA graph and replayed: labels read from device memory, the value left on the device.
#pragma once

#include "nn/export.hpp"

#include <cstdint>

#include "nn/tensor.hpp"

namespace nn {

/// A loss whose forward on a GPU needs nothing from the host and reads nothing back, so that the
/// Trainer can capture forward, loss, backward and optimizer step as one CUDA graph. A loss class
/// derives from nn::Loss and from this; the Trainer finds it with dynamic_cast and otherwise runs
/// plain launches, saying so. backward() afterwards is the loss's usual one.
class NN_API GraphLoss {
 public:
  virtual ~GraphLoss() = default;  ///< a base class of losses
  /// Loss::forward(pred, labels) for a prediction on a GPU, with the class indices already there:
  /// `labels` is a device pointer to pred.dim(0) int32 values on pred's device, which the caller
  /// has checked to be in range. Queued on nn's stream; nothing is read back.
  virtual void forward_on_device(const Tensor& pred, const int32_t* labels) = 0;
  /// Loss::forward(pred, target) for a prediction and a dense target on one GPU (target shaped
  /// like pred). Queued on nn's stream; nothing is read back.
  virtual void forward_on_device(const Tensor& pred, const Tensor& target) = 0;
  /// The mean loss of the last forward_on_device(): a one-element tensor on pred's device, written
  /// by the queued work (read it with to_vector(), which waits for it).
  virtual const Tensor& value_on_device() const = 0;
};

}  // namespace nn
