// The JSON header of a safetensors file, read in one pass by a SAX handler: no document tree is
// built (a 100 MB header of 200,000 entries parses in linear time and little memory), the nesting
// depth is checked first, a key given twice anywhere is refused, and every entry is checked (dtype,
// shape, offsets within the data section, shape matching the offsets) before any tensor exists.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nn::io {

struct SafetensorsEntry {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  ///< byte offsets into the data section
  std::string dtype = "F32";    // F32, or with integers allowed I64, I32, I16, I8 or U8
  uint64_t item_bytes = 4;      ///< bytes per element of dtype
};

struct SafetensorsHeader {
  std::map<std::string, std::string> metadata;
  std::vector<SafetensorsEntry> entries;  ///< in the header's order
};

/// Parses `text`; `data_size` is the size of the data section after the header. nn::Error starting
/// with `where` on anything malformed ("x.safetensors: tensor 'w': dtype F16 is not supported").
/// integers: also accept the integer dtypes I64, I32, I16, I8 and U8 (PyTorch's state dicts hold
/// BatchNorm's num_batches_tracked as I64).
NN_API SafetensorsHeader parse_safetensors_header(std::string_view text, uint64_t data_size, const std::string& where,
                                           bool integers = false);

}  // namespace nn::io
