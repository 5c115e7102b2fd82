// Python values as JSON and back (layer settings, model specs).
#include <nanobind/stl/string.h>

#include "common.hpp"
#include "nn/error.hpp"

namespace nnpy {

namespace {

// Settings are flat ({"kernel": [3, 3]}): nesting deeper than this is refused, never recursed into.
constexpr int kMaxDepth = 16;

nlohmann::json convert(nb::handle v, const std::string& where, int depth) {
  NN_CHECK(depth <= kMaxDepth, where, ": nested deeper than ", kMaxDepth, " levels");
  if (v.is_none()) return nullptr;
  if (nb::isinstance<nb::bool_>(v)) return nb::cast<bool>(v);
  if (nb::isinstance<nb::int_>(v)) return nb::cast<int64_t>(v);
  if (nb::isinstance<nb::float_>(v)) return nb::cast<double>(v);
  if (nb::isinstance<nb::str>(v)) return nb::cast<std::string>(v);
  if (nb::isinstance<nb::dict>(v)) {
    nlohmann::json j = nlohmann::json::object();
    for (auto [k, item] : nb::borrow<nb::dict>(v))
      j[nb::cast<std::string>(nb::str(k))] = convert(item, where, depth + 1);
    return j;
  }
  if (nb::isinstance<nb::list>(v) || nb::isinstance<nb::tuple>(v)) {
    nlohmann::json j = nlohmann::json::array();
    for (nb::handle item : v) j.push_back(convert(item, where, depth + 1));
    return j;
  }
  // NumPy scalars and anything else with an exact int or float value.
  if (nb::hasattr(v, "__index__")) return nb::cast<int64_t>(nb::int_(v));
  if (nb::hasattr(v, "__float__")) return nb::cast<double>(nb::float_(v));
  throw nb::type_error((where + ": expected a number, a word, a list or a dict, found " +
                        std::string(nb::type_name(v.type()).c_str()))
                           .c_str());
}

}  // namespace

nlohmann::json to_json(nb::handle v, const std::string& where) { return convert(v, where, 0); }

nb::object from_json(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return nb::none();
    case nlohmann::json::value_t::boolean: return nb::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return nb::int_(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: return nb::int_(j.get<uint64_t>());
    case nlohmann::json::value_t::number_float: return nb::float_(j.get<double>());
    case nlohmann::json::value_t::string: return nb::str(j.get<std::string>().c_str());
    case nlohmann::json::value_t::array: {
      nb::list l;
      for (const auto& item : j) l.append(from_json(item));
      return l;
    }
    case nlohmann::json::value_t::object: {
      nb::dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d[it.key().c_str()] = from_json(it.value());
      return d;
    }
    default: return nb::none();
  }
}

}  // namespace nnpy
