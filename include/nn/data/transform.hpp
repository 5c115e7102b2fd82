/// @file
/// @brief Per-feature scaling (nn::data::StandardScaler, nn::data::MinMaxScaler) and one-hot labels.
///
/// The scalers are fitted on the training part only, then applied to every part (and later to the
/// inputs of `nn predict`). Features are scaled one by one: each of a sample's sample_numel() values
/// is a feature (every pixel of an image, say). transform() works in place on float32 storage and
/// converts a uint8 dataset with Dataset::to_float() first. transform() throws nn::Error when the
/// scaler is not fitted or the samples' width differs from num_features(). A fitted scaler may be
/// used from several threads at once.
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
  /// Computes each feature's mean and population standard deviation on `data` (float32 or uint8).
  /// @return *this. @throws nn::Error for an empty dataset.
  StandardScaler& fit(const Dataset& data);
  /// Scales the features of `data` in place (converting uint8 storage to float32 first).
  void transform(Dataset& data) const;
  /// x: [N, ...] with sample_numel == num_features(), scaled in place.
  void transform(Tensor& x) const;
  /// Undoes transform(): x = x' * scale + mean, in place; x: [N, ...] as for transform().
  void inverse_transform(Tensor& x) const;

  bool fitted() const { return !mean_.empty(); }  ///< true once fit() or set_state() gave it a state
  int64_t num_features() const { return static_cast<int64_t>(mean_.size()); }  ///< features it was fitted on; 0 before
  const std::vector<float>& mean() const { return mean_; }    ///< the mean of each feature
  const std::vector<float>& scale() const { return scale_; }  ///< the divisor of each feature (> 0)
  /// Restores a fitted state (from a saved model): equal, non-zero sizes, finite scales > 0
  /// (nn::Error otherwise).
  void set_state(std::vector<float> mean, std::vector<float> scale);

 private:
  std::vector<float> mean_, scale_;
};

/// x' = (x - data_min) * scale + low with scale = (high - low) / (data_max - data_min), mapping the
/// training range of each feature onto [low, high] (a constant feature is shifted to `low`).
class NN_API MinMaxScaler {
 public:
  /// An unfitted scaler onto [low, high]. @throws nn::Error unless low < high.
  explicit MinMaxScaler(float low = 0.0f, float high = 1.0f);
  /// Records each feature's minimum and maximum on `data`. @return *this.
  /// @throws nn::Error for an empty dataset.
  MinMaxScaler& fit(const Dataset& data);
  /// Scales the features of `data` in place (converting uint8 storage to float32 first).
  void transform(Dataset& data) const;
  void transform(Tensor& x) const;  ///< x: [N, ...] with num_features() values per sample, in place
  /// Undoes transform(): x = (x' - low) / scale + data_min, in place.
  void inverse_transform(Tensor& x) const;

  bool fitted() const { return !data_min_.empty(); }  ///< true once fit() or set_state() gave it a state
  int64_t num_features() const { return static_cast<int64_t>(data_min_.size()); }  ///< features it was fitted on; 0 before
  float low() const { return low_; }    ///< the lower end of the target range
  float high() const { return high_; }  ///< the upper end of the target range
  const std::vector<float>& data_min() const { return data_min_; }  ///< each feature's training minimum
  const std::vector<float>& data_max() const { return data_max_; }  ///< each feature's training maximum
  /// Restores a fitted state (from a saved model): equal, non-zero sizes and data_min <= data_max
  /// (nn::Error otherwise).
  void set_state(std::vector<float> data_min, std::vector<float> data_max);

 private:
  float low_, high_;
  std::vector<float> data_min_, data_max_;
  std::vector<float> scale_;  // (high - low) / (data_max - data_min), 1 for a constant feature
  void derive();
};

/// One-hot encoding: [N, num_classes] float32 zeros with a 1 at (i, labels[i]).
/// @throws nn::Error when num_classes <= 0 or a label is outside [0, num_classes).
NN_API Tensor one_hot(std::span<const int32_t> labels, int64_t num_classes);

}  // namespace nn::data
