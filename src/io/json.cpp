#include "nn/io/json.hpp"

#include <unordered_set>
#include <vector>

#include "nn/error.hpp"

namespace nn::io {

using json = nlohmann::json;

int json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
  }
  return deepest;
}

namespace {

// nlohmann's DOM builder, plus a set of the keys of each open object to refuse a repeated key. A
// SAX handler rather than parse()'s callback: with a callback, nlohmann scans the parent's
// elements after every nested value, which is quadratic in the number of entries.
class CheckedDomParser : public nlohmann::detail::json_sax_dom_parser<json> {
  using Base = nlohmann::detail::json_sax_dom_parser<json>;

 public:
  explicit CheckedDomParser(json& root) : Base(root, true) {}
  bool start_object(std::size_t n) {
    keys_.emplace_back();
    return Base::start_object(n);
  }
  bool end_object() {
    keys_.pop_back();
    return Base::end_object();
  }
  bool key(json::string_t& k) {
    if (!keys_.empty() && !keys_.back().insert(k).second && duplicate_.empty()) duplicate_ = k;
    return Base::key(k);
  }
  const std::string& duplicate() const { return duplicate_; }

 private:
  std::vector<std::unordered_set<std::string>> keys_;
  std::string duplicate_;
};

}  // namespace

json parse_json(std::string_view text, std::string_view what, int max_depth) {
  const int depth = json_depth(text);
  NN_CHECK(depth <= max_depth, what, ": JSON nested ", depth, " levels deep, more than the limit of ", max_depth);
  // A later value silently winning over an earlier one with the same key is how a crafted file
  // would show one thing to one reader and another to the next, so a repeated key is an error.
  json j;
  CheckedDomParser sax(j);
  try {
    json::sax_parse(text, &sax);
  } catch (const json::exception& e) {
    fail(what, ": invalid JSON: ", e.what());
  }
  NN_CHECK(sax.duplicate().empty(), what, ": the key '", sax.duplicate().substr(0, 80),
           "' appears twice in one object");
  return j;
}

std::string short_dump(const json& j, size_t max_chars) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > max_chars) {
    s.resize(max_chars > 3 ? max_chars - 3 : 0);
    s += "...";
  }
  return s;
}

}  // namespace nn::io
