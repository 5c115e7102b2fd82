// Reading untrusted files without blocking or running out of memory: a FIFO, a device such as
// /dev/zero, a directory or a socket given where a file is expected is refused up front (the open
// does not block: O_NONBLOCK), and a regular file is read up to the size fstat() reported and never
// beyond a caller's limit. Symbolic links are followed (reading through one is harmless).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace nn::io {

/// An open regular file. Messages start with `what` (e.g. "NPY file 'x.npy'"; the path when empty).
class NN_API InputFile {
 public:
  /// nn::Error "<what>: no such file", "<what>: is a directory, expected a file",
  /// "<what>: not a regular file (a FIFO)", "<what>: the file has N bytes, more than the limit of M".
  InputFile(const std::filesystem::path& path, uint64_t max_bytes, std::string_view what = {});
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }  ///< as fstat() gave it when opened
  /// Reads exactly n bytes at `offset`; nn::Error when the file ended early (it shrank) or on a
  /// read error, or when [offset, offset + n) is not within size().
  void read_at(uint64_t offset, void* dst, uint64_t n);
  /// The whole file (size() bytes).
  std::string read_all();
  /// Gives the descriptor away (e.g. to gzdopen, which closes it); the object no longer owns it.
  int release();
  const std::string& what() const { return what_; }

 private:
  std::string what_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

/// The whole content of a regular file of at most max_bytes bytes (see InputFile for the errors).
NN_API std::string read_file(const std::filesystem::path& path, uint64_t max_bytes, std::string_view what = {});

/// A limit for text files a user hands to nn (model specs, metadata, run records): 64 MiB.
inline constexpr uint64_t kMaxTextFileBytes = uint64_t{64} << 20;

}  // namespace nn::io
