/// @file
/// @brief nn::io::AppendFile, appending to a log file safely (the CLI's --log-steps).
#pragma once

#include "nn/export.hpp"

#include <filesystem>
#include <string_view>

namespace nn::io {

/// A log file opened for appending, safely.
///
/// The file is created (mode 0644 less the umask) or opened for appending only when it is a regular
/// file; a symlink (O_NOFOLLOW), FIFO, device, socket or directory at the path is refused
/// ("steps.log: exists and is a symlink; refusing to append to it"). Every write is checked, so a
/// full disk is an nn::Error, not a silently short log. Not copyable; one writer per object (no
/// internal locking).
class NN_API AppendFile {
 public:
  /// Opens (or creates) `path` for appending. @throws nn::Error when it cannot be opened or exists
  /// and is not a regular file.
  explicit AppendFile(std::filesystem::path path);
  ~AppendFile();  ///< closes (errors on this path are not reported: call close() to see them)
  AppendFile(const AppendFile&) = delete;             ///< not copyable: it owns the descriptor
  AppendFile& operator=(const AppendFile&) = delete;  ///< not copyable: it owns the descriptor

  /// Appends all of `text` (one write per call where the system allows, so lines do not interleave).
  /// @throws nn::Error when the write fails (a full disk, say).
  void write(std::string_view text);
  /// fsync: what was written is on disk. @throws nn::Error when it fails.
  void sync();
  /// Closes, reporting a failed close as nn::Error.
  void close();
  const std::filesystem::path& path() const { return path_; }  ///< the file's path

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace nn::io
