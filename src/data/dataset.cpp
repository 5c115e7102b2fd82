#include "nn/data/dataset.hpp"

#include <algorithm>
#include <cstring>

#include "nn/error.hpp"
#include "nn/parallel.hpp"

namespace nn::data {

namespace {
Shape tail_shape(const Shape& s) { return s.sample(); }
int64_t infer_classes(const std::vector<int32_t>& labels, int64_t given) {
  if (given > 0) return given;
  int32_t m = -1;
  for (int32_t l : labels) m = std::max(m, l);
  return m + 1;
}
}  // namespace

Dataset Dataset::classification(Tensor x, std::vector<int32_t> labels, int64_t num_classes) {
  NN_CHECK(x.rank() >= 1, "Dataset: expected features of shape [N, ...], found ", x.shape().str());
  NN_CHECK(static_cast<int64_t>(labels.size()) == x.dim(0), "Dataset: ", x.dim(0), " samples but ",
           labels.size(), " labels");
  Dataset d;
  d.n_ = x.dim(0);
  d.sample_shape_ = tail_shape(x.shape());
  d.sample_numel_ = d.sample_shape_.numel();
  d.num_classes_ = infer_classes(labels, num_classes);
  d.x_ = std::move(x);
  d.labels_ = std::move(labels);
  d.check_labels();
  return d;
}

Dataset Dataset::regression(Tensor x, Tensor targets) {
  NN_CHECK(x.rank() >= 1, "Dataset: expected features of shape [N, ...], found ", x.shape().str());
  NN_CHECK(targets.rank() >= 1 && targets.dim(0) == x.dim(0), "Dataset: features ", x.shape().str(),
           " and targets ", targets.shape().str(), " differ in the number of samples");
  Dataset d;
  d.n_ = x.dim(0);
  d.sample_shape_ = tail_shape(x.shape());
  d.sample_numel_ = d.sample_shape_.numel();
  d.x_ = std::move(x);
  d.targets_ = std::move(targets);
  return d;
}

Dataset Dataset::classification_u8(std::vector<uint8_t> x, Shape sample_shape, std::vector<int32_t> labels,
                                   int64_t num_classes, float scale) {
  const int64_t per = sample_shape.numel();
  NN_CHECK(per > 0, "Dataset: expected a non-empty sample shape, found ", sample_shape.str());
  NN_CHECK(static_cast<int64_t>(x.size()) == per * static_cast<int64_t>(labels.size()), "Dataset: ",
           labels.size(), " labels of samples shaped ", sample_shape.str(), " need ",
           per * static_cast<int64_t>(labels.size()), " bytes, found ", x.size());
  Dataset d;
  d.n_ = static_cast<int64_t>(labels.size());
  d.sample_shape_ = sample_shape;
  d.sample_numel_ = per;
  d.num_classes_ = infer_classes(labels, num_classes);
  d.x_u8_ = std::move(x);
  d.u8_scale_ = scale;
  d.labels_ = std::move(labels);
  d.check_labels();
  return d;
}

void Dataset::check_labels() const {
  for (size_t i = 0; i < labels_.size(); ++i)
    NN_CHECK(labels_[i] >= 0 && labels_[i] < num_classes_, "Dataset: label ", labels_[i], " of sample ", i,
             " is out of range for ", num_classes_, " classes");
}

Dataset Dataset::clone() const {
  Dataset d;
  d.name = name;
  d.class_names = class_names;
  d.n_ = n_;
  d.sample_shape_ = sample_shape_;
  d.sample_numel_ = sample_numel_;
  if (x_.defined()) d.x_ = x_.clone();
  d.x_u8_ = x_u8_;
  d.u8_scale_ = u8_scale_;
  d.labels_ = labels_;
  if (targets_.defined()) d.targets_ = targets_.clone();
  d.num_classes_ = num_classes_;
  return d;
}

int64_t Dataset::target_numel() const {
  if (!targets_.defined() || n_ == 0) return 1;
  return targets_.numel() / n_;
}

void Dataset::reshape_samples(const Shape& sample_shape) {
  NN_CHECK(sample_shape.numel() == sample_numel_, "Dataset: cannot view samples of shape ", sample_shape_.str(),
           " (", sample_numel_, " values) as ", sample_shape.str(), " (", sample_shape.numel(), " values)");
  sample_shape_ = sample_shape;
  if (x_.defined()) x_.reshape(sample_shape.batched(n_));
}

void Dataset::to_float() {
  if (x_.defined() || n_ == 0) return;
  Tensor t(sample_shape_.batched(n_));
  for (size_t i = 0; i < x_u8_.size(); ++i) t[static_cast<int64_t>(i)] = x_u8_[i] * u8_scale_;
  x_ = std::move(t);
  x_u8_.clear();
  x_u8_.shrink_to_fit();
}

Tensor& Dataset::mutable_features() {
  to_float();
  return x_;
}

namespace {
// Apart from a loop over a member, where the compiler must assume the stores may change the scale.
void u8_to_float(const uint8_t* __restrict src, float* __restrict dst, int64_t n, float scale) {
  for (int64_t j = 0; j < n; ++j) dst[j] = static_cast<float>(src[j]) * scale;
}
}  // namespace

void Dataset::gather(std::span<const int64_t> indices, float* x_out, int32_t* labels_out,
                     float* targets_out) const {
  const int64_t per = sample_numel_;
  const int64_t tw = target_numel();
  const auto count = static_cast<int64_t>(indices.size());
  for (int64_t k = 0; k < count; ++k) {
    const int64_t i = indices[static_cast<size_t>(k)];
    NN_CHECK(i >= 0 && i < n_, "Dataset::gather: index ", i, " out of range for ", n_, " samples");
    if (labels_out && !labels_.empty()) labels_out[k] = labels_[static_cast<size_t>(i)];
    if (targets_out && targets_.defined())
      std::memcpy(targets_out + k * tw, targets_.data() + i * tw, static_cast<size_t>(tw) * sizeof(float));
  }
  // The rows, split over threads: random rows of a large dataset miss the cache, and two threads
  // wait for memory in parallel.
  const uint8_t* u8 = x_u8_.data();
  const float* f32 = x_.defined() ? x_.data() : nullptr;
  const float scale = u8_scale_;
  // Each row's cache lines are asked for kAhead rows before they are converted, so that several
  // rows' misses overlap instead of one row's after another's (MLP batch of 64 rows of 784 bytes:
  // 27-37 us -> 15-19 us per batch).
  constexpr int64_t kAhead = 4;
  const int64_t row_bytes = per * static_cast<int64_t>(f32 ? sizeof(float) : 1);
  const auto* base = f32 ? static_cast<const char*>(static_cast<const void*>(f32))
                         : static_cast<const char*>(static_cast<const void*>(u8));
  const auto prefetch_row = [&](int64_t k) {
#if defined(__GNUC__) || defined(__clang__)
    const char* row = base + indices[static_cast<size_t>(k)] * row_bytes;
    for (int64_t b = 0; b < row_bytes; b += 64) __builtin_prefetch(row + b, 0, 3);
#else
    (void)k;
#endif
  };
  parallel_chunks(count, 2 * per, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < std::min(hi, lo + kAhead); ++k) prefetch_row(k);
    for (int64_t k = lo; k < hi; ++k) {
      if (k + kAhead < hi) prefetch_row(k + kAhead);
      const int64_t i = indices[static_cast<size_t>(k)];
      float* dst = x_out + k * per;
      if (f32)
        std::memcpy(dst, f32 + i * per, static_cast<size_t>(per) * sizeof(float));
      else
        u8_to_float(u8 + i * per, dst, per, scale);
    }
  });
}

namespace {
// Row k becomes old row order[k], for a permutation `order` of the n rows of `per` elements:
// each cycle of the permutation is followed once, with one row saved aside.
template <class T>
void permute_rows(T* data, int64_t per, std::span<const int64_t> order) {
  if (per == 0) return;
  const auto n = static_cast<int64_t>(order.size());
  const auto row = [&](int64_t i) { return data + i * per; };
  std::vector<uint8_t> done(static_cast<size_t>(n), 0);
  std::vector<T> saved(static_cast<size_t>(per));
  for (int64_t k = 0; k < n; ++k) {
    if (done[static_cast<size_t>(k)]) continue;
    std::copy_n(row(k), per, saved.data());
    for (int64_t j = k;;) {
      const int64_t from = order[static_cast<size_t>(j)];
      done[static_cast<size_t>(j)] = 1;
      if (from == k) {
        std::copy_n(saved.data(), per, row(j));
        break;
      }
      std::copy_n(row(from), per, row(j));
      j = from;
    }
  }
}
}  // namespace

void Dataset::keep(std::span<const int64_t> indices) {
  // The full permutation: the kept samples in the order asked, then the others in their order.
  std::vector<uint8_t> kept(static_cast<size_t>(n_), 0);
  for (int64_t i : indices) {
    NN_CHECK(i >= 0 && i < n_, "Dataset::keep: index ", i, " out of range for ", n_, " samples");
    NN_CHECK(!kept[static_cast<size_t>(i)], "Dataset::keep: index ", i, " appears twice");
    kept[static_cast<size_t>(i)] = 1;
  }
  std::vector<int64_t> order(indices.begin(), indices.end());
  for (int64_t i = 0; i < n_; ++i)
    if (!kept[static_cast<size_t>(i)]) order.push_back(i);
  const auto n = static_cast<int64_t>(indices.size());
  if (x_.defined()) {
    permute_rows(x_.data(), sample_numel_, order);
    x_.resize(sample_shape_.batched(n));
  } else {
    permute_rows(x_u8_.data(), sample_numel_, order);
    x_u8_.resize(static_cast<size_t>(n * sample_numel_));
  }
  if (!labels_.empty()) {
    permute_rows(labels_.data(), 1, order);
    labels_.resize(static_cast<size_t>(n));
  }
  if (targets_.defined()) {
    permute_rows(targets_.data(), target_numel(), order);
    targets_.resize(targets_.shape().sample().batched(n));
  }
  n_ = n;
}

Dataset Dataset::subset(std::span<const int64_t> indices) const {
  Dataset d;
  d.name = name;
  d.class_names = class_names;
  d.n_ = static_cast<int64_t>(indices.size());
  d.sample_shape_ = sample_shape_;
  d.sample_numel_ = sample_numel_;
  d.num_classes_ = num_classes_;
  d.u8_scale_ = u8_scale_;
  const int64_t per = sample_numel_;
  for (int64_t i : indices) NN_CHECK(i >= 0 && i < n_, "Dataset::subset: index ", i, " out of range for ", n_);
  if (x_.defined()) {
    d.x_ = Tensor(sample_shape_.batched(d.n_));
    for (size_t k = 0; k < indices.size(); ++k)
      std::memcpy(d.x_.data() + static_cast<int64_t>(k) * per, x_.data() + indices[k] * per,
                  static_cast<size_t>(per) * sizeof(float));
  } else {
    d.x_u8_.resize(static_cast<size_t>(d.n_ * per));
    for (size_t k = 0; k < indices.size(); ++k)
      std::memcpy(d.x_u8_.data() + static_cast<int64_t>(k) * per, x_u8_.data() + indices[k] * per,
                  static_cast<size_t>(per));
  }
  if (!labels_.empty())
    for (int64_t i : indices) d.labels_.push_back(labels_[static_cast<size_t>(i)]);
  if (targets_.defined()) {
    const int64_t tw = target_numel();
    d.targets_ = Tensor(targets_.shape().sample().batched(d.n_));
    for (size_t k = 0; k < indices.size(); ++k)
      std::memcpy(d.targets_.data() + static_cast<int64_t>(k) * tw, targets_.data() + indices[k] * tw,
                  static_cast<size_t>(tw) * sizeof(float));
  }
  return d;
}

float Dataset::feature(int64_t sample, int64_t j) const {
  const int64_t k = sample * sample_numel_ + j;
  return x_.defined() ? x_[k] : static_cast<float>(x_u8_[static_cast<size_t>(k)]) * u8_scale_;
}

}  // namespace nn::data
