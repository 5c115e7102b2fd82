#include "nn/data/scaler.hpp"

#include <cmath>
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
    case ScalerKind::none:
      break;
  }
  return "none";
}

ScalerKind parse_scaler_kind(std::string_view name, std::string_view what) {
  if (name == "none") return ScalerKind::none;
  if (name == "standard") return ScalerKind::standard;
  if (name == "minmax") return ScalerKind::minmax;
  fail(what, ": expected none, standard or minmax, found '", name, "'");
}

void Scaler::set_state(std::vector<float> a, std::vector<float> b) {
  if (kind_ == ScalerKind::standard) standard_.set_state(a, b);
  if (kind_ == ScalerKind::minmax) minmax_.set_state(a, b);
  a_ = std::move(a);
  b_ = std::move(b);
}

Scaler& Scaler::fit(const Dataset& data) {
  if (kind_ == ScalerKind::standard) {
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
}

void Scaler::transform(Tensor& x) const {
  NN_CHECK(fitted(), "Scaler (", kind_name(), "): not fitted: call fit() on the training data first");
  if (kind_ == ScalerKind::standard) standard_.transform(x);
  if (kind_ == ScalerKind::minmax) minmax_.transform(x);
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
