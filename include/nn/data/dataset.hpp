// Dataset: N samples of a fixed shape, with class labels (classification) or a target tensor
// (regression). Features are stored as float32, or as uint8 with a scale (images: 4x less memory)
// and turned into float32 only when a batch is gathered.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace nn::data {

class NN_API Dataset {
 public:
  Dataset() = default;
  /// x: [N, ...] float32 features; labels: N class indices in [0, num_classes). num_classes 0
  /// means 1 + the largest label.
  static Dataset classification(Tensor x, std::vector<int32_t> labels, int64_t num_classes = 0);
  /// x: [N, ...]; targets: [N, ...] float32.
  static Dataset regression(Tensor x, Tensor targets);
  /// uint8 features scaled by `scale` when gathered (1/255 maps pixels to [0, 1]); sample_shape
  /// excludes N.
  static Dataset classification_u8(std::vector<uint8_t> x, Shape sample_shape, std::vector<int32_t> labels,
                                   int64_t num_classes = 0, float scale = 1.0f / 255.0f);

  Dataset(Dataset&&) noexcept = default;
  Dataset& operator=(Dataset&&) noexcept = default;
  Dataset clone() const;

  int64_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const Shape& sample_shape() const { return sample_shape_; }
  int64_t sample_numel() const { return sample_numel_; }  ///< features per sample
  bool is_classification() const { return !targets_.defined(); }
  int64_t num_classes() const { return num_classes_; }
  const std::vector<int32_t>& labels() const { return labels_; }
  const Tensor& targets() const { return targets_; }  ///< regression only
  int64_t target_numel() const;                       ///< per sample: targets' width, or 1
  bool is_u8() const { return n_ > 0 && !x_.defined(); }
  float u8_scale() const { return u8_scale_; }
  const std::vector<uint8_t>& features_u8() const { return x_u8_; }
  const Tensor& features() const { return x_; }  ///< float32 storage ([N, ...]); empty for uint8 data
  /// Views every sample with another shape of the same size ([784] as [1, 28, 28]).
  void reshape_samples(const Shape& sample_shape);
  /// Converts uint8 storage to float32 (scaled); no-op for float data. Needed before a transform.
  void to_float();
  Tensor& mutable_features();  ///< float32 storage, converting first if needed

  /// Writes samples `indices` as float32 rows into x_out ([indices.size(), sample_numel]) and their
  /// labels or targets into the other outputs (the one that applies).
  void gather(std::span<const int64_t> indices, float* x_out, int32_t* labels_out, float* targets_out) const;
  /// The samples at `indices`, as a new dataset of the same kind.
  Dataset subset(std::span<const int64_t> indices) const;
  /// Makes this dataset subset(indices) in place, with no second copy of the data: the rows are
  /// permuted where they are, then the rest dropped (the storage keeps its capacity). Indices must
  /// be distinct.
  void keep(std::span<const int64_t> indices);
  /// One feature of one sample, as float.
  float feature(int64_t sample, int64_t j) const;

  /// A name for messages ("fashion-mnist train", "blobs").
  std::string name;
  std::vector<std::string> class_names;

 private:
  void check_labels() const;
  int64_t n_ = 0;
  Shape sample_shape_;
  int64_t sample_numel_ = 0;
  Tensor x_;
  std::vector<uint8_t> x_u8_;
  float u8_scale_ = 1.0f;
  std::vector<int32_t> labels_;
  Tensor targets_;
  int64_t num_classes_ = 0;
};

}  // namespace nn::data
