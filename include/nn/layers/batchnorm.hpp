/// @file
/// Batch normalisation (Ioffe & Szegedy 2015) with PyTorch's semantics: nn::BatchNorm1d and
/// nn::BatchNorm2d, and their common base nn::BatchNorm.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/module.hpp"

namespace nn {

/// The settings of a batch normalisation layer (PyTorch's defaults).
struct NN_API BatchNormOptions {
  float eps = 1e-5f;      ///< added to the variance before the square root; > 0
  float momentum = 0.1f;  ///< running = (1 - momentum) running + momentum batch
  bool affine = true;     ///< false: no weight and bias (1 and 0)
};

/// Batch normalisation, the base of BatchNorm1d and BatchNorm2d; each channel is normalised over
/// all its other indices (the batch and, for images, the positions).
///
/// Training mode: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's mean and biased
/// variance, and running_mean/running_var move by `momentum` towards the batch mean and the
/// unbiased variance; backward is the exact derivative through the batch statistics.
/// Evaluation mode: the running statistics are used instead (and backward treats them as
/// constants). Parameters: weight (C, ones), bias (C, zeros). Buffers: running_mean (C, zeros),
/// running_var (C, ones), num_batches_tracked (a scalar; float32 here, counting exactly to 2^24).
/// C is given, or inferred (BatchNorm1d::inferred(), BatchNorm2d::inferred()) from the first
/// forward or Module::build; the parameters and buffers exist (empty) from the start.
class NN_API BatchNorm : public Module {
 public:
  /// Normalises x ((N, C), (N, C, L) or (N, C, H, W), by the type); y has x's shape. Training mode
  /// also updates the running statistics. A deferred layer takes C from x first.
  /// @throws nn::Error when x has the wrong rank or C, or, in training mode, when a channel has only
  ///   one value (N * L or N * H * W is 1).
  const Tensor& forward(const Tensor& x) override;
  /// dy (x's shape) -> dx (x's shape); adds dL/dweight and dL/dbias into their gradients.
  /// @throws nn::Error when no forward came first or dy's shape differs from the output's.
  const Tensor& backward(const Tensor& dy) override;
  std::string extra_repr() const override;
  std::string spec_name() const override { return "batchnorm"; }
  nlohmann::json settings() const override;  ///< features, eps, momentum
  /// Checks samples of shape [C], [C, L] (1d) or [C, H, W] (2d); the output has the same shape.
  Shape build(const Shape& input) override;

  int64_t num_features() const { return c_; }  ///< 0 until inferred
  /// Sets C and sizes the parameters and buffers (what the first forward does when C is inferred).
  /// @throws nn::Error when C is already set or num_features <= 0.
  void initialize(int64_t num_features);
  const BatchNormOptions& options() const { return options_; }  ///< the options it was built with
  Parameter* weight() { return weight_; }  ///< gamma, (C); null without affine. Valid for the layer's lifetime
  Parameter* bias() { return bias_; }      ///< beta, (C); null without affine. Valid for the layer's lifetime
  Tensor& running_mean() { return *running_mean_; }  ///< the buffer "running_mean", (C)
  Tensor& running_var() { return *running_var_; }    ///< the buffer "running_var", (C), unbiased
  /// The buffer "num_batches_tracked": the training batches seen, a float32 scalar.
  Tensor& num_batches_tracked() { return *num_batches_; }

 protected:
  /// The tag of the constructor that leaves C to be inferred.
  struct Inferred {};
  /// A layer with C = num_features; `name` ("BatchNorm1d") is for error messages.
  /// @throws nn::Error when num_features <= 0, eps <= 0 or momentum is outside [0, 1].
  BatchNorm(const char* name, int64_t num_features, BatchNormOptions options);
  /// A layer whose C is inferred from the first input; `name` is for error messages.
  /// @throws nn::Error when eps <= 0 or momentum is outside [0, 1].
  BatchNorm(const char* name, Inferred, BatchNormOptions options);
  /// The rank and layout this type accepts, for the shape check.
  virtual bool accepts_rank(int rank) const = 0;
  /// The accepted input shapes as an error message shows them ("[N, C, H, W]").
  virtual const char* layout() const = 0;

 private:
  int64_t c_;
  BatchNormOptions options_;
  Parameter* weight_ = nullptr;
  Parameter* bias_ = nullptr;
  Tensor* running_mean_ = nullptr;
  Tensor* running_var_ = nullptr;
  Tensor* num_batches_ = nullptr;
  const Tensor* x_ = nullptr;
  bool batch_stats_ = false;  ///< whether the last forward used the batch's statistics
  Tensor mean_, var_, invstd_;  ///< (C): the last training batch's statistics
  Tensor y_, dx_;
};

/// Batch normalisation of (N, C) features or (N, C, L) sequences, per channel C (PyTorch's
/// BatchNorm1d). See BatchNorm for the formulas, parameters and buffers.
/// @code
/// nn::Sequential net(nn::Linear(784, 128), nn::BatchNorm1d(128), nn::ReLU());
/// @endcode
class NN_API BatchNorm1d : public BatchNorm {
 public:
  /// C = num_features.
  /// @throws nn::Error when num_features <= 0, eps <= 0 or momentum is outside [0, 1].
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm1d", num_features, options) {}
  /// C taken from the input.
  static BatchNorm1d inferred(BatchNormOptions options = {}) { return BatchNorm1d(Inferred{}, options); }
  std::string type_name() const override { return "BatchNorm1d"; }

 protected:
  /// C inferred; what inferred() builds.
  BatchNorm1d(Inferred tag, BatchNormOptions options) : BatchNorm("BatchNorm1d", tag, options) {}
  bool accepts_rank(int rank) const override { return rank == 2 || rank == 3; }  ///< 2 or 3
  const char* layout() const override { return "[N, C] or [N, C, L]"; }        ///< "[N, C] or [N, C, L]"
};

/// Batch normalisation of (N, C, H, W) images, per channel C over the batch and all positions
/// (PyTorch's BatchNorm2d). See BatchNorm for the formulas, parameters and buffers.
class NN_API BatchNorm2d : public BatchNorm {
 public:
  /// C = num_features.
  /// @throws nn::Error when num_features <= 0, eps <= 0 or momentum is outside [0, 1].
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm2d", num_features, options) {}
  /// C taken from the input.
  static BatchNorm2d inferred(BatchNormOptions options = {}) { return BatchNorm2d(Inferred{}, options); }
  std::string type_name() const override { return "BatchNorm2d"; }

 protected:
  /// C inferred; what inferred() builds.
  BatchNorm2d(Inferred tag, BatchNormOptions options) : BatchNorm("BatchNorm2d", tag, options) {}
  bool accepts_rank(int rank) const override { return rank == 4; }  ///< 4
  const char* layout() const override { return "[N, C, H, W]"; }   ///< "[N, C, H, W]"
};

}  // namespace nn
