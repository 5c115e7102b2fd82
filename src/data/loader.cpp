#include "nn/data/loader.hpp"

#include <algorithm>
#include <numeric>

#include "nn/error.hpp"
#include "nn/random.hpp"

namespace nn::data {

DataLoader::DataLoader(const Dataset& dataset, LoaderOptions options) : data_(dataset), options_(options) {
  NN_CHECK(options.batch_size > 0, "DataLoader: expected batch_size > 0, found ", options.batch_size);
  order_.resize(static_cast<size_t>(data_.size()));
  labels_.reserve(static_cast<size_t>(options.batch_size));
  set_epoch(0);
}

void DataLoader::set_epoch(int64_t epoch) {
  NN_CHECK(epoch >= 0, "DataLoader: expected a non-negative epoch, found ", epoch);
  epoch_ = epoch;
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (options_.shuffle) {
    // One generator per (seed, epoch): the order of an epoch does not depend on earlier epochs.
    Rng rng(options_.seed ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(epoch + 1)));
    rng.shuffle(std::span<int64_t>(order_));
  }
}

int64_t DataLoader::num_batches() const {
  const int64_t n = data_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

Batch DataLoader::batch(int64_t i) {
  NN_CHECK(i >= 0 && i < num_batches(), "DataLoader: batch ", i, " out of range for ", num_batches(),
           " batches");
  const int64_t start = i * options_.batch_size;
  return gather(start, std::min(options_.batch_size, data_.size() - start));
}

int64_t DataLoader::batch_samples(int64_t i) const {
  NN_CHECK(i >= 0 && i < num_batches(), "DataLoader: batch ", i, " out of range for ", num_batches(),
           " batches");
  return std::min(options_.batch_size, data_.size() - i * options_.batch_size);
}

Batch DataLoader::batch(int64_t i, int64_t part, int64_t parts) {
  NN_CHECK(parts > 0 && part >= 0 && part < parts, "DataLoader: part ", part, " out of range for ", parts, " parts");
  const int64_t s = batch_samples(i);
  const int64_t begin = s * part / parts, end = s * (part + 1) / parts;
  if (begin == end) return Batch{x_, Labels(labels_.data(), 0), targets_, 0};
  return gather(i * options_.batch_size + begin, end - begin);
}

Batch DataLoader::gather(int64_t start, int64_t size) {
  const std::span<const int64_t> indices(order_.data() + start, static_cast<size_t>(size));
  x_.resize(data_.sample_shape().batched(size));
  const bool classification = data_.is_classification();
  if (classification) {
    labels_.resize(static_cast<size_t>(size));  // within the reserved capacity
  } else {
    targets_.resize(data_.targets().shape().sample().batched(size));
  }
  data_.gather(indices, x_.data(), classification ? labels_.data() : nullptr,
               classification ? nullptr : targets_.data());
  return Batch{x_, Labels(labels_.data(), labels_.size()), targets_, size};
}

}  // namespace nn::data
