#include "nn/io/append_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"

namespace nn::io {

AppendFile::AppendFile(std::filesystem::path path) : path_(std::move(path)) {
  // Refused before the open: opening a FIFO for writing would block until a reader comes.
  check_replaceable(path_, "append to");
  do {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) {
    const int err = errno;
    if (err == ELOOP) fail(path_.string(), ": exists and is a symlink; refusing to append to it");
    fail(path_.string(), ": cannot open for appending: ", std::strerror(err));
  }
  // Checked again on what was opened (something may have been swapped in since the check above).
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    fail(path_.string(), ": not a regular file; refusing to append to it");
  }
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::write(std::string_view text) {
  NN_CHECK(fd_ >= 0, path_.string(), ": write after close");
  const int err = write_all(fd_, text.data(), text.size());
  NN_CHECK(err == 0, path_.string(), ": write failed: ", std::strerror(err));
}

void AppendFile::sync() {
  NN_CHECK(fd_ >= 0, path_.string(), ": sync after close");
  int err = write_fault("fsync");
  if (err == 0 && ::fsync(fd_) != 0) err = errno;
  NN_CHECK(err == 0, path_.string(), ": fsync failed: ", std::strerror(err));
}

void AppendFile::close() {
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;
  int err = write_fault("close");
  if (::close(fd) != 0 && err == 0) err = errno;
  NN_CHECK(err == 0, path_.string(), ": close failed: ", std::strerror(err));
}

}  // namespace nn::io
