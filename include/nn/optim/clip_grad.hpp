/// @file
/// Gradient clipping, as PyTorch's torch.nn.utils.clip_grad_norm_ and clip_grad_value_: applied to the
/// accumulated Parameter::grad after backward() and before Optimizer::step(). Both work in place and
/// allocate nothing.
/// @code
/// net.backward(loss.backward());
/// nn::clip_grad_norm_(net.parameters(), 1.0f);
/// optimizer.step();
/// @endcode
#pragma once

#include "nn/export.hpp"

#include <span>

#include "nn/layers/module.hpp"

namespace nn {

/// Scales all gradients together so that their total norm (the norm of the vector of every gradient
/// element; norm_type 2, or infinity for the largest magnitude) is at most max_norm:
/// g *= max_norm / (total_norm + 1e-6) when total_norm > max_norm. Returns the total norm before
/// clipping (non-finite when a gradient is; the gradients are then left as they are).
/// @throws nn::Error when max_norm is not a positive finite number or norm_type is neither 2 nor
///   infinity.
NN_API float clip_grad_norm_(std::span<Parameter* const> params, float max_norm, float norm_type = 2.0f);

/// Clamps every gradient element into [-clip_value, clip_value].
/// @throws nn::Error unless clip_value is a positive finite number.
NN_API void clip_grad_value_(std::span<Parameter* const> params, float clip_value);

}  // namespace nn
