#include "nn/json_value.hpp"

#include <nlohmann/json.hpp>

namespace nn {

JsonValue::JsonValue() : value_(std::make_unique<nlohmann::json>(nlohmann::json::object())) {}
JsonValue::JsonValue(const nlohmann::json& value) : value_(std::make_unique<nlohmann::json>(value)) {}
JsonValue::JsonValue(nlohmann::json&& value) : value_(std::make_unique<nlohmann::json>(std::move(value))) {}
JsonValue::JsonValue(const JsonValue& other) : value_(std::make_unique<nlohmann::json>(*other.value_)) {}
// The moved-from value stays usable: an empty object, as a default-constructed one.
JsonValue::JsonValue(JsonValue&& other) noexcept : value_(std::make_unique<nlohmann::json>(nlohmann::json::object())) {
  value_.swap(other.value_);
}
JsonValue& JsonValue::operator=(const JsonValue& other) {
  *value_ = *other.value_;
  return *this;
}
JsonValue& JsonValue::operator=(JsonValue&& other) noexcept {
  value_->swap(*other.value_);
  *other.value_ = nlohmann::json::object();
  return *this;
}
JsonValue& JsonValue::operator=(const nlohmann::json& value) {
  *value_ = value;
  return *this;
}
JsonValue& JsonValue::operator=(nlohmann::json&& value) {
  *value_ = std::move(value);
  return *this;
}
JsonValue::~JsonValue() = default;

nlohmann::json& JsonValue::get() { return *value_; }
const nlohmann::json& JsonValue::get() const { return *value_; }
JsonValue::operator nlohmann::json&() { return *value_; }
JsonValue::operator const nlohmann::json&() const { return *value_; }
nlohmann::json* JsonValue::operator->() { return value_.get(); }
const nlohmann::json* JsonValue::operator->() const { return value_.get(); }

nlohmann::json& JsonValue::operator[](const std::string& key) { return (*value_)[key]; }
const nlohmann::json& JsonValue::operator[](const std::string& key) const { return value_->at(key); }
bool JsonValue::contains(std::string_view key) const { return value_->is_object() && value_->contains(key); }
std::string JsonValue::dump() const { return value_->dump(); }

bool operator==(const JsonValue& a, const JsonValue& b) { return *a.value_ == *b.value_; }
bool operator==(const JsonValue& a, const nlohmann::json& b) { return *a.value_ == b; }

}  // namespace nn
