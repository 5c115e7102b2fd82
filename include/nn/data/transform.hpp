// Feature scaling fitted on the training part only, then applied to every part (and later to the
// inputs of `nn predict`). Features are scaled one by one: each of a sample's sample_numel() values
// is a feature (every pixel of an image, say). transform() works in place on float32 storage and
// converts a uint8 dataset with Dataset::to_float() first.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/tensor.hpp"

namespace nn::data {

/// x' = (x - mean) / scale, scale = the population standard deviation (1 where it is 0), like
/// scikit-learn's StandardScaler.
class NN_API StandardScaler {
 public:
  StandardScaler& fit(const Dataset& data);
  void transform(Dataset& data) const;
  /// x: [N, ...] with sample_numel == num_features().
  void transform(Tensor& x) const;
  void inverse_transform(Tensor& x) const;

  bool fitted() const { return !mean_.empty(); }
  int64_t num_features() const { return static_cast<int64_t>(mean_.size()); }
  const std::vector<float>& mean() const { return mean_; }
  const std::vector<float>& scale() const { return scale_; }
  /// Restores a fitted state (from a saved model): equal sizes, scales > 0.
  void set_state(std::vector<float> mean, std::vector<float> scale);

 private:
  std::vector<float> mean_, scale_;
};

/// x' = (x - data_min) * scale + low with scale = (high - low) / (data_max - data_min), mapping the
/// training range of each feature onto [low, high] (a constant feature is shifted to `low`).
class NN_API MinMaxScaler {
 public:
  explicit MinMaxScaler(float low = 0.0f, float high = 1.0f);
  MinMaxScaler& fit(const Dataset& data);
  void transform(Dataset& data) const;
  void transform(Tensor& x) const;
  void inverse_transform(Tensor& x) const;

  bool fitted() const { return !data_min_.empty(); }
  int64_t num_features() const { return static_cast<int64_t>(data_min_.size()); }
  float low() const { return low_; }
  float high() const { return high_; }
  const std::vector<float>& data_min() const { return data_min_; }
  const std::vector<float>& data_max() const { return data_max_; }
  void set_state(std::vector<float> data_min, std::vector<float> data_max);

 private:
  float low_, high_;
  std::vector<float> data_min_, data_max_;
  std::vector<float> scale_;  ///< (high - low) / (data_max - data_min), 1 for a constant feature
  void derive();
};

/// [N, num_classes] with a 1 at (i, labels[i]).
NN_API Tensor one_hot(std::span<const int32_t> labels, int64_t num_classes);

}  // namespace nn::data
