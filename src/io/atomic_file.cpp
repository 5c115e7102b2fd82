#include "nn/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "nn/error.hpp"

namespace nn::io {

namespace {
std::string errno_text() { return std::strerror(errno); }
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  std::string name = ".";
  name.append(path_.filename().string()).append(".tmp.XXXXXX");
  const std::string pattern = (dir / name).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  fd_ = ::mkstemp(buf.data());
  NN_CHECK(fd_ >= 0, path_.string(), ": cannot create a temporary file in '", dir.string(), "': ", errno_text());
  tmp_ = buf.data();
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  NN_CHECK(fd_ >= 0 && !committed_, path_.string(), ": write after commit");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    NN_CHECK(n > 0, path_.string(), ": write failed: ", errno_text());
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  NN_CHECK(fd_ >= 0 && !committed_, path_.string(), ": commit twice");
  NN_CHECK(::fsync(fd_) == 0, path_.string(), ": fsync failed: ", errno_text());
  // mkstemp creates the file 0600; give it the usual permissions of a new file.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
  NN_CHECK(::close(fd_) == 0, path_.string(), ": close failed: ", errno_text());
  fd_ = -1;
  NN_CHECK(::rename(tmp_.c_str(), path_.c_str()) == 0, path_.string(), ": cannot rename the temporary file into place: ",
           errno_text());
  committed_ = true;
  const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  AtomicFile f(path);
  f.write(content);
  f.commit();
}

}  // namespace nn::io
