#include "nn/data/scaler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"

namespace nn::data {

using json = nlohmann::json;

const char* scaler_kind_name(ScalerKind kind) {
  switch (kind) {
    case ScalerKind::standard:
      return "standard";
    case ScalerKind::minmax:
      return "minmax";
    case ScalerKind::range:
      return "range";
    case ScalerKind::none:
      break;
  }
  return "none";
}

ScalerKind parse_scaler_kind(std::string_view name, std::string_view what) {
  if (name == "none") return ScalerKind::none;
  if (name == "standard") return ScalerKind::standard;
  if (name == "minmax") return ScalerKind::minmax;
  if (name == "range") return ScalerKind::range;
  fail(what, ": expected none, standard, minmax or range, found '", name, "'");
}

void Scaler::set_state(std::vector<float> a, std::vector<float> b) {
  if (kind_ == ScalerKind::standard) standard_.set_state(a, b);
  if (kind_ == ScalerKind::minmax) minmax_.set_state(a, b);
  a_ = std::move(a);
  b_ = std::move(b);
}

namespace {

// x -> (x - lo) / (hi - lo) over every value (hi == lo: x - lo).
void range_transform(float* x, int64_t n, float lo, float hi) {
  const float inv = hi > lo ? 1.0f / (hi - lo) : 1.0f;
  for (int64_t i = 0; i < n; ++i) x[i] = (x[i] - lo) * inv;
}

}  // namespace

Scaler& Scaler::fit(const Dataset& data) {
  if (kind_ == ScalerKind::range) {
    NN_CHECK(data.size() > 0, "Scaler (range): expected a non-empty dataset to fit");
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    if (data.is_u8()) {
      const auto [mn, mx] = std::minmax_element(data.features_u8().begin(), data.features_u8().end());
      lo = static_cast<float>(*mn) * data.u8_scale();
      hi = static_cast<float>(*mx) * data.u8_scale();
    } else {
      for (float v : data.features().span()) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
    NN_CHECK(std::isfinite(lo) && std::isfinite(hi), "Scaler (range): ", data.name,
             " holds a non-finite value; cannot scale it");
    set_state({lo}, {hi});
  } else if (kind_ == ScalerKind::standard) {
    StandardScaler s;
    s.fit(data);
    set_state(s.mean(), s.scale());
  } else if (kind_ == ScalerKind::minmax) {
    MinMaxScaler s;
    s.fit(data);
    set_state(s.data_min(), s.data_max());
  }
  return *this;
}

void Scaler::transform(Dataset& data) const {
  NN_CHECK(fitted(), "Scaler (", kind_name(), "): not fitted: call fit() on the training data first");
  if (kind_ == ScalerKind::standard) standard_.transform(data);
  if (kind_ == ScalerKind::minmax) minmax_.transform(data);
  if (kind_ == ScalerKind::range) {
    Tensor& x = data.mutable_features();
    range_transform(x.data(), x.numel(), a_[0], b_[0]);
  }
}

void Scaler::transform(Tensor& x) const {
  NN_CHECK(fitted(), "Scaler (", kind_name(), "): not fitted: call fit() on the training data first");
  if (kind_ == ScalerKind::standard) standard_.transform(x);
  if (kind_ == ScalerKind::minmax) minmax_.transform(x);
  if (kind_ == ScalerKind::range) range_transform(x.data(), x.numel(), a_[0], b_[0]);
}

json Scaler::to_json() const { return {{"kind", kind_name()}, {"a", a_}, {"b", b_}}; }

namespace {

std::vector<float> finite_values(const json& j, const char* field, std::string_view what) {
  auto it = j.find(field);
  NN_CHECK(it != j.end(), what, ": field '", field, "' is missing");
  NN_CHECK(it->is_array(), what, ": field '", field, "': expected an array of numbers, found ", it->type_name());
  std::vector<float> out;
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    NN_CHECK(v.is_number(), what, ": field '", field, "'[", i, "]: expected a finite number, found ",
             v.is_null() ? std::string("null") : v.dump());
    const double d = v.get<double>();
    const auto f = static_cast<float>(d);
    NN_CHECK(std::isfinite(f), what, ": field '", field, "'[", i, "]: expected a finite float32 value, found ",
             v.dump());
    out.push_back(f);
  }
  return out;
}

}  // namespace

Scaler Scaler::from_json(const json& j, std::string_view what) {
  NN_CHECK(j.is_object(), what, ": expected a JSON object {\"kind\", \"a\", \"b\"}, found ", j.type_name());
  auto kind = j.find("kind");
  NN_CHECK(kind != j.end(), what, ": field 'kind' is missing");
  NN_CHECK(kind->is_string(), what, ": field 'kind': expected a string, found ", kind->dump());
  Scaler s(parse_scaler_kind(kind->get<std::string>(), std::string(what) + ": field 'kind'"));
  std::vector<float> a = finite_values(j, "a", what), b = finite_values(j, "b", what);
  NN_CHECK(a.size() == b.size(), what, ": fields 'a' and 'b': expected the same size, found ", a.size(), " and ",
           b.size());
  if (s.kind_ == ScalerKind::none) {
    NN_CHECK(a.empty(), what, ": fields 'a' and 'b': expected no values for kind none, found ", a.size());
    return s;
  }
  NN_CHECK(!a.empty(), what, ": fields 'a' and 'b': expected one value per feature for kind ", s.kind_name(),
           ", found none");
  NN_CHECK(s.kind_ != ScalerKind::range || a.size() == 1, what,
           ": fields 'a' and 'b': expected one value (the overall minimum and maximum) for kind range, found ",
           a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (s.kind_ == ScalerKind::standard)
      NN_CHECK(b[i] > 0.0f, what, ": field 'b'[", i, "] (scale): expected a positive value, found ", b[i]);
    else
      NN_CHECK(a[i] <= b[i], what, ": field 'a'[", i, "] (data_min) = ", a[i], " exceeds field 'b'[", i,
               "] (data_max) = ", b[i]);
  }
  s.set_state(std::move(a), std::move(b));
  return s;
}

}  // namespace nn::data
