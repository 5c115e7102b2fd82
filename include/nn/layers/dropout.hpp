/// @file
/// nn::Dropout, inverted dropout, and its options.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <optional>

#include "nn/layers/module.hpp"
#include "nn/random.hpp"

namespace nn {

/// Where a Dropout layer's masks come from.
struct NN_API DropoutOptions {
  std::optional<uint64_t> seed;  ///< nullopt: drawn from nn::global_rng()
};

/// Dropout (Srivastava et al. 2014), inverted: in training mode each element is zeroed with
/// probability p and the others are scaled by 1 / (1 - p), so evaluation mode is the identity.
/// Works elementwise on any shape. The mask comes from an nn::Rng the layer owns, seeded at
/// construction from nn::global_rng() (so one nn::manual_seed drives it) or from options.seed;
/// its state can be read and restored, for checkpoints. Call eval() before evaluating.
class NN_API Dropout : public Module {
 public:
  /// Drops each element with probability `p` (PyTorch's default 0.5); p = 1 zeroes everything.
  /// @throws nn::Error when p is outside [0, 1].
  explicit Dropout(float p = 0.5f, DropoutOptions options = {});

  /// Training: y = x * mask, mask = 0 with probability p, else 1 / (1 - p); a new mask per call.
  /// On a CUDA device the mask of draw k is nn::dropout_keeps(seed, k, i, p) (Philox, the same bits
  /// on the host), the seed drawn once from this layer's generator, k counted on the device.
  /// Evaluation: y = x.
  const Tensor& forward(const Tensor& x) override;
  /// dx = dy * mask (training), dy (evaluation).
  /// @throws nn::Error when no forward came first or dy's shape differs from the output's.
  const Tensor& backward(const Tensor& dy) override;
  std::string type_name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  std::string spec_name() const override { return "dropout"; }
  nlohmann::json settings() const override;  ///< p

  float p() const { return p_; }  ///< the drop probability
  /// The mask generator, registered as the module's random generator "rng" (Module::named_rngs).
  Rng::State rng_state() const { return rng_->state(); }
  /// Restores the mask generator's state, as rng_state() returned it, so the next masks repeat.
  void set_rng_state(const Rng::State& state) { rng_->set_state(state); }

 private:
  const Tensor& forward_cuda(const Tensor& x);  ///< forward() of an input on a CUDA device
  float p_;
  Rng* rng_;
  bool ran_ = false;
  bool masked_ = false;  ///< whether the last forward applied a mask (training mode)
  Tensor mask_, y_, dx_;
  Tensor device_state_;  ///< on a CUDA device: the mask seed and the draw counter (two 64-bit words)
};

}  // namespace nn
