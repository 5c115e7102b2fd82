// DataLoader: mini-batches of a Dataset, gathered into buffers it reuses (no allocation per batch
// once the first has been made). With shuffling, epoch e visits the samples in a permutation drawn
// from Rng(seed, e) alone, so any batch of any epoch can be produced again (an exact resume).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/labels.hpp"
#include "nn/tensor.hpp"

namespace nn::data {

struct NN_API LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;  // drop a last batch smaller than batch_size
  uint64_t seed = 0;
};

// One batch. x is [B, sample...]; for classification `labels` holds B class indices, for regression
// `targets` is [B, ...]. Valid until the loader gathers the next batch.
struct NN_API Batch {
  const Tensor& x;
  Labels labels;
  const Tensor& targets;
  int64_t size;
};

class NN_API DataLoader {
 public:
  // The dataset must outlive the loader.
  DataLoader(const Dataset& dataset, LoaderOptions options = {});

  // Fixes the sample order of epoch `epoch` (0-based).
  void set_epoch(int64_t epoch);
  int64_t epoch() const { return epoch_; }
  int64_t num_batches() const;
  // Gathers batch i (0 <= i < num_batches()) of the current epoch.
  Batch batch(int64_t i);
  /// The number of samples in batch i: batch_size, or fewer for the last batch.
  int64_t batch_samples(int64_t i) const;
  /// Gathers part `part` of `parts` (0 <= part < parts) of batch i: with S = batch_samples(i), its
  /// samples [S part / parts, S (part + 1) / parts) in the epoch's order, the share one rank of a
  /// data-parallel run takes. An empty part (S < parts) has size 0 and leaves the buffers alone.
  Batch batch(int64_t i, int64_t part, int64_t parts);
  // The sample indices of the current epoch, in visiting order.
  const std::vector<int64_t>& order() const { return order_; }
  const Dataset& dataset() const { return data_; }
  const LoaderOptions& options() const { return options_; }

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
