// Tensor: float32, contiguous, row-major, 64-byte aligned, up to 4 dimensions.
#pragma once

#include "nn/export.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nn {

// The extents of a tensor: rank 0 (a scalar) to 4.
class NN_API Shape {
 public:
  static constexpr int kMaxRank = 4;
  // The most elements one shape may describe: 2^38 floats, 2^40 bytes (1 TiB). A larger product,
  // or one that overflows 64 bits, is an nn::Error when the shape is made, never a wrapped size.
  static constexpr int64_t kMaxElements = int64_t{1} << 38;

  Shape() = default;  // rank 0: a scalar with one element
  // Inline: layers build shapes on every forward and backward.
  Shape(std::initializer_list<int64_t> dims) : Shape(std::span<const int64_t>(dims.begin(), dims.size())) {}
  explicit Shape(std::span<const int64_t> dims) {
    if (dims.size() > static_cast<size_t>(kMaxRank)) invalid(dims);
    rank_ = static_cast<int>(dims.size());
    int64_t n = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] < 0 || __builtin_mul_overflow(n, dims[i], &n) || n > kMaxElements) invalid(dims);
      dims_[i] = dims[i];
    }
  }

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t& operator[](int i) { return dims_[static_cast<size_t>(i)]; }
  // Checked: a shape changed through operator[] past kMaxElements throws nn::Error.
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i)
      if (__builtin_mul_overflow(n, dims_[static_cast<size_t>(i)], &n) || n > kMaxElements || n < 0) too_large();
    return n;
  }
  std::span<const int64_t> dims() const { return {dims_.data(), static_cast<size_t>(rank_)}; }
  // [n, this...]: the shape of a batch of n samples of this shape.
  Shape batched(int64_t n) const;
  // This shape without its first dimension.
  Shape sample() const;

  bool operator==(const Shape& other) const {
    if (rank_ != other.rank_) return false;
    for (int i = 0; i < rank_; ++i)
      if (dims_[static_cast<size_t>(i)] != other.dims_[static_cast<size_t>(i)]) return false;
    return true;
  }
  std::string str() const;  // "[64, 784]"

 private:
  [[noreturn]] static void invalid(std::span<const int64_t> dims);  // throws nn::Error
  [[noreturn]] void too_large() const;                               // throws nn::Error
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

// Within its scope, on this thread, no tensor may grow beyond `max_bytes`, and all the tensors that
// grow within it together may take at most `max_total_bytes` (memory freed meanwhile is not given
// back to the budget). Scopes nest: the smallest limits apply. A reader of an untrusted file builds
// what the file describes under limits tied to the file, so a tiny file cannot make it allocate
// terabytes. Outside any scope the limit is Shape::kMaxElements floats per tensor.
class NN_API TensorSizeLimit {
 public:
  explicit TensorSizeLimit(int64_t max_bytes, int64_t max_total_bytes = INT64_MAX);
  ~TensorSizeLimit();
  TensorSizeLimit(const TensorSizeLimit&) = delete;
  TensorSizeLimit& operator=(const TensorSizeLimit&) = delete;
  static int64_t current_bytes();  // the per-tensor limit in force on this thread
  static int64_t total_left();     // what is left of the total budget on this thread

 private:
  int64_t previous_, previous_total_, entry_total_;
};

// Owns its storage. Moving is cheap; copying is explicit (clone()) so that no hot path copies
// by accident. resize() keeps the allocation when it is large enough, which lets layers size
// their buffers on the first batch and reuse them afterwards.
class NN_API Tensor {
 public:
  Tensor() = default;
  explicit Tensor(const Shape& shape);          // zero-filled
  Tensor(const Shape& shape, float fill);
  Tensor(const Shape& shape, std::span<const float> values);
  Tensor(const Shape& shape, std::initializer_list<float> values);

  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

  /// A tensor over memory it does not own (a NumPy array's, for the Python package): `data` holds
  /// shape.numel() contiguous floats and is used in place, without a copy. `release(owner)` runs
  /// once when the tensor lets go of the memory: when it is destroyed, or when a resize beyond the
  /// borrowed size gives it storage of its own. The memory must stay valid until then.
  static Tensor borrow(const Shape& shape, float* data, void (*release)(void*), void* owner);
  /// Whether the storage is borrowed (Tensor::borrow) rather than owned.
  bool borrowed() const { return data_.get_deleter().release != nullptr; }
  Tensor clone() const;
  void copy_from(const Tensor& other);  // resizes to other's shape, then copies

  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_[i]; }
  int64_t numel() const { return numel_; }
  bool empty() const { return numel_ == 0; }
  bool defined() const { return defined_; }  // false only for a default-constructed tensor

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::span<float> span() { return {data_.get(), static_cast<size_t>(numel_)}; }
  std::span<const float> span() const { return {data_.get(), static_cast<size_t>(numel_)}; }
  float& operator[](int64_t i) { return data_[static_cast<size_t>(i)]; }
  float operator[](int64_t i) const { return data_[static_cast<size_t>(i)]; }
  // Element (i, j) of a rank-2 tensor.
  float& at(int64_t i, int64_t j) { return data_[static_cast<size_t>(i * shape_[1] + j)]; }
  float at(int64_t i, int64_t j) const { return data_[static_cast<size_t>(i * shape_[1] + j)]; }

  // Changes the shape; reallocates only when the new size exceeds the capacity. Contents are
  // unspecified afterwards.
  void resize(const Shape& shape) {
    const int64_t n = shape.numel();
    if (n > capacity_) grow(n);
    shape_ = shape;
    numel_ = n;
    defined_ = true;
  }
  // Changes the shape without touching the data; the element count must stay the same.
  void reshape(const Shape& shape);
  void fill(float value);
  void zero() { fill(0.0f); }

  int64_t capacity() const { return capacity_; }
  std::vector<float> to_vector() const { return {span().begin(), span().end()}; }

 private:
  struct AlignedFree {
    // (No default member initialisers: unique_ptr checks the deleter inside the incomplete Tensor.)
    constexpr AlignedFree() noexcept : release(nullptr), owner(nullptr) {}
    constexpr AlignedFree(void (*r)(void*), void* o) noexcept : release(r), owner(o) {}
    void (*release)(void*);  // set for borrowed memory: called with owner instead of free()
    void* owner;
    void operator()(float* p) const;
  };
  void grow(int64_t n);  // new storage for n floats; the old contents are dropped
  Shape shape_;
  int64_t numel_ = 0;
  int64_t capacity_ = 0;
  bool defined_ = false;
  std::unique_ptr<float[], AlignedFree> data_;
};

}  // namespace nn
