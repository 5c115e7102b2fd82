// The JSON header of a safetensors file, read in one pass by a SAX handler: no document tree is
// built (a 100 MB header of 200,000 entries parses in linear time and little memory), the nesting
// depth is checked first, a key given twice anywhere is refused, and every entry is checked (dtype,
// shape, offsets within the data section, shape matching the offsets) before any tensor exists.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nn::io {

struct SafetensorsEntry {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets into the data section
};

struct SafetensorsHeader {
  std::map<std::string, std::string> metadata;
  std::vector<SafetensorsEntry> entries;  // in the header's order
};

// Parses `text`; `data_size` is the size of the data section after the header. nn::Error starting
// with `where` on anything malformed ("x.safetensors: tensor 'w': dtype F16 is not supported").
SafetensorsHeader parse_safetensors_header(std::string_view text, uint64_t data_size, const std::string& where);

}  // namespace nn::io
