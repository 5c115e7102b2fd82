// nn::train::detail::DeviceFeed (internal): the Trainer's batches for a model on a GPU. Each batch
// the loader gathered on the host is copied into one of two pinned (page-locked) host slots, and
// from there to fixed device buffers with an asynchronous copy on nn's stream, so the host can
// gather the next batch while the GPU still runs the step before (the copy of a slot is queued
// after that step, and the other slot is the one being filled). The device buffers keep their
// storage for the whole fit, which a captured CUDA graph needs.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/data/loader.hpp"
#include "nn/device.hpp"
#include "nn/labels.hpp"
#include "nn/tensor.hpp"

namespace nn::train::detail {

class DeviceFeed {
 public:
  explicit DeviceFeed(Device device) : device_(device) {}
  ~DeviceFeed();
  DeviceFeed(const DeviceFeed&) = delete;
  DeviceFeed& operator=(const DeviceFeed&) = delete;

  // Copies `batch` into the next pinned slot and queues its copy to the device buffers. The batch
  // (the loader's buffers) may be overwritten as soon as this returns.
  void stage(const data::Batch& batch);
  // What the latest stage() put on the device: x [B, ...], the dense targets (regression), the B
  // int32 labels (classification; a device pointer), and a host copy of the labels.
  const Tensor& x() const { return x_; }
  const Tensor& targets() const { return targets_; }
  const int32_t* device_labels() const { return labels_dev_; }
  Labels host_labels() const { return {slot(current_).labels, static_cast<size_t>(size_)}; }
  int64_t size() const { return size_; }
  Device device() const { return device_; }

 private:
  struct Slot {
    float* x = nullptr;  // pinned
    size_t x_bytes = 0;
    float* targets = nullptr;  // pinned
    size_t targets_bytes = 0;
    int32_t* labels = nullptr;  // pinned
    size_t labels_bytes = 0;
  };
  const Slot& slot(int i) const { return slots_[static_cast<size_t>(i)]; }
  Device device_;
  Slot slots_[2];
  int current_ = 1;  // the slot of the latest stage(); the first stage() takes slot 0
  int64_t size_ = 0;
  Tensor x_, targets_;  // on device_
  int32_t* labels_dev_ = nullptr;
  size_t labels_dev_bytes_ = 0;
};

}  // namespace nn::train::detail
