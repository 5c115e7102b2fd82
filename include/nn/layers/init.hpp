// Weight initialisation methods, as seed 000 defines them (std for a layer with `fan_in` inputs):
//   xavier:   N(0, gain^2 / fan_in)                      (Glorot & Bengio 2010, the LeCun form)
//   he:       N(0, gain^2 * 2 / fan_in)                  (He et al. 2015)
//   he_leaky: N(0, gain^2 * 2 / ((1 + alpha^2) fan_in))  (He et al. 2015, leaky ReLU slope alpha)
//   normal:   N(0, gain^2)
//   uniform:  gain * U(-1, 1)
#pragma once

#include "nn/export.hpp"

#include <string>

#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn {

enum class Init { xavier, he, he_leaky, normal, uniform };

struct NN_API InitOptions {
  Init method = Init::xavier;
  float gain = 1.0f;
  float alpha = 0.01f;  ///< the negative slope he_leaky assumes
};

/// Fills `w` by the method, drawing from `rng`.
NN_API void init_weights(Tensor& w, int64_t fan_in, const InitOptions& options, Rng& rng);

NN_API Init parse_init(const std::string& name);  ///< "xavier", "he", ...; nn::Error listing them otherwise
NN_API std::string to_string(Init method);

}  // namespace nn
