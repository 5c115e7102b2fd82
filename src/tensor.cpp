#include "nn/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

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

void Tensor::copy_from(const Tensor& other) {
  resize(other.shape());
  if (numel_ > 0) std::memcpy(data(), other.data(), static_cast<size_t>(numel_) * sizeof(float));
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
  data_ = std::unique_ptr<float[], AlignedFree>(allocate_floats(n));  // a borrowed block is released
  capacity_ = n;
}

void Tensor::reshape(const Shape& shape) {
  NN_CHECK(shape.numel() == numel_, "Tensor::reshape: cannot view ", shape_.str(), " (", numel_,
           " elements) as ", shape.str(), " (", shape.numel(), " elements)");
  shape_ = shape;
}

void Tensor::fill(float value) { std::fill_n(data(), numel_, value); }

}  // namespace nn
