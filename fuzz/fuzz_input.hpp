// Shared by the fuzz targets: the readers take a path, so each input is written to a file in a
// private temporary folder (made once per process) first. Each target also sets a per-tensor size
// limit, so that inputs which validly describe large tensors do not exhaust the fuzzer's memory.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace nn_fuzz {

// The limits inside a fuzz target: 64 MiB a tensor, 512 MiB for all the tensors of one input.
inline constexpr int64_t kTensorLimitBytes = int64_t{64} << 20;
inline constexpr int64_t kTensorTotalBytes = int64_t{512} << 20;

inline const std::filesystem::path& folder() {
  static const std::filesystem::path dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/nn_fuzz.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("nn_fuzz: mkdtemp");
      std::abort();
    }
    std::atexit([] { std::filesystem::remove_all(folder()); });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

// Writes `data` to `name` in the private folder and returns its path.
inline std::filesystem::path write_input(const uint8_t* data, size_t size, const std::string& name) {
  const std::filesystem::path path = folder() / name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror("nn_fuzz: open");
    std::abort();
  }
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      std::perror("nn_fuzz: write");
      std::abort();
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return path;
}

}  // namespace nn_fuzz
