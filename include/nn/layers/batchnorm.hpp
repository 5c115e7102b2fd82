// Batch normalisation (Ioffe & Szegedy 2015) with PyTorch's semantics. BatchNorm1d takes (N, C)
// or (N, C, L), BatchNorm2d (N, C, H, W); each channel is normalised over all its other indices.
// Training mode: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's mean and biased
// variance, and running_mean/running_var move by `momentum` towards the batch mean and the
// unbiased variance; backward is the exact derivative through the batch statistics.
// Evaluation mode: the running statistics are used instead (and backward treats them as
// constants). Parameters: weight (C, ones), bias (C, zeros). Buffers: running_mean (C, zeros),
// running_var (C, ones), num_batches_tracked (a scalar; float32 here, counting exactly to 2^24).
// C is given, or inferred (BatchNorm1d::inferred(), BatchNorm2d::inferred()) from the first
// forward or Module::build; the parameters and buffers exist (empty) from the start.
#pragma once

#include "nn/export.hpp"

#include "nn/layers/module.hpp"

namespace nn {

struct NN_API BatchNormOptions {
  float eps = 1e-5f;
  float momentum = 0.1f;  ///< running = (1 - momentum) running + momentum batch
  bool affine = true;     ///< false: no weight and bias (1 and 0)
};

class NN_API BatchNorm : public Module {
 public:
  const Tensor& forward(const Tensor& x) override;
  const Tensor& backward(const Tensor& dy) override;
  std::string extra_repr() const override;
  std::string spec_name() const override { return "batchnorm"; }
  nlohmann::json settings() const override;  ///< features, eps, momentum
  /// Checks samples of shape [C], [C, L] (1d) or [C, H, W] (2d); the output has the same shape.
  Shape build(const Shape& input) override;

  int64_t num_features() const { return c_; }  ///< 0 until inferred
  /// Sets C and sizes the parameters and buffers (what the first forward does when C is inferred).
  void initialize(int64_t num_features);
  const BatchNormOptions& options() const { return options_; }
  Parameter* weight() { return weight_; }
  Parameter* bias() { return bias_; }
  Tensor& running_mean() { return *running_mean_; }
  Tensor& running_var() { return *running_var_; }
  Tensor& num_batches_tracked() { return *num_batches_; }

 protected:
  struct Inferred {};
  BatchNorm(const char* name, int64_t num_features, BatchNormOptions options);
  BatchNorm(const char* name, Inferred, BatchNormOptions options);
  /// The rank and layout this type accepts, for the shape check.
  virtual bool accepts_rank(int rank) const = 0;
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

class NN_API BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm1d", num_features, options) {}
  /// C taken from the input.
  static BatchNorm1d inferred(BatchNormOptions options = {}) { return BatchNorm1d(Inferred{}, options); }
  std::string type_name() const override { return "BatchNorm1d"; }

 protected:
  BatchNorm1d(Inferred tag, BatchNormOptions options) : BatchNorm("BatchNorm1d", tag, options) {}
  bool accepts_rank(int rank) const override { return rank == 2 || rank == 3; }
  const char* layout() const override { return "[N, C] or [N, C, L]"; }
};

class NN_API BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm2d", num_features, options) {}
  /// C taken from the input.
  static BatchNorm2d inferred(BatchNormOptions options = {}) { return BatchNorm2d(Inferred{}, options); }
  std::string type_name() const override { return "BatchNorm2d"; }

 protected:
  BatchNorm2d(Inferred tag, BatchNormOptions options) : BatchNorm("BatchNorm2d", tag, options) {}
  bool accepts_rank(int rank) const override { return rank == 4; }
  const char* layout() const override { return "[N, C, H, W]"; }
};

}  // namespace nn
