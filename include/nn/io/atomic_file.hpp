/// @file
/// @brief Atomic file writes (nn::io::AtomicFile, nn::io::write_file_atomic) and the checked
/// low-level writing they share with nn::io::AppendFile.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace nn::io {

/// A file written atomically: the content goes to a temporary file in the destination's folder, is
/// flushed to disk (fsync), renamed over the destination and the folder is synced. A process killed
/// at any moment leaves either the old complete file or the new complete one, never a torn one.
///
/// Safe against what may already sit at the destination: only a missing path or a regular file is
/// replaced; a symlink, FIFO, device, socket or directory there is refused ("out.safetensors: exists
/// and is a symlink; refusing to replace it"), so a write never goes through a planted link or into a
/// device. The temporary file has a unique name (".NAME.tmp.XXXXXX", created O_EXCL: never an
/// existing file or link), mode 0644 less the umask. Every write, fsync and close is checked (a full
/// disk is an nn::Error) and the temporary file is removed on every failure.
/// @code
/// nn::io::AtomicFile f("model.json");
/// f.write(text);
/// f.commit();  // without it, the destructor removes the temporary file
/// @endcode
class NN_API AtomicFile {
 public:
  /// Opens a temporary file next to `path`; nn::Error when that is impossible or when `path` exists
  /// and is not a regular file.
  explicit AtomicFile(std::filesystem::path path);
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;             ///< not copyable: it owns the temporary file
  AtomicFile& operator=(const AtomicFile&) = delete;  ///< not copyable: it owns the temporary file

  /// Appends `size` bytes to the temporary file. @throws nn::Error when the write fails (the
  /// temporary file is then removed), or when called after commit() or after a failure.
  void write(const void* data, size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }  ///< Appends `text` (as above).
  /// fsync, rename over the destination, fsync the folder. On an error the temporary file is removed
  /// and nn::Error is thrown; the destination keeps its old content.
  void commit();
  const std::filesystem::path& path() const { return path_; }  ///< the destination
  const std::filesystem::path& temporary_path() const { return tmp_; }  ///< the temporary file being written

 private:
  void abandon();  // closes and removes the temporary file
  std::filesystem::path path_, tmp_;
  int fd_ = -1;
  int live_slot_ = -1;  // its entry for remove_live_temporaries(), -1: none
  bool committed_ = false;
};

/// Writes `content` to `path` atomically (an AtomicFile written and committed).
/// @throws nn::Error as AtomicFile does.
NN_API void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// nn::Error "<path>: exists and is a symlink; refusing to <verb> it" when `path` exists and is not a
/// regular file (lstat: a link is not followed). Nothing when it does not exist or is a regular file.
NN_API void check_replaceable(const std::filesystem::path& path, std::string_view verb = "replace");

/// Removes every temporary file of this process's AtomicFiles that are still open (not committed,
/// not abandoned), and returns how many it removed. Async-signal-safe (only atomics and unlink(2)):
/// a signal handler that ends the process with _exit calls it first, so that an interrupted write
/// leaves no half-written temporary behind. Each AtomicFile registers its temporary while it
/// exists (up to 32 at once; signals are blocked between its creation and its registration).
NN_API int remove_live_temporaries() noexcept;

/// Removes the temporaries ".NAME.tmp.XXXXXX" of `name` that a killed writer left in `dir` (regular
/// files only; anything else with such a name is left alone). Returns how many were removed.
NN_API int remove_stale_temporaries(const std::filesystem::path& dir, const std::string& name);

/// For tests: a hook called before each write, fsync and close of a file these writers own, with the
/// operation's name ("write", "fsync", "close", "rename"); a non-zero return is taken as the errno of
/// a failed call. Empty (the default): no fault. Not thread-safe; set it only in tests.
NN_API void set_write_fault_for_testing(std::function<int(std::string_view operation)> fault);
/// The hook's verdict for `operation` (0: go ahead). Used by AtomicFile and AppendFile.
NN_API int write_fault(std::string_view operation);
/// Writes all `size` bytes to the descriptor `fd`: retries on EINTR, continues after short writes and
/// asks write_fault("write") before each call. Returns 0, or the errno of the failed write (EIO when
/// a write wrote nothing). Used by AtomicFile and AppendFile.
NN_API int write_all(int fd, const void* data, size_t size);

}  // namespace nn::io
