// JSON from untrusted text: the nesting depth is checked by a linear scan before nlohmann parses
// (so tens of thousands of '[' cannot exhaust the stack in the parser, in dump() or in an error
// message), duplicate keys in an object are refused, and values quoted in error messages are cut
// to a short prefix.
#pragma once

#include "nn/export.hpp"

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace nn::io {

/// The deepest nesting of arrays and objects in `text` (brackets inside strings do not count).
/// Linear time, no recursion; the text need not be valid JSON.
NN_API int json_depth(std::string_view text);

/// Parses `text`. nn::Error "<what>: JSON nested N levels deep, more than the limit of 64",
/// "<what>: invalid JSON: ..." or "<what>: the key 'k' appears twice in one object".
NN_API nlohmann::json parse_json(std::string_view text, std::string_view what, int max_depth = 64);

/// j.dump(), cut to at most max_chars characters ("..." marks a cut), for error messages.
NN_API std::string short_dump(const nlohmann::json& j, size_t max_chars = 80);

}  // namespace nn::io
