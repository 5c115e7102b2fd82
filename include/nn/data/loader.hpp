/// @file
/// @brief nn::data::DataLoader, the mini-batches of a Dataset, and its options.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/labels.hpp"
#include "nn/tensor.hpp"

namespace nn::data {

/// How a DataLoader cuts a dataset into batches.
struct NN_API LoaderOptions {
  int64_t batch_size = 64;  ///< samples per batch, > 0 (the last batch may be smaller)
  bool shuffle = true;      ///< visit the samples in a new random order every epoch (false: data order)
  bool drop_last = false;  ///< drop a last batch smaller than batch_size
  uint64_t seed = 0;       ///< seed of the shuffles; with the epoch number it fixes each epoch's order
};

/// One batch. x is [B, sample...]; for classification `labels` holds B class indices, for regression
/// `targets` is [B, ...]. Valid until the loader gathers the next batch.
struct NN_API Batch {
  const Tensor& x;        ///< [B, sample...] float32 features (uint8 data already scaled)
  Labels labels;          ///< B class indices (classification); empty for regression
  const Tensor& targets;  ///< [B, ...] float32 targets (regression); not meaningful for classification
  int64_t size;           ///< B, the number of samples in this batch
};

/// Mini-batches of a Dataset, gathered into buffers the loader reuses (no allocation per batch once
/// the first has been made).
///
/// With shuffling, epoch e visits the samples in a permutation drawn from the seed and e alone, so
/// any batch of any epoch can be produced again (an exact resume). A loader is not thread-safe: one
/// thread gathers its batches.
/// @code
/// nn::data::DataLoader loader(train, {.batch_size = 32, .seed = 7});
/// for (int64_t e = 0; e < epochs; ++e) {
///   loader.set_epoch(e);
///   for (int64_t i = 0; i < loader.num_batches(); ++i) { nn::data::Batch b = loader.batch(i); ... }
/// }
/// @endcode
class NN_API DataLoader {
 public:
  /// A loader over `dataset`, positioned at epoch 0. The dataset is kept by reference and must
  /// outlive the loader (and stay unmodified). @throws nn::Error when batch_size <= 0.
  DataLoader(const Dataset& dataset, LoaderOptions options = {});

  /// Fixes the sample order of epoch `epoch` (0-based). @throws nn::Error when epoch < 0.
  void set_epoch(int64_t epoch);
  int64_t epoch() const { return epoch_; }  ///< the current epoch (0-based)
  /// Batches per epoch: ceil(N / batch_size), or floor(N / batch_size) with drop_last.
  int64_t num_batches() const;
  /// Gathers batch i (0 <= i < num_batches()) of the current epoch. The returned Batch refers to the
  /// loader's buffers and is valid until the next call to batch(). @throws nn::Error when i is out of range.
  Batch batch(int64_t i);
  /// The number of samples in batch i: batch_size, or fewer for the last batch.
  int64_t batch_samples(int64_t i) const;
  /// Gathers part `part` of `parts` (0 <= part < parts) of batch i: with S = batch_samples(i), its
  /// samples [S part / parts, S (part + 1) / parts) in the epoch's order, the share one rank of a
  /// data-parallel run takes. An empty part (S < parts) has size 0 and leaves the buffers alone.
  Batch batch(int64_t i, int64_t part, int64_t parts);
  /// The sample indices of the current epoch, in visiting order.
  const std::vector<int64_t>& order() const { return order_; }
  const Dataset& dataset() const { return data_; }            ///< the dataset the loader reads
  const LoaderOptions& options() const { return options_; }  ///< the options it was built with

 private:
  Batch gather(int64_t start, int64_t size);
  const Dataset& data_;
  LoaderOptions options_;
  int64_t epoch_ = 0;
  std::vector<int64_t> order_;
  Tensor x_, targets_;
  std::vector<int32_t> labels_;
};

}  // namespace nn::data
