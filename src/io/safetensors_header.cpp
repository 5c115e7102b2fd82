#include "nn/io/safetensors_header.hpp"

#include <climits>
#include <cstdint>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/json.hpp"
#include "nn/io/limits.hpp"
#include "nn/tensor.hpp"

namespace nn::io {

namespace {

using json = nlohmann::json;

// A list of unsigned integers as it arrives (shape, data_offsets), and its text for messages.
struct Numbers {
  bool present = false, array = false, ok = true;
  size_t count = 0;  // elements, of any type
  std::vector<uint64_t> values;
  std::string text;  // at most ~80 characters
  void add(const std::string& token) {
    ++count;
    if (text.size() < 80) text += (text.size() > 1 ? "," : "") + token;
  }
  std::string shown() const {
    if (!array) return text;
    return text.size() >= 80 ? text + "...]" : text + "]";
  }
};

struct Entry {
  bool object = true;
  std::string dtype;
  const char* dtype_type = nullptr;  // the JSON type when dtype is not a string
  Numbers shape, offsets;
};

class HeaderReader final : public nlohmann::json_sax<json> {
 public:
  HeaderReader(SafetensorsHeader& out, uint64_t data_size, const std::string& where, bool integers)
      : out_(out), data_size_(data_size), where_(where), integers_(integers) {}
  const std::string& error() const { return error_; }

  bool null() override { return scalar("null", "null"); }
  bool boolean(bool v) override { return scalar("boolean", v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return scalar("number", std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar("number", std::to_string(v), &v); }
  bool number_float(number_float_t v, const string_t& s) override {
    (void)v;
    return scalar("number", s);
  }
  bool string(string_t& v) override {
    std::string token(1, '"');
    token.append(v, 0, 40).push_back('"');
    return scalar("string", token, nullptr, &v);
  }
  bool binary(binary_t&) override { return scalar("binary", "binary"); }

  bool start_object(std::size_t) override {
    if (!enter("object")) return false;
    keys_.emplace_back();
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    return leave();
  }
  bool start_array(std::size_t) override { return enter("array"); }
  bool end_array() override { return leave(); }
  bool key(string_t& k) override {
    if (!keys_.back().insert(k).second) return bad("the key '", k.substr(0, 80), "' appears twice in one object");
    if (depth_ == 1) name_ = k;
    if (depth_ == 2) field_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    return bad("header: invalid JSON: ", e.what());
  }

 private:
  template <class... Args>
  bool bad(Args&&... args) {
    if (error_.empty()) error_ = detail::concat(where_, ": ", std::forward<Args>(args)...);
    return false;
  }

  // A value (scalar, or the start of an array or object) at the current depth.
  bool value(const char* type, const std::string& token, const uint64_t* u, const std::string* s, bool container) {
    if (depth_ == 0) {
      if (!container || std::string_view(type) != "object")
        return bad("expected the header to be a JSON object, found ", type);
      return true;
    }
    if (depth_ == 1) {
      meta_ = name_ == "__metadata__";
      if (meta_ && std::string_view(type) != "object") return bad("__metadata__ must be an object of strings");
      if (!meta_) {
        entry_ = Entry{};
        entry_.object = std::string_view(type) == "object";
        if (!entry_.object) return finish_entry();
      }
      return true;
    }
    if (meta_) {
      if (depth_ == 2) {
        if (s == nullptr) return bad("__metadata__ value of '", field_.substr(0, 80), "' must be a string, found ", type);
        out_.metadata[field_] = *s;
      }
      return true;
    }
    if (depth_ == 2) {
      if (field_ == "dtype") {
        if (s != nullptr) entry_.dtype = *s;
        else entry_.dtype_type = type;
      }
      Numbers* list = field_ == "shape" ? &entry_.shape : field_ == "data_offsets" ? &entry_.offsets : nullptr;
      if (list != nullptr) {
        list->present = true;
        list->array = container && std::string_view(type) == "array";
        list->text = list->array ? "[" : container ? std::string(type) : token.substr(0, 80);
        list->ok = list->array;
      }
      return true;
    }
    if (depth_ == 3) {
      Numbers* list = field_ == "shape" ? &entry_.shape : field_ == "data_offsets" ? &entry_.offsets : nullptr;
      if (list != nullptr && list->array) {
        list->add(container ? std::string(std::string_view(type) == "array" ? "[...]" : "{...}") : token);
        if (u != nullptr) list->values.push_back(*u);
        else list->ok = false;
      }
    }
    return true;
  }
  bool scalar(const char* type, const std::string& token, const uint64_t* u = nullptr, const std::string* s = nullptr) {
    return value(type, token, u, s, false);
  }
  bool enter(const char* type) {
    if (!value(type, "", nullptr, nullptr, true)) return false;
    ++depth_;
    return true;
  }
  bool leave() {
    --depth_;
    if (depth_ == 1 && !meta_) return finish_entry();
    return true;
  }

  // Checks one tensor entry, in the order the fields matter.
  bool finish_entry() {
    const std::string t = "tensor '" + name_.substr(0, 80) + "': ";
    const Entry& e = entry_;
    if (!e.object || (e.dtype.empty() && e.dtype_type == nullptr) || !e.shape.present || !e.offsets.present)
      return bad(t, "expected an object with dtype, shape and data_offsets");
    if (e.dtype_type != nullptr) return bad(t, "dtype must be a string");
    const uint64_t item = item_bytes(e.dtype);
    if (item == 0)
      return bad(t, "dtype ", e.dtype.substr(0, 16), " is not supported (expected F32",
                 integers_ ? ", I64, I32, I16, I8 or U8" : "", ")");
    if (!e.shape.array || e.shape.count > static_cast<size_t>(Shape::kMaxRank))
      return bad(t, "expected a shape of at most ", Shape::kMaxRank, " dimensions, found ", e.shape.shown());
    if (!e.shape.ok) return bad(t, "shape must hold non-negative integers, found ", e.shape.shown());
    std::vector<int64_t> dims;
    for (const uint64_t v : e.shape.values) {
      if (v > static_cast<uint64_t>(INT64_MAX)) return bad(t, "shape must hold non-negative integers, found ", e.shape.shown());
      dims.push_back(static_cast<int64_t>(v));
    }
    uint64_t count = 0, bytes = 0;
    if (!checked_bytes(dims, item, UINT64_MAX, count, bytes))
      return bad(t, "shape ", e.shape.shown(), " has more elements than 64 bits can count");
    if (!e.offsets.ok || e.offsets.count != 2)
      return bad(t, "data_offsets must be two non-negative integers, found ", e.offsets.shown());
    const uint64_t b = e.offsets.values[0], end = e.offsets.values[1];
    if (!(b <= end && end <= data_size_))
      return bad(t, "data_offsets [", b, ", ", end, "] out of the data section's ", data_size_, " bytes");
    if (end - b != bytes) return bad(t, "shape ", e.shape.shown(), " needs ", bytes, " bytes, data_offsets give ", end - b);
    out_.entries.push_back({name_, std::move(dims), b, end, e.dtype, item});
    return true;
  }

  // Bytes per element of a dtype this reader accepts; 0 for any other.
  uint64_t item_bytes(const std::string& dtype) const {
    if (dtype == "F32") return 4;
    if (!integers_) return 0;
    if (dtype == "I64") return 8;
    if (dtype == "I32") return 4;
    if (dtype == "I16") return 2;
    if (dtype == "I8" || dtype == "U8") return 1;
    return 0;
  }

  SafetensorsHeader& out_;
  const uint64_t data_size_;
  const std::string& where_;
  const bool integers_;
  std::string error_;
  int depth_ = 0;
  bool meta_ = false;
  std::string name_, field_;
  Entry entry_;
  std::vector<std::unordered_set<std::string>> keys_;
};

}  // namespace

SafetensorsHeader parse_safetensors_header(std::string_view text, uint64_t data_size, const std::string& where,
                                           bool integers) {
  const int depth = json_depth(text);
  NN_CHECK(depth <= 64, where, ": header: JSON nested ", depth, " levels deep, more than the limit of 64");
  SafetensorsHeader out;
  HeaderReader reader(out, data_size, where, integers);
  const bool ok = json::sax_parse(text, &reader);
  if (!ok || !reader.error().empty()) fail(reader.error().empty() ? where + ": header: invalid JSON" : reader.error());
  return out;
}

}  // namespace nn::io
