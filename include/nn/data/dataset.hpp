/// @file
/// @brief nn::data::Dataset, the in-memory dataset every loader, trainer and metric reads.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace nn::data {

/// N samples of a fixed shape, with class labels (classification) or a target tensor (regression).
///
/// Features are stored as float32 ([N, ...]), or as uint8 with a scale (images: 4x less memory) and
/// turned into float32 only when a batch is gathered. A Dataset owns its storage; it is move-only
/// (clone() copies). References returned by the accessors stay valid until the dataset is modified
/// (reshape_samples, to_float, keep, a transform) or moved. Concurrent const use is safe.
/// @code
/// auto d = nn::data::Dataset::classification(x, labels);  // x: [N, F], labels: N class indices
/// auto [train, test] = nn::data::train_test_split(d, 0.2, 1);
/// @endcode
class NN_API Dataset {
 public:
  Dataset() = default;  ///< an empty dataset (size() 0)
  /// A classification dataset. x: [N, ...] float32 features; labels: N class indices in
  /// [0, num_classes). num_classes 0 means 1 + the largest label.
  /// @throws nn::Error when x has rank 0, the label count differs from N, or a label is out of range.
  static Dataset classification(Tensor x, std::vector<int32_t> labels, int64_t num_classes = 0);
  /// A regression dataset. x: [N, ...]; targets: [N, ...] float32 ([N, 1] for one target).
  /// @throws nn::Error when either has rank 0 or their first dimensions differ.
  static Dataset regression(Tensor x, Tensor targets);
  /// A classification dataset of uint8 features (N * sample_shape.numel() bytes, sample after
  /// sample), scaled by `scale` when gathered (1/255 maps pixels to [0, 1]); sample_shape excludes N.
  /// @throws nn::Error when the byte count is not N samples of sample_shape, or a label is out of range.
  static Dataset classification_u8(std::vector<uint8_t> x, Shape sample_shape, std::vector<int32_t> labels,
                                   int64_t num_classes = 0, float scale = 1.0f / 255.0f);

  Dataset(Dataset&&) noexcept = default;             ///< moves the storage; the source is left empty
  Dataset& operator=(Dataset&&) noexcept = default;  ///< moves the storage; the source is left empty
  Dataset clone() const;  ///< a deep copy (datasets are not copyable implicitly: they can be large)

  int64_t size() const { return n_; }    ///< N, the number of samples
  bool empty() const { return n_ == 0; }  ///< true when there are no samples
  const Shape& sample_shape() const { return sample_shape_; }  ///< the shape of one sample, without N ([F], [C, H, W])
  int64_t sample_numel() const { return sample_numel_; }  ///< features per sample
  bool is_classification() const { return !targets_.defined(); }  ///< labels (true) or targets (false)
  int64_t num_classes() const { return num_classes_; }  ///< K, the number of classes (classification only)
  const std::vector<int32_t>& labels() const { return labels_; }  ///< N class indices in [0, K) (classification only)
  const Tensor& targets() const { return targets_; }  ///< regression only
  int64_t target_numel() const;                       ///< per sample: targets' width, or 1
  bool is_u8() const { return n_ > 0 && !x_.defined(); }  ///< features stored as uint8 (until to_float())
  float u8_scale() const { return u8_scale_; }  ///< the factor uint8 features are multiplied by when gathered
  const std::vector<uint8_t>& features_u8() const { return x_u8_; }  ///< uint8 storage (N * sample_numel() bytes); empty for float data
  const Tensor& features() const { return x_; }  ///< float32 storage ([N, ...]); empty for uint8 data
  /// Views every sample with another shape of the same size ([784] as [1, 28, 28]); no data moves.
  /// @throws nn::Error when sample_shape.numel() differs from sample_numel().
  void reshape_samples(const Shape& sample_shape);
  /// Converts uint8 storage to float32 (scaled); no-op for float data. Needed before a transform.
  void to_float();
  Tensor& mutable_features();  ///< float32 storage, converting first if needed

  /// Writes samples `indices` as float32 rows into x_out ([indices.size(), sample_numel]) and their
  /// labels or targets into the other outputs (the one that applies; the other may be null).
  /// @throws nn::Error when an index is out of range.
  void gather(std::span<const int64_t> indices, float* x_out, int32_t* labels_out, float* targets_out) const;
  /// The samples at `indices` (in that order; repeats allowed), as a new dataset of the same kind,
  /// name and class names. @throws nn::Error when an index is out of range.
  Dataset subset(std::span<const int64_t> indices) const;
  /// Makes this dataset subset(indices) in place, with no second copy of the data: the rows are
  /// permuted where they are, then the rest dropped (the storage keeps its capacity). Indices must
  /// be distinct and in range (nn::Error otherwise).
  void keep(std::span<const int64_t> indices);
  /// Feature j (0 <= j < sample_numel()) of one sample, as float (uint8 data scaled); not
  /// bounds-checked.
  float feature(int64_t sample, int64_t j) const;

  /// A name for messages ("fashion-mnist train", "blobs").
  std::string name;
  /// The name of each class, by label, when known (text labels of a CSV, Fashion-MNIST); may be empty.
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
