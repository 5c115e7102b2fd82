#include "nn/data/transform.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nn/error.hpp"

namespace nn::data {

namespace {

// Calls f(row pointer as float values) for every sample, converting uint8 rows into a buffer.
template <class F>
void for_each_row(const Dataset& data, F&& f) {
  const int64_t per = data.sample_numel();
  if (data.is_u8()) {
    std::vector<float> row(static_cast<size_t>(per));
    const uint8_t* src = data.features_u8().data();
    const float s = data.u8_scale();
    for (int64_t i = 0; i < data.size(); ++i) {
      for (int64_t j = 0; j < per; ++j) row[static_cast<size_t>(j)] = static_cast<float>(src[i * per + j]) * s;
      f(row.data());
    }
  } else {
    const float* x = data.features().data();
    for (int64_t i = 0; i < data.size(); ++i) f(x + i * per);
  }
}

void check_width(const char* who, int64_t fitted, int64_t found, const Shape& shape) {
  NN_CHECK(fitted > 0, who, ": not fitted: call fit() on the training data first");
  NN_CHECK(fitted == found, who, ": fitted on ", fitted, " features per sample, found ", found, " (samples ",
           shape.str(), ")");
}

// x[i, j] = f(x[i, j], j) for every row of width `per`.
template <class F>
void map_rows(Tensor& x, int64_t per, F&& f) {
  const int64_t n = x.numel() / per;
  float* p = x.data();
  for (int64_t i = 0; i < n; ++i) {
    float* row = p + i * per;
    for (int64_t j = 0; j < per; ++j) row[j] = f(row[j], static_cast<size_t>(j));
  }
}

// Features per sample of x [N, ...]; an empty batch fits any scaler.
int64_t row_width(const Tensor& x, int64_t fitted) {
  if (x.numel() == 0) return fitted;
  return x.rank() >= 1 ? x.numel() / x.dim(0) : x.numel();
}

}  // namespace

// ---- StandardScaler ------------------------------------------------------------------------------

StandardScaler& StandardScaler::fit(const Dataset& data) {
  NN_CHECK(data.size() > 0, "StandardScaler: expected a non-empty dataset to fit");
  const auto per = static_cast<size_t>(data.sample_numel());
  // Two passes in double: the mean, then the mean squared deviation.
  std::vector<double> sum(per, 0.0), sq(per, 0.0);
  for_each_row(data, [&](const float* row) {
    for (size_t j = 0; j < per; ++j) sum[j] += row[j];
  });
  const auto n = static_cast<double>(data.size());
  for (size_t j = 0; j < per; ++j) sum[j] /= n;
  for_each_row(data, [&](const float* row) {
    for (size_t j = 0; j < per; ++j) {
      const double d = row[j] - sum[j];
      sq[j] += d * d;
    }
  });
  mean_.resize(per);
  scale_.resize(per);
  for (size_t j = 0; j < per; ++j) {
    mean_[j] = static_cast<float>(sum[j]);
    const double sd = std::sqrt(sq[j] / n);
    // A constant feature (up to the rounding of its mean) keeps scale 1, as in scikit-learn.
    scale_[j] = sd <= 10.0 * std::numeric_limits<float>::epsilon() * std::fabs(sum[j])
                    ? 1.0f
                    : static_cast<float>(sd);
  }
  return *this;
}

void StandardScaler::transform(Tensor& x) const {
  check_width("StandardScaler", num_features(), row_width(x, num_features()), x.shape());
  map_rows(x, num_features(), [&](float v, size_t j) { return (v - mean_[j]) / scale_[j]; });
}

void StandardScaler::inverse_transform(Tensor& x) const {
  check_width("StandardScaler", num_features(), row_width(x, num_features()), x.shape());
  map_rows(x, num_features(), [&](float v, size_t j) { return v * scale_[j] + mean_[j]; });
}

void StandardScaler::transform(Dataset& data) const {
  check_width("StandardScaler", num_features(), data.sample_numel(), data.sample_shape());
  if (data.empty()) return;
  transform(data.mutable_features());
}

void StandardScaler::set_state(std::vector<float> mean, std::vector<float> scale) {
  NN_CHECK(!mean.empty() && mean.size() == scale.size(), "StandardScaler::set_state: expected mean and scale of ",
           "the same non-zero size, found ", mean.size(), " and ", scale.size());
  for (size_t j = 0; j < scale.size(); ++j)
    NN_CHECK(scale[j] > 0.0f && std::isfinite(scale[j]), "StandardScaler::set_state: scale[", j,
             "] must be positive and finite, found ", scale[j]);
  mean_ = std::move(mean);
  scale_ = std::move(scale);
}

// ---- MinMaxScaler --------------------------------------------------------------------------------

MinMaxScaler::MinMaxScaler(float low, float high) : low_(low), high_(high) {
  NN_CHECK(low < high, "MinMaxScaler: expected a range with low < high, found [", low, ", ", high, "]");
}

MinMaxScaler& MinMaxScaler::fit(const Dataset& data) {
  NN_CHECK(data.size() > 0, "MinMaxScaler: expected a non-empty dataset to fit");
  const auto per = static_cast<size_t>(data.sample_numel());
  data_min_.assign(per, std::numeric_limits<float>::infinity());
  data_max_.assign(per, -std::numeric_limits<float>::infinity());
  for_each_row(data, [&](const float* row) {
    for (size_t j = 0; j < per; ++j) {
      data_min_[j] = std::min(data_min_[j], row[j]);
      data_max_[j] = std::max(data_max_[j], row[j]);
    }
  });
  derive();
  return *this;
}

void MinMaxScaler::derive() {
  const size_t per = data_min_.size();
  scale_.resize(per);
  for (size_t j = 0; j < per; ++j) {
    const double range = static_cast<double>(data_max_[j]) - data_min_[j];
    const double s = range > 0.0 ? (static_cast<double>(high_) - low_) / range : 1.0;
    scale_[j] = static_cast<float>(s);
  }
}

void MinMaxScaler::transform(Tensor& x) const {
  check_width("MinMaxScaler", num_features(), row_width(x, num_features()), x.shape());
  map_rows(x, num_features(), [&](float v, size_t j) { return (v - data_min_[j]) * scale_[j] + low_; });
}

void MinMaxScaler::inverse_transform(Tensor& x) const {
  check_width("MinMaxScaler", num_features(), row_width(x, num_features()), x.shape());
  map_rows(x, num_features(), [&](float v, size_t j) { return (v - low_) / scale_[j] + data_min_[j]; });
}

void MinMaxScaler::transform(Dataset& data) const {
  check_width("MinMaxScaler", num_features(), data.sample_numel(), data.sample_shape());
  if (data.empty()) return;
  transform(data.mutable_features());
}

void MinMaxScaler::set_state(std::vector<float> data_min, std::vector<float> data_max) {
  NN_CHECK(!data_min.empty() && data_min.size() == data_max.size(), "MinMaxScaler::set_state: expected data_min ",
           "and data_max of the same non-zero size, found ", data_min.size(), " and ", data_max.size());
  for (size_t j = 0; j < data_min.size(); ++j)
    NN_CHECK(data_min[j] <= data_max[j], "MinMaxScaler::set_state: data_min[", j, "] = ", data_min[j],
             " exceeds data_max[", j, "] = ", data_max[j]);
  data_min_ = std::move(data_min);
  data_max_ = std::move(data_max);
  derive();
}

// ---- one_hot -------------------------------------------------------------------------------------

Tensor one_hot(std::span<const int32_t> labels, int64_t num_classes) {
  NN_CHECK(num_classes > 0, "one_hot: expected num_classes > 0, found ", num_classes);
  const auto n = static_cast<int64_t>(labels.size());
  Tensor t(Shape{n, num_classes});
  for (int64_t i = 0; i < n; ++i) {
    const int32_t c = labels[static_cast<size_t>(i)];
    NN_CHECK(c >= 0 && c < num_classes, "one_hot: label ", c, " of sample ", i, " is out of range for ",
             num_classes, " classes");
    t.at(i, c) = 1.0f;
  }
  return t;
}

}  // namespace nn::data
