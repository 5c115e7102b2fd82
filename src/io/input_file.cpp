#include "nn/io/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "nn/error.hpp"

namespace nn::io {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symlink";
  return "not a file";
}

}  // namespace

InputFile::InputFile(const std::filesystem::path& path, uint64_t max_bytes, std::string_view what)
    : what_(what.empty() ? path.string() : std::string(what)) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever. The file is refused
  // below unless it is a regular file, for which O_NONBLOCK changes nothing.
  do {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) {
    const int err = errno;
    if (err == ENOENT) fail(what_, ": no such file; cannot open it");
    if (err == EISDIR) fail(what_, ": is a directory, expected a file");
    fail(what_, ": cannot open (", std::strerror(err), ")");
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    fail(what_, ": cannot stat (", std::strerror(err), ")");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    if (S_ISDIR(st.st_mode)) fail(what_, ": is a directory, expected a file");
    fail(what_, ": not a regular file (", kind_of(st.st_mode), ")");
  }
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ > max_bytes) {
    ::close(fd_);
    fd_ = -1;
    fail(what_, ": the file has ", size_, " bytes, more than the limit of ", max_bytes);
  }
  // Back to blocking reads (a regular file never blocks, but keep the flags plain).
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read_at(uint64_t offset, void* dst, uint64_t n) {
  NN_CHECK(fd_ >= 0, what_, ": the file is closed");
  NN_CHECK(offset <= size_ && n <= size_ - offset, what_, ": read of ", n, " bytes at offset ", offset,
           " is beyond the file's ", size_, " bytes");
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const size_t chunk = n < (size_t{1} << 30) ? static_cast<size_t>(n) : (size_t{1} << 30);
    const ssize_t r = ::pread(fd_, p, chunk, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(what_, ": read error (", std::strerror(errno), ")");
    NN_CHECK(r > 0, what_, ": the file ended at byte ", offset, ", expected ", size_,
             " bytes (was it truncated while being read?)");
    p += r;
    offset += static_cast<uint64_t>(r);
    n -= static_cast<uint64_t>(r);
  }
}

std::string InputFile::read_all() {
  std::string text(static_cast<size_t>(size_), '\0');
  if (size_ > 0) read_at(0, text.data(), size_);
  return text;
}

int InputFile::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

std::string read_file(const std::filesystem::path& path, uint64_t max_bytes, std::string_view what) {
  InputFile f(path, max_bytes, what);
  return f.read_all();
}

}  // namespace nn::io
