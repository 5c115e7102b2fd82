#include "device_feed.hpp"

#include <cstring>

#include "cuda/runtime.hpp"

namespace nn::train::detail {

namespace {
namespace rt = nn::cuda::detail;

// Grows a pinned buffer to hold `bytes` (never shrinks: steady state allocates nothing).
template <class T>
T* ensure_pinned(T*& p, size_t& capacity, size_t bytes) {
  if (bytes > capacity) {
    rt::pinned_free(p);
    p = nullptr;
    capacity = 0;
    p = static_cast<T*>(rt::pinned_alloc(bytes));
    capacity = bytes;
  }
  return p;
}
}  // namespace

DeviceFeed::~DeviceFeed() {
  for (Slot& s : slots_) {
    rt::pinned_free(s.x);
    rt::pinned_free(s.targets);
    rt::pinned_free(s.labels);
  }
  rt::device_free(labels_dev_);
}

void DeviceFeed::stage(const data::Batch& batch) {
  rt::set_device(device_.index());
  current_ = 1 - current_;
  Slot& s = slots_[static_cast<size_t>(current_)];
  size_ = batch.size;
  // x: the loader's buffer -> pinned slot -> device (queued after everything before on the stream,
  // so the step that still reads x_ finishes first).
  const size_t x_bytes = static_cast<size_t>(batch.x.numel()) * sizeof(float);
  std::memcpy(ensure_pinned(s.x, s.x_bytes, x_bytes), batch.x.data(), x_bytes);
  x_.resize(batch.x.shape(), device_);
  rt::copy_h2d_async(x_.data(), s.x, x_bytes);
  if (!batch.labels.empty()) {
    const size_t l_bytes = batch.labels.size() * sizeof(int32_t);
    std::memcpy(ensure_pinned(s.labels, s.labels_bytes, l_bytes), batch.labels.data(), l_bytes);
    if (l_bytes > labels_dev_bytes_) {
      rt::device_free(labels_dev_);
      labels_dev_ = nullptr;
      labels_dev_bytes_ = 0;
      labels_dev_ = static_cast<int32_t*>(rt::device_alloc(l_bytes));
      labels_dev_bytes_ = l_bytes;
    }
    rt::copy_h2d_async(labels_dev_, s.labels, l_bytes);
  } else if (batch.targets.defined() && batch.targets.numel() > 0) {
    const size_t t_bytes = static_cast<size_t>(batch.targets.numel()) * sizeof(float);
    std::memcpy(ensure_pinned(s.targets, s.targets_bytes, t_bytes), batch.targets.data(), t_bytes);
    targets_.resize(batch.targets.shape(), device_);
    rt::copy_h2d_async(targets_.data(), s.targets, t_bytes);
  }
}

}  // namespace nn::train::detail
