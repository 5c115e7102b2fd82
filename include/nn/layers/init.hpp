/// @file
/// Weight initialisation methods (nn::Init) and nn::init_weights, which Linear and Conv2D use to
/// draw their initial weights.
#pragma once

#include "nn/export.hpp"

#include <string>

#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn {

/// How initial weights are drawn, for a layer with `fan_in` inputs per output (in_features for
/// Linear, in_channels * kh * kw for Conv2D). Biases start at zero whatever the method.
enum class Init {
  xavier,    ///< N(0, gain^2 / fan_in): Glorot & Bengio 2010 in the LeCun form; suits tanh and sigmoid
  he,        ///< N(0, gain^2 * 2 / fan_in): He et al. 2015; suits ReLU
  he_leaky,  ///< N(0, gain^2 * 2 / ((1 + alpha^2) fan_in)): He et al. 2015 for a leaky ReLU of slope alpha
  normal,    ///< N(0, gain^2), whatever the fan-in
  uniform    ///< gain * U(-1, 1), whatever the fan-in
};

/// The method and its constants for nn::init_weights.
struct NN_API InitOptions {
  Init method = Init::xavier;  ///< the distribution (default Init::xavier)
  float gain = 1.0f;           ///< scales the standard deviation (or the uniform range)
  float alpha = 0.01f;  ///< the negative slope he_leaky assumes
};

/// Fills `w` by the method, drawing from `rng` (every element, row-major).
/// @throws nn::Error when fan_in <= 0 and `w` is not empty.
NN_API void init_weights(Tensor& w, int64_t fan_in, const InitOptions& options, Rng& rng);

NN_API Init parse_init(const std::string& name);  ///< "xavier", "he", ...; nn::Error listing them otherwise
/// The method's name as parse_init() reads it and model specs write it: "xavier", "he_leaky", ...
NN_API std::string to_string(Init method);

}  // namespace nn
