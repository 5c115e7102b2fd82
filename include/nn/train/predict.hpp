/// @file
/// @brief Batched inference into a caller's buffer (nn::train::predict on a tensor).
#pragma once

#include "nn/export.hpp"

#include <cstdint>

#include "nn/layers/module.hpp"
#include "nn/tensor.hpp"

namespace nn::train {

/// The model's outputs for every sample of x, computed batch_size samples at a time in evaluation
/// mode (the model's mode is restored afterwards).
///
/// x: [N, sample...] as the model takes it. out is resized to [N, output...] (the model's output
/// shape per sample; [0, 0] when N is 0) and reuses its capacity, so repeated calls of the same
/// size allocate nothing once the buffers are sized. A single batch (N <= batch_size) runs on x
/// itself; otherwise each batch is copied into a buffer of the call.
/// `out` is in the host's memory. For a model on a GPU (Module::to), each batch of x is copied
/// there and its outputs back; x may be on either device.
/// @throws nn::Error when batch_size <= 0, x has rank 0, `out` is `x`, or the model's output does
/// not have one row per sample.
NN_API void predict(Module& model, const Tensor& x, Tensor& out, int64_t batch_size = 1000);

}  // namespace nn::train
