#include "nn/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "cuda/runtime.hpp"
#include "nn/error.hpp"

namespace nn {

namespace {
std::string str_of(std::span<const int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

thread_local int64_t tensor_limit_bytes = Shape::kMaxElements * int64_t{sizeof(float)};
thread_local int64_t tensor_total_left = INT64_MAX;
}  // namespace

TensorSizeLimit::TensorSizeLimit(int64_t max_bytes, int64_t max_total_bytes)
    : previous_(tensor_limit_bytes), previous_total_(tensor_total_left) {
  if (max_bytes < tensor_limit_bytes) tensor_limit_bytes = max_bytes < 0 ? 0 : max_bytes;
  if (max_total_bytes < tensor_total_left) tensor_total_left = max_total_bytes < 0 ? 0 : max_total_bytes;
  entry_total_ = tensor_total_left;
}

TensorSizeLimit::~TensorSizeLimit() {
  tensor_limit_bytes = previous_;
  // What was taken inside this scope counts against the enclosing one as well.
  const int64_t used = entry_total_ - tensor_total_left;
  tensor_total_left = previous_total_ == INT64_MAX ? INT64_MAX : previous_total_ - used;
}

int64_t TensorSizeLimit::current_bytes() { return tensor_limit_bytes; }

int64_t TensorSizeLimit::total_left() { return tensor_total_left; }

void Shape::invalid(std::span<const int64_t> dims) {
  NN_CHECK(dims.size() <= static_cast<size_t>(kMaxRank), "Shape: expected at most ", kMaxRank,
           " dimensions, found ", dims.size());
  for (size_t i = 0; i < dims.size(); ++i)
    NN_CHECK(dims[i] >= 0, "Shape: expected non-negative extents, found ", dims[i], " in dimension ", i);
  fail("Shape: ", str_of(dims), " has more than ", kMaxElements, " elements (", kMaxElements * 4,
       " bytes of float32)");
}

void Shape::too_large() const {
  fail("Shape: ", str_of(dims()), " has more than ", kMaxElements, " elements (", kMaxElements * 4,
       " bytes of float32)");
}

Shape Shape::batched(int64_t n) const {
  NN_CHECK(rank_ < kMaxRank, "Shape: cannot add a batch dimension to ", str(), ", which has ", kMaxRank,
           " dimensions already");
  std::array<int64_t, kMaxRank> d{};
  d[0] = n;
  for (int i = 0; i < rank_; ++i) d[static_cast<size_t>(i + 1)] = dims_[static_cast<size_t>(i)];
  return Shape(std::span<const int64_t>(d.data(), static_cast<size_t>(rank_ + 1)));
}

Shape Shape::sample() const {
  NN_CHECK(rank_ >= 1, "Shape: a scalar has no batch dimension");
  Shape s;
  s.rank_ = rank_ - 1;
  for (int i = 1; i < rank_; ++i) s.dims_[static_cast<size_t>(i - 1)] = dims_[static_cast<size_t>(i)];
  return s;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[static_cast<size_t>(i)]);
  }
  return s + "]";
}

void Tensor::AlignedFree::operator()(float* p) const {
  if (release != nullptr)
    release(owner);
  else if (on_device)
    cuda::detail::device_free(p);
  else
    std::free(p);
}

Tensor Tensor::borrow(const Shape& shape, float* data, void (*release)(void*), void* owner) {
  NN_CHECK(release != nullptr, "Tensor::borrow: a release function is needed");
  Tensor t;
  t.shape_ = shape;
  t.numel_ = shape.numel();
  t.capacity_ = t.numel_;
  t.defined_ = true;
  if (data == nullptr && t.numel_ > 0) {
    release(owner);
    fail("Tensor::borrow: no memory given for shape ", shape.str());
  }
  if (t.numel_ == 0) {
    // Nothing to hold on to: an empty tensor of its own, and the lender is released at once.
    t.capacity_ = 0;
    release(owner);
    return t;
  }
  t.data_ = std::unique_ptr<float[], AlignedFree>(data, AlignedFree{release, owner});
  return t;
}

namespace {
constexpr size_t kAlignment = 64;

float* allocate_floats(int64_t n) {
  if (n == 0) return nullptr;
  size_t bytes = static_cast<size_t>(n) * sizeof(float);
  bytes = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<float*>(p);
}
}  // namespace

Tensor::Tensor(const Shape& shape) : Tensor(shape, 0.0f) {}

Tensor::Tensor(const Shape& shape, Device device) {
  resize(shape, device);
  fill(0.0f);
}

Tensor::Tensor(const Shape& shape, float fill_value) {
  resize(shape);
  fill(fill_value);
}

Tensor::Tensor(const Shape& shape, std::span<const float> values) {
  NN_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "Tensor: shape ", shape.str(), " needs ",
           shape.numel(), " values, found ", values.size());
  resize(shape);
  if (!values.empty()) std::memcpy(data(), values.data(), values.size() * sizeof(float));
}

Tensor::Tensor(const Shape& shape, std::initializer_list<float> values)
    : Tensor(shape, std::span<const float>(values.begin(), values.size())) {}

Tensor Tensor::clone() const {
  Tensor t;
  t.copy_from(*this);
  t.defined_ = defined_;
  return t;
}

namespace {
// Copies `bytes` between storages on any two devices.
void copy_bytes(void* dst, Device to, const void* src, Device from, size_t bytes) {
  if (bytes == 0) return;
  if (to.is_cpu() && from.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
  if (from.is_cuda()) cuda::detail::set_device(from.index());
  if (to.is_cpu())
    cuda::detail::copy_d2h(dst, src, bytes);
  else if (from.is_cpu())
    cuda::detail::copy_h2d(dst, src, bytes);
  else
    cuda::detail::copy_d2d(dst, src, bytes);  // on the source GPU's stream; unified addressing
}
}  // namespace

void Tensor::copy_from(const Tensor& other) {
  if (device_ == other.device_) {  // the CPU's path: no device switch
    resize(other.shape());
    if (device_.is_cpu()) {
      if (numel_ > 0) std::memcpy(data(), other.data(), static_cast<size_t>(numel_) * sizeof(float));
      return;
    }
  } else {
    resize(other.shape(), other.device_);
  }
  copy_bytes(data(), device_, other.data(), other.device_, static_cast<size_t>(numel_) * sizeof(float));
}

void Tensor::copy_from(const Tensor& other, Device device) {
  NN_CHECK(&other != this || device == device_, "Tensor::copy_from: a tensor cannot copy itself to another device (use to_)");
  resize(other.shape(), device);
  copy_bytes(data(), device_, other.data(), other.device_, static_cast<size_t>(numel_) * sizeof(float));
}

Tensor Tensor::to(Device device) const {
  if (!defined_) return Tensor();  // nothing to copy: an undefined tensor is on the CPU
  Tensor t;
  t.copy_from(*this, device);
  t.defined_ = defined_;
  return t;
}

void Tensor::to_(Device device) {
  if (device == device_ || !defined_) return;
  Tensor moved = to(device);
  *this = std::move(moved);
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> out(static_cast<size_t>(numel_));
  copy_bytes(out.data(), Device::cpu(), data(), device_, out.size() * sizeof(float));
  return out;
}

void Tensor::grow(int64_t n) {
  const int64_t limit = tensor_limit_bytes;
  NN_CHECK(n >= 0 && n <= limit / int64_t{sizeof(float)}, "Tensor: ", n, " elements need ",
           n * int64_t{sizeof(float)}, " bytes, more than the limit of ", limit, " bytes");
  if (tensor_total_left != INT64_MAX) {
    const int64_t bytes = n * int64_t{sizeof(float)};
    NN_CHECK(bytes <= tensor_total_left, "Tensor: ", n, " elements need ", bytes, " bytes, more than the ",
             tensor_total_left, " bytes left of the budget for what is being loaded");
    tensor_total_left -= bytes;
  }
  if (device_.is_cpu()) {
    data_ = std::unique_ptr<float[], AlignedFree>(allocate_floats(n));  // a borrowed block is released
  } else {
    // The new block before the old one goes, as on the CPU: a failed allocation leaves the tensor
    // as it was.
    cuda::detail::set_device(device_.index());
    AlignedFree on_device;
    on_device.on_device = true;
    data_ = std::unique_ptr<float[], AlignedFree>(
        static_cast<float*>(cuda::detail::device_alloc(static_cast<size_t>(n) * sizeof(float))), on_device);
  }
  capacity_ = n;
}

void Tensor::grow_on(int64_t n, Device device) {
  if (device == device_) {
    grow(n);
    return;
  }
  Tensor fresh;  // the storage on the other device, made before this one's goes: a failure
  fresh.device_ = device;  // (no such GPU, the size limit, out of memory) leaves this tensor as it was
  fresh.grow(n);
  data_ = std::move(fresh.data_);
  capacity_ = fresh.capacity_;
  device_ = device;
}

void Tensor::reshape(const Shape& shape) {
  NN_CHECK(shape.numel() == numel_, "Tensor::reshape: cannot view ", shape_.str(), " (", numel_,
           " elements) as ", shape.str(), " (", shape.numel(), " elements)");
  shape_ = shape;
}

void Tensor::fill(float value) {
  if (device_.is_cpu()) {
    std::fill_n(data(), numel_, value);
    return;
  }
  cuda::detail::set_device(device_.index());
  cuda::detail::fill(data(), numel_, value);
}

}  // namespace nn
