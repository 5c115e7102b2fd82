/// @file
/// Numerical gradient checking by central differences, for any Module and any Loss.
///
/// For a module f, the scalar checked is L(x, theta) = sum_i f(x)_i r_i with a fixed random r, so
/// every output element takes part; backward(r) must give dL/dx and add dL/dtheta into the
/// parameters' gradients. For a loss, L is the loss value itself and backward() gives dL/dpred.
/// Values are computed in float32 by the code under test and accumulated in double; the
/// default step and tolerances hold for float32 on inputs of moderate size away from kinks
/// (ReLU at 0, max pooling with ties).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>

#include "nn/layers/module.hpp"
#include "nn/losses/loss.hpp"

namespace nn {

/// What nn::gradcheck compares and how closely. The defaults suit float32 modules and losses.
struct NN_API GradcheckOptions {
  double step = 1e-2;   ///< central-difference step h: numeric = (L(v + h) - L(v - h)) / 2h
  double atol = 1e-3;   ///< pass when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)
  double rtol = 1e-2;   ///< relative tolerance (see atol)
  bool inputs = true;      ///< check dL/dx
  bool parameters = true;  ///< check dL/dtheta for every parameter
  uint64_t seed = 1234;    ///< for the projection r
};

/// The outcome of nn::gradcheck; converts to bool (true: every derivative within tolerance).
/// @code
/// auto r = nn::gradcheck(layer, x);
/// EXPECT_TRUE(r) << r.message;
/// @endcode
struct NN_API GradcheckResult {
  bool ok = true;            ///< every derivative compared was within tolerance (a NaN fails)
  int64_t checked = 0;       ///< number of scalar derivatives compared
  double max_abs_error = 0;  ///< over all of them
  std::string worst;         ///< where the largest violation (or error) was, e.g. "fc1.weight[3]"
  std::string message;       ///< a one-line summary for test output
  explicit operator bool() const { return ok; }  ///< the same as ok
};

/// Checks `module`'s backward against central differences at input `x`: dL/dx (options.inputs)
/// and dL/dtheta for every parameter (options.parameters). Runs forward 2 * (number of checked
/// elements) + 2 times, so keep x and the layer small. Put the module in the mode to check first
/// (eval() for Dropout, or a fixed mode for BatchNorm); a layer with an inferred input size is
/// built by the first forward. The parameters are restored afterwards; their gradients are left
/// holding the analytic ones. A backward whose dx has the wrong shape is a failure, not an error.
/// @throws nn::Error from the module's own checks (e.g. x of the wrong shape).
NN_API GradcheckResult gradcheck(Module& module, const Tensor& x, const GradcheckOptions& options = {});
/// Checks `loss`'s backward() (dL/dpred) against central differences of its value at `pred`,
/// with a target tensor (MSELoss, BCELoss, one-hot CrossEntropyLoss...).
/// @throws nn::Error from the loss's own checks (e.g. pred and target of different shapes).
NN_API GradcheckResult gradcheck(Loss& loss, const Tensor& pred, const Tensor& target,
                                 const GradcheckOptions& options = {});
/// Checks `loss`'s backward() against central differences at `pred`, with class labels as the
/// target (CrossEntropyLoss, SoftmaxCrossEntropyLoss).
/// @throws nn::Error from the loss's own checks (e.g. a label out of range).
NN_API GradcheckResult gradcheck(Loss& loss, const Tensor& pred, Labels labels, const GradcheckOptions& options = {});

}  // namespace nn
