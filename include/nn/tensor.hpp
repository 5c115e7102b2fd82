/// @file
/// nn::Shape, nn::Tensor and nn::TensorSizeLimit: the float32 tensor every layer, loss and
/// optimizer works on (contiguous, row-major, 64-byte aligned, up to 4 dimensions), in the host's
/// memory or on a CUDA GPU (nn::Device).
#pragma once

#include "nn/device.hpp"
#include "nn/export.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace nn {

/// The extents of a tensor: rank 0 (a scalar) to kMaxRank (4), each extent >= 0.
///
/// A value type held inline (no allocation), so it is cheap to build and copy. Batches put the
/// sample index first: (N, features) for dense layers, (N, C, H, W) for images.
/// @code
/// nn::Shape s{64, 784};   // s.rank() == 2, s.numel() == 50176, s.str() == "[64, 784]"
/// @endcode
class NN_API Shape {
 public:
  static constexpr int kMaxRank = 4;  ///< the most dimensions a shape may have
  /// The most elements one shape may describe: 2^38 floats, 2^40 bytes (1 TiB). A larger product,
  /// or one that overflows 64 bits, is an nn::Error when the shape is made, never a wrapped size.
  static constexpr int64_t kMaxElements = int64_t{1} << 38;

  Shape() = default;  ///< rank 0: a scalar with one element
  /// The shape with these extents, e.g. `Shape{N, C, H, W}`.
  /// @throws nn::Error with more than kMaxRank extents, a negative extent, or more than
  ///   kMaxElements elements in all.
  // Inline (like the next constructor): layers build shapes on every forward and backward.
  Shape(std::initializer_list<int64_t> dims) : Shape(std::span<const int64_t>(dims.begin(), dims.size())) {}
  /// The shape with the extents in `dims`; the same checks as the initializer-list constructor.
  /// @throws nn::Error with more than kMaxRank extents, a negative extent, or more than
  ///   kMaxElements elements in all.
  explicit Shape(std::span<const int64_t> dims) {
    if (dims.size() > static_cast<size_t>(kMaxRank)) invalid(dims);
    rank_ = static_cast<int>(dims.size());
    int64_t n = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] < 0 || __builtin_mul_overflow(n, dims[i], &n) || n > kMaxElements) invalid(dims);
      dims_[i] = dims[i];
    }
  }

  int rank() const { return rank_; }  ///< the number of dimensions, 0 to kMaxRank
  /// Extent `i`, 0 <= i < rank(); not bounds-checked.
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  /// Extent `i` for writing, 0 <= i < rank(); neither bounds- nor size-checked (numel() checks).
  int64_t& operator[](int i) { return dims_[static_cast<size_t>(i)]; }
  /// The number of elements, the product of the extents (1 for rank 0).
  /// @throws nn::Error when a shape changed through operator[] has more than kMaxElements
  ///   elements or a negative extent.
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i)
      if (__builtin_mul_overflow(n, dims_[static_cast<size_t>(i)], &n) || n > kMaxElements || n < 0) too_large();
    return n;
  }
  /// The extents, rank() of them; a view into this shape, valid while it lives.
  std::span<const int64_t> dims() const { return {dims_.data(), static_cast<size_t>(rank_)}; }
  /// [n, this...]: the shape of a batch of n samples of this shape.
  /// @throws nn::Error when this shape already has kMaxRank dimensions, or the result is too large.
  Shape batched(int64_t n) const;
  /// This shape without its first dimension: the shape of one sample of a batch.
  /// @throws nn::Error for a rank-0 shape.
  Shape sample() const;

  /// Same rank and same extents.
  bool operator==(const Shape& other) const {
    if (rank_ != other.rank_) return false;
    for (int i = 0; i < rank_; ++i)
      if (dims_[static_cast<size_t>(i)] != other.dims_[static_cast<size_t>(i)]) return false;
    return true;
  }
  std::string str() const;  ///< "[64, 784]"

 private:
  [[noreturn]] static void invalid(std::span<const int64_t> dims);  ///< throws nn::Error
  [[noreturn]] void too_large() const;                               ///< throws nn::Error
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

/// Within its scope, on this thread, no tensor may grow beyond `max_bytes`, and all the tensors that
/// grow within it together may take at most `max_total_bytes` (memory freed meanwhile is not given
/// back to the budget). Scopes nest: the smallest limits apply. A reader of an untrusted file builds
/// what the file describes under limits tied to the file, so a tiny file cannot make it allocate
/// terabytes. Outside any scope the limit is Shape::kMaxElements floats per tensor.
///
/// A tensor that would break a limit throws nn::Error where it would allocate. The limits are
/// thread-local: other threads are not affected.
/// @code
/// { nn::TensorSizeLimit limit(file_size * 4, file_size * 8); load(file); }
/// @endcode
class NN_API TensorSizeLimit {
 public:
  /// Enters a scope with these limits, in bytes (a negative limit counts as 0).
  explicit TensorSizeLimit(int64_t max_bytes, int64_t max_total_bytes = INT64_MAX);
  /// Restores the enclosing scope's limits; what was allocated in this scope counts against the
  /// enclosing scope's total as well.
  ~TensorSizeLimit();
  TensorSizeLimit(const TensorSizeLimit&) = delete;             ///< a scope, not a value
  TensorSizeLimit& operator=(const TensorSizeLimit&) = delete;  ///< a scope, not a value
  static int64_t current_bytes();  ///< the per-tensor limit in force on this thread
  static int64_t total_left();     ///< what is left of the total budget on this thread

 private:
  int64_t previous_, previous_total_, entry_total_;
};

/// Owns its storage. Moving is cheap; copying is explicit (clone()) so that no hot path copies
/// by accident. resize() keeps the allocation when it is large enough, which lets layers size
/// their buffers on the first batch and reuse them afterwards.
///
/// A tensor lives on a device(): the CPU (the default) or a CUDA GPU. data() of a CUDA tensor is
/// a device pointer; span(), operator[], at() and borrow() are for CPU tensors only (not checked).
/// to(), to_(), fill(), zero(), copy_from(), clone() and to_vector() work on either device; work
/// on a CUDA tensor is queued on nn's stream of that GPU, and what returns host values waits for it.
/// @code
/// nn::Tensor x({64, 784}, nn::Device::cuda());  // zeros on the first GPU
/// nn::Tensor h = x.to(nn::Device::cpu());        // a copy in the host's memory
/// @endcode
class NN_API Tensor {
 public:
  /// An undefined tensor: rank 0, no storage, defined() false (a layer's "not computed yet").
  Tensor() = default;
  /// A zero-filled tensor of this shape.
  /// @throws nn::Error when the size exceeds the TensorSizeLimit in force.
  explicit Tensor(const Shape& shape);
  /// A zero-filled tensor of this shape on `device`.
  /// @throws nn::Error when the size exceeds the TensorSizeLimit in force, or the device cannot be
  ///   used (no such GPU, nn built without CUDA, out of device memory).
  Tensor(const Shape& shape, Device device);
  /// A tensor of this shape with every element `fill`.
  /// @throws nn::Error when the size exceeds the TensorSizeLimit in force.
  Tensor(const Shape& shape, float fill);
  /// A tensor of this shape holding a copy of `values`, in row-major order.
  /// @throws nn::Error when values.size() != shape.numel(), or the size exceeds the
  ///   TensorSizeLimit in force.
  Tensor(const Shape& shape, std::span<const float> values);
  /// A tensor of this shape holding `values` in row-major order: `Tensor({2, 2}, {1, 2, 3, 4})`.
  /// @throws nn::Error when the number of values != shape.numel().
  Tensor(const Shape& shape, std::initializer_list<float> values);

  /// Takes the other's storage over; `other` is left an undefined tensor, as if default-constructed
  /// (no storage, rank 0, numel() 0, defined() false), and may be resized and used again.
  Tensor(Tensor&& other) noexcept
      : shape_(std::exchange(other.shape_, Shape())),
        numel_(std::exchange(other.numel_, 0)),
        capacity_(std::exchange(other.capacity_, 0)),
        defined_(std::exchange(other.defined_, false)),
        device_(std::exchange(other.device_, Device())),
        data_(std::move(other.data_)) {}
  /// Takes the other's storage over, dropping this tensor's own; `other` is left undefined, as
  /// after the move constructor.
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      shape_ = std::exchange(other.shape_, Shape());
      numel_ = std::exchange(other.numel_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
      defined_ = std::exchange(other.defined_, false);
      device_ = std::exchange(other.device_, Device());
      data_ = std::move(other.data_);
    }
    return *this;
  }
  Tensor(const Tensor&) = delete;             ///< no implicit copies: use clone() or copy_from()
  Tensor& operator=(const Tensor&) = delete;  ///< no implicit copies: use clone() or copy_from()

  /// A tensor over memory it does not own (a NumPy array's, for the Python package): `data` holds
  /// shape.numel() contiguous floats and is used in place, without a copy. `release(owner)` runs
  /// once when the tensor lets go of the memory: when it is destroyed, or when a resize beyond the
  /// borrowed size gives it storage of its own. The memory must stay valid until then.
  static Tensor borrow(const Shape& shape, float* data, void (*release)(void*), void* owner);
  /// Whether the storage is borrowed (Tensor::borrow) rather than owned.
  bool borrowed() const { return data_ && data_.get_deleter().release != nullptr; }
  /// A deep copy with its own storage (same shape, same values, same device, same defined()).
  Tensor clone() const;
  /// Becomes a copy of `other`: resizes to other's shape on other's device, then copies its
  /// values; reuses this tensor's storage when it is on that device and large enough.
  void copy_from(const Tensor& other);
  /// Resizes to other's shape on `device`, then copies other's values across (host to GPU, GPU to
  /// host, or within one device): how a model's parameter on a GPU takes values read from a file.
  /// @throws nn::Error when the device cannot be used.
  void copy_from(const Tensor& other, Device device);

  /// The device the storage lives on (the CPU for an undefined tensor).
  Device device() const { return device_; }
  /// Whether the storage lives on a CUDA GPU.
  bool is_cuda() const { return device_.is_cuda(); }
  /// A copy on `device` (a clone when it is already there).
  /// @throws nn::Error when the device cannot be used.
  Tensor to(Device device) const;
  /// Moves the storage to `device` in place, keeping shape and values (nothing happens when it is
  /// already there). data() changes.
  /// @throws nn::Error when the device cannot be used.
  void to_(Device device);

  const Shape& shape() const { return shape_; }  ///< the extents; valid until the next resize or reshape
  int rank() const { return shape_.rank(); }      ///< the number of dimensions, 0 to Shape::kMaxRank
  int64_t dim(int i) const { return shape_[i]; }  ///< extent `i`, 0 <= i < rank(); not checked
  int64_t numel() const { return numel_; }        ///< the number of elements
  bool empty() const { return numel_ == 0; }      ///< whether it has no elements (some extent is 0)
  bool defined() const { return defined_; }  ///< false only for a default-constructed tensor

  /// The first element, row-major; null when the tensor has no storage; a device pointer for a
  /// CUDA tensor. Valid until a resize that reallocates, or until the tensor is moved from or
  /// destroyed.
  float* data() { return data_.get(); }
  /// The first element, row-major; null when the tensor has no storage (see the non-const overload).
  const float* data() const { return data_.get(); }
  /// The numel() elements as a span; the same lifetime as data(). CPU tensors only.
  std::span<float> span() { return {data_.get(), static_cast<size_t>(numel_)}; }
  /// The numel() elements as a span; the same lifetime as data(). CPU tensors only.
  std::span<const float> span() const { return {data_.get(), static_cast<size_t>(numel_)}; }
  /// Element `i` in row-major order, 0 <= i < numel(); not bounds-checked. CPU tensors only.
  float& operator[](int64_t i) { return data_[static_cast<size_t>(i)]; }
  /// Element `i` in row-major order, 0 <= i < numel(); not bounds-checked. CPU tensors only.
  float operator[](int64_t i) const { return data_[static_cast<size_t>(i)]; }
  /// Element (i, j) of a rank-2 tensor; not bounds-checked. CPU tensors only.
  float& at(int64_t i, int64_t j) { return data_[static_cast<size_t>(i * shape_[1] + j)]; }
  /// Element (i, j) of a rank-2 tensor; not bounds-checked. CPU tensors only.
  float at(int64_t i, int64_t j) const { return data_[static_cast<size_t>(i * shape_[1] + j)]; }

  /// Changes the shape, keeping the device; reallocates only when the new size exceeds the
  /// capacity. Contents are unspecified afterwards, and data() may change.
  /// @throws nn::Error when a reallocation would exceed the TensorSizeLimit in force.
  void resize(const Shape& shape) {
    const int64_t n = shape.numel();
    if (n > capacity_) grow(n);
    shape_ = shape;
    numel_ = n;
    defined_ = true;
  }
  /// Changes the shape and the device; reallocates when the device differs or the new size
  /// exceeds the capacity. Contents are unspecified afterwards, and data() may change. Layers size
  /// their buffers with `resize(shape, x.device())`.
  /// @throws nn::Error when a reallocation would exceed the TensorSizeLimit in force, or the
  ///   device cannot be used.
  void resize(const Shape& shape, Device device) {
    const int64_t n = shape.numel();
    if (n > capacity_ || device != device_) grow_on(n, device);
    shape_ = shape;
    numel_ = n;
    defined_ = true;
  }
  /// Changes the shape without touching the data; the element count must stay the same.
  /// @throws nn::Error when shape.numel() != numel().
  void reshape(const Shape& shape);
  void fill(float value);        ///< sets every element to `value` (on a GPU: queued, no wait)
  void zero() { fill(0.0f); }    ///< sets every element to 0

  /// The number of floats the storage holds (>= numel()); resize() within it does not reallocate.
  int64_t capacity() const { return capacity_; }
  /// A copy of the elements, row-major, in the host's memory (from a GPU: waits for its work).
  std::vector<float> to_vector() const;

 private:
  struct AlignedFree {
    // (No default member initialisers: unique_ptr checks the deleter inside the incomplete Tensor.)
    constexpr AlignedFree() noexcept : release(nullptr), owner(nullptr), on_device(false) {}
    constexpr AlignedFree(void (*r)(void*), void* o) noexcept : release(r), owner(o), on_device(false) {}
    void (*release)(void*);  // set for borrowed memory: called with owner instead of free()
    void* owner;
    bool on_device;  // CUDA memory: freed by the CUDA runtime
    void operator()(float* p) const;
  };
  void grow(int64_t n);  ///< new storage for n floats on device_; the old contents are dropped
  void grow_on(int64_t n, Device device);  ///< new storage for n floats on `device`
  Shape shape_;
  int64_t numel_ = 0;
  int64_t capacity_ = 0;
  bool defined_ = false;
  Device device_;
  std::unique_ptr<float[], AlignedFree> data_;
};

}  // namespace nn
