/// @file
/// @brief nn::data::Scaler, the input scaling a model was trained with, as one serialisable value.
#pragma once

#include "nn/export.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/data/dataset.hpp"
#include "nn/data/transform.hpp"
#include "nn/tensor.hpp"

namespace nn::data {

/// The kinds of input scaling a Scaler applies.
enum class ScalerKind {
  none,      ///< inputs are left as they are
  standard,  ///< per feature, x' = (x - mean) / scale (StandardScaler)
  minmax,    ///< per feature, the training range onto [0, 1] (MinMaxScaler)
  range      ///< every value onto [0, 1] by the overall minimum and maximum (images)
};

/// The name of a kind: "none", "standard", "minmax", "range" (a static string).
NN_API const char* scaler_kind_name(ScalerKind kind);
/// The kind a name means; nn::Error naming `what` ("--scale", a file's field) for any other name.
NN_API ScalerKind parse_scaler_kind(std::string_view name, std::string_view what = "scaler kind");

/// The input scaling a model was trained with, as one serialisable value.
///
/// Its kind is none, standard (StandardScaler: a = mean, b = scale), minmax (MinMaxScaler onto
/// [0, 1]: a = data_min, b = data_max, per feature) or range (every value onto [0, 1] by the overall
/// minimum a[0] and maximum b[0]: for images, where per-pixel statistics would distort them). It is
/// fitted on the training part only, applied to every part, and saved with the model (JSON
/// {"kind": "standard", "a": [...], "b": [...]}) so that evaluation and prediction prepare their
/// inputs the same way.
/// @code
/// nn::data::Scaler s(nn::data::ScalerKind::standard);
/// s.fit(train);
/// s.transform(train);
/// s.transform(test);
/// @endcode
class NN_API Scaler {
 public:
  Scaler() = default;  ///< kind none: leaves inputs as they are
  explicit Scaler(ScalerKind kind) : kind_(kind) {}  ///< an unfitted scaler of `kind`

  ScalerKind kind() const { return kind_; }  ///< the kind of scaling
  const char* kind_name() const { return scaler_kind_name(kind_); }  ///< the kind's name ("standard")
  /// A none scaler is always fitted; the others once fit() or from_json() gave them their state.
  bool fitted() const { return kind_ == ScalerKind::none || !a_.empty(); }
  /// The length of the state: features per sample for standard and minmax, 1 for range, 0 for none.
  int64_t num_features() const { return static_cast<int64_t>(a_.size()); }
  /// The fitted state: standard: mean and scale; minmax: data_min and data_max; range: the overall
  /// minimum and maximum (one value each); none: empty.
  const std::vector<float>& a() const { return a_; }
  const std::vector<float>& b() const { return b_; }  ///< the second half of the state (see a())

  /// Fits the state on `data` (a no-op for none). @return *this.
  /// @throws nn::Error for an empty dataset (or, for range, non-finite values).
  Scaler& fit(const Dataset& data);
  /// In place; a none scaler changes nothing (uint8 datasets stay uint8). nn::Error when not fitted
  /// or when the samples' width differs from the fitted one.
  void transform(Dataset& data) const;
  void transform(Tensor& x) const;  ///< x: [N, ...] with num_features() values per sample

  nlohmann::json to_json() const;  ///< the saved form: {"kind": ..., "a": [...], "b": [...]}
  /// Validates kind, sizes (a and b equal, empty for none, non-empty otherwise) and values (finite;
  /// standard: scale > 0; minmax: data_min <= data_max). Errors start with `what` and name the field.
  static Scaler from_json(const nlohmann::json& j, std::string_view what = "scaler");

  /// Same kind and the same state (a and b) value for value.
  bool operator==(const Scaler& other) const { return kind_ == other.kind_ && a_ == other.a_ && b_ == other.b_; }

 private:
  ScalerKind kind_ = ScalerKind::none;
  std::vector<float> a_, b_;
  StandardScaler standard_;  // set from (a, b) for kind standard
  MinMaxScaler minmax_;      // set from (a, b) for kind minmax
  void set_state(std::vector<float> a, std::vector<float> b);
};

}  // namespace nn::data
