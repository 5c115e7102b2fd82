// Numerical gradient checking by central differences, for any Module and any Loss.
//
// For a module f, the scalar checked is L(x, theta) = sum_i f(x)_i r_i with a fixed random r, so
// every output element takes part; backward(r) must give dL/dx and add dL/dtheta into the
// parameters' gradients. For a loss, L is the loss value itself and backward() gives dL/dpred.
// Values are computed in float32 by the code under test and accumulated in double here; the
// default step and tolerances hold for float32 on inputs of moderate size away from kinks.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>

#include "nn/layers/module.hpp"
#include "nn/losses/loss.hpp"

namespace nn {

struct NN_API GradcheckOptions {
  double step = 1e-2;   ///< central-difference step h
  double atol = 1e-3;   ///< pass when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)
  double rtol = 1e-2;
  bool inputs = true;      ///< check dL/dx
  bool parameters = true;  ///< check dL/dtheta for every parameter
  uint64_t seed = 1234;    ///< for the projection r
};

struct NN_API GradcheckResult {
  bool ok = true;
  int64_t checked = 0;       ///< number of scalar derivatives compared
  double max_abs_error = 0;  ///< over all of them
  std::string worst;         ///< where the largest violation (or error) was, e.g. "fc1.weight[3]"
  std::string message;       ///< a one-line summary for test output
  explicit operator bool() const { return ok; }
};

NN_API GradcheckResult gradcheck(Module& module, const Tensor& x, const GradcheckOptions& options = {});
NN_API GradcheckResult gradcheck(Loss& loss, const Tensor& pred, const Tensor& target,
                                 const GradcheckOptions& options = {});
NN_API GradcheckResult gradcheck(Loss& loss, const Tensor& pred, Labels labels, const GradcheckOptions& options = {});

}  // namespace nn
