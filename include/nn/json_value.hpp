/// @file
/// nn::JsonValue: a JSON value held as a data member of a public struct (a layer's settings in a
/// model spec, a checkpoint's settings, a run's settings) without the public headers including
/// nlohmann JSON's full header: only <nlohmann/json_fwd.hpp>. Include <nlohmann/json.hpp> where
/// the value itself is read or built.
#pragma once

#include "nn/export.hpp"

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace nn {

/// A nlohmann::json value (an empty object by default) with value semantics: copies are deep.
/// It converts to and from nlohmann::json implicitly; `->` and get() reach the value's own
/// members (`settings->dump()`, `params->erase("type")`).
class NN_API JsonValue {
 public:
  /// An empty JSON object, {}.
  JsonValue();
  /// A copy of `value`; implicit, as befits a value type.
  JsonValue(const nlohmann::json& value);  // NOLINT(google-explicit-constructor): a value type
  /// Takes `value` over; implicit.
  JsonValue(nlohmann::json&& value);  // NOLINT(google-explicit-constructor)
  /// A deep copy.
  JsonValue(const JsonValue& other);
  /// Takes the other's value over; `other` is left an empty object.
  JsonValue(JsonValue&& other) noexcept;
  /// A deep copy.
  JsonValue& operator=(const JsonValue& other);
  /// Takes the other's value over; `other` is left an empty object.
  JsonValue& operator=(JsonValue&& other) noexcept;
  /// Replaces the value with a copy of `value`.
  JsonValue& operator=(const nlohmann::json& value);
  /// Replaces the value with `value`.
  JsonValue& operator=(nlohmann::json&& value);
  ~JsonValue();  ///< frees the value

  /// The value; a reference into this object, valid until it is destroyed or moved from.
  nlohmann::json& get();
  /// The value; a reference into this object, valid until it is destroyed or moved from.
  const nlohmann::json& get() const;
  /// The value, as a nlohmann::json; a reference into this object.
  operator nlohmann::json&();  // NOLINT(google-explicit-constructor)
  /// The value, as a nlohmann::json; a reference into this object.
  operator const nlohmann::json&() const;  // NOLINT(google-explicit-constructor)
  /// The value's members: `v->dump()`.
  nlohmann::json* operator->();
  /// The value's members: `v->dump()`.
  const nlohmann::json* operator->() const;

  /// The member `key` of an object (created as null when absent, as nlohmann::json does).
  nlohmann::json& operator[](const std::string& key);
  /// The member `key` of an object; nlohmann::json's error when absent.
  const nlohmann::json& operator[](const std::string& key) const;
  /// Whether the value is an object with a member `key`.
  bool contains(std::string_view key) const;
  /// The compact JSON text (nlohmann::json::dump()).
  std::string dump() const;

  /// Equal JSON values.
  friend NN_API bool operator==(const JsonValue& a, const JsonValue& b);
  /// Equal JSON values.
  friend NN_API bool operator==(const JsonValue& a, const nlohmann::json& b);

 private:
  std::unique_ptr<nlohmann::json> value_;
};

}  // namespace nn
