// Appending to a log file safely (the CLI's --log-steps): the file is created (mode 0644 less the
// umask) or opened for appending only when it is a regular file; a symlink (O_NOFOLLOW), FIFO,
// device, socket or directory at the path is refused ("steps.log: exists and is a symlink; refusing
// to append to it"). Every write is checked, so a full disk is an nn::Error, not a silently short log.
#pragma once

#include "nn/export.hpp"

#include <filesystem>
#include <string_view>

namespace nn::io {

class NN_API AppendFile {
 public:
  explicit AppendFile(std::filesystem::path path);
  ~AppendFile();  ///< closes (errors on this path are not reported: call close() to see them)
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  /// Appends all of `text` (one write per call where the system allows, so lines do not interleave).
  void write(std::string_view text);
  /// fsync: what was written is on disk.
  void sync();
  /// Closes, reporting a failed close as nn::Error.
  void close();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace nn::io
