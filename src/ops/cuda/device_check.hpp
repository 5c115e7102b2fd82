// The check every CUDA branch of a layer, loss or optimizer makes first: its tensors live on the
// input's device. Internal (included by src/layers, src/losses, src/optim).
#pragma once

#include <string>

#include "nn/error.hpp"
#include "nn/tensor.hpp"

namespace nn::ops::cuda {

/// Throws nn::Error naming `who` and both devices when `t` is defined but not on `device`.
inline void check_device(const Tensor& t, Device device, const std::string& who, const char* what) {
  if (t.defined() && t.device() != device)
    fail(who, ": ", what, " is on ", t.device().str(), " but the input is on ", device.str(),
         " (move the model with model.to(device))");
}

/// An int32 view of a float tensor's storage (same size and alignment): label and index buffers
/// on the device without a second tensor type.
inline int32_t* as_int32(Tensor& t) { return reinterpret_cast<int32_t*>(t.data()); }

}  // namespace nn::ops::cuda
