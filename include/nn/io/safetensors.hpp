/// @file
/// @brief Reading and writing safetensors files.
///
/// A safetensors file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// ({name: {dtype, shape, data_offsets}} and a `"__metadata__"` map of strings), padded with spaces
/// to a multiple of 8, then the raw little-endian tensor data. Pure data, so loading a file never
/// runs code; the reader checks every field and bound before touching the data.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "nn/tensor.hpp"

namespace nn::io {

class AtomicFile;

/// The content of a safetensors file: its tensors (as float32) and its `"__metadata__"`.
struct NN_API SafetensorsFile {
  std::map<std::string, std::string> metadata;  ///< the `"__metadata__"` entries (empty when absent)
  std::vector<std::pair<std::string, Tensor>> tensors;  ///< in file order of their data
  /// The tensor of that name, or nullptr; the pointer lives as long as this object (unmodified).
  const Tensor* find(const std::string& name) const;
};

/// Writes float32 tensors (names must be unique and non-empty) atomically, in the order given.
/// @throws nn::Error for a bad name or a failed write.
NN_API void write_safetensors(const std::filesystem::path& path,
                              const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                              const std::map<std::string, std::string>& metadata = {});
/// The same into an open atomic file, which the caller commits (or drops).
NN_API void write_safetensors(AtomicFile& file, const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

/// What read_safetensors accepts beyond F32 tensors.
struct NN_API ReadOptions {
  /// Integer tensors (I64, I32, I16, I8, U8) are converted to float32 when every value is exactly
  /// representable (|v| <= 2^24). PyTorch stores BatchNorm's num_batches_tracked as I64.
  bool integers_as_float = false;
};

/// Reads and validates a file. F32 tensors are read as they are; F64, F16, BF16 and (unless
/// options.integers_as_float) the integer dtypes are refused with a message naming the tensor and
/// dtype. Errors name the file and what was wrong (header size, JSON, duplicate key, offsets out of
/// range or overlapping, shape vs size).
NN_API SafetensorsFile read_safetensors(const std::filesystem::path& path, const ReadOptions& options = {});

}  // namespace nn::io
