// Atomic file writes: the content goes to a temporary file in the destination's folder, is flushed
// to disk (fsync), renamed over the destination and the folder is synced. A process killed at any
// moment leaves either the old complete file or the new complete one, never a torn one.
#pragma once

#include "nn/export.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace nn::io {

class NN_API AtomicFile {
 public:
  // Opens a temporary file next to `path`; nn::Error when that is impossible.
  explicit AtomicFile(std::filesystem::path path);
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // fsync, rename over the destination, fsync the folder.
  void commit();
  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temporary_path() const { return tmp_; }

 private:
  std::filesystem::path path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Writes `content` to `path` atomically.
NN_API void write_file_atomic(const std::filesystem::path& path, std::string_view content);

}  // namespace nn::io
