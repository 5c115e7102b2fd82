#include "nn/io/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "nn/error.hpp"

namespace nn::io {

namespace {

std::function<int(std::string_view)>& fault_hook() {
  static std::function<int(std::string_view)> hook;
  return hook;
}

std::string error_text(int err) { return std::strerror(err); }

const char* kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symlink";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::filesystem::path folder_of(const std::filesystem::path& p) {
  return p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
}

// The process's umask, read once (reading it means setting it, so not on every file).
mode_t current_umask() {
  static const mode_t mask = [] {
    const mode_t m = ::umask(022);
    ::umask(m);
    return m;
  }();
  return mask;
}

// Runs a system call that returns -1 on failure, unless the test hook makes it fail first.
template <class F>
int checked_call(std::string_view op, F&& call) {
  if (const int err = write_fault(op)) {
    errno = err;
    return -1;
  }
  return call();
}

// The temporaries of live AtomicFiles, for remove_live_temporaries() in a signal handler: fixed
// slots (no allocation, lock-free atomics), each free (0), being filled (1) or holding a path (2).
constexpr int kLiveSlots = 32;
constexpr size_t kLivePathMax = 4096;
struct LiveSlot {
  std::atomic<int> state{0};
  char path[kLivePathMax];
};
LiveSlot g_live[kLiveSlots];
static_assert(std::atomic<int>::is_always_lock_free);

// Registers `path`; the slot's index, or -1 when every slot is taken or the path is too long (the
// file then has no cleanup on a signal, only remove_stale_temporaries on the next run).
int register_live(const std::string& path) {
  if (path.size() >= kLivePathMax) return -1;
  for (int i = 0; i < kLiveSlots; ++i) {
    int expected = 0;
    if (!g_live[i].state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(g_live[i].path, path.c_str(), path.size() + 1);
    g_live[i].state.store(2);
    return i;
  }
  return -1;
}

void unregister_live(int slot) {
  if (slot >= 0) g_live[slot].state.store(0);
}

// Blocks the signals that end a run (SIGINT, SIGTERM, SIGHUP) on this thread for its lifetime, so
// that a temporary file is never created without being registered.
class BlockStopSignals {
 public:
  BlockStopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    ::pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockStopSignals() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockStopSignals(const BlockStopSignals&) = delete;
  BlockStopSignals& operator=(const BlockStopSignals&) = delete;

 private:
  sigset_t old_;
};

}  // namespace

int remove_live_temporaries() noexcept {
  int removed = 0;
  for (auto& slot : g_live)
    if (slot.state.load() == 2 && ::unlink(slot.path) == 0) ++removed;
  return removed;
}

void set_write_fault_for_testing(std::function<int(std::string_view)> fault) { fault_hook() = std::move(fault); }

int write_fault(std::string_view operation) {
  const auto& hook = fault_hook();
  return hook ? hook(operation) : 0;
}

int write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n;
    if (const int err = write_fault("write")) {
      errno = err;
      n = -1;
    } else {
      n = ::write(fd, p, size);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

void check_replaceable(const std::filesystem::path& path, std::string_view verb) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;  // absent (or unreachable: the open reports that)
  NN_CHECK(S_ISREG(st.st_mode), path.string(), ": exists and is ", kind_of(st.st_mode), "; refusing to ", verb, " it");
}

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  NN_CHECK(!path_.empty() && path_.has_filename(), "AtomicFile: '", path_.string(), "' does not name a file");
  check_replaceable(path_);
  const std::filesystem::path dir = folder_of(path_);
  std::string name = ".";
  name.append(path_.filename().string()).append(".tmp.XXXXXX");
  const std::string pattern = (dir / name).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  // mkostemp: O_CREAT | O_EXCL with a random suffix, so never an existing file or a planted link.
  {
    BlockStopSignals blocked;
    fd_ = ::mkostemp(buf.data(), O_CLOEXEC);
    if (fd_ >= 0) live_slot_ = register_live(buf.data());
  }
  NN_CHECK(fd_ >= 0, path_.string(), ": cannot create a temporary file in '", dir.string(), "': ", error_text(errno));
  tmp_ = buf.data();
}

AtomicFile::~AtomicFile() {
  if (!committed_) abandon();
}

void AtomicFile::abandon() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  tmp_.clear();
  unregister_live(live_slot_);
  live_slot_ = -1;
}

void AtomicFile::write(const void* data, size_t size) {
  NN_CHECK(fd_ >= 0 && !committed_, path_.string(), ": write after commit or after a failure");
  if (const int err = write_all(fd_, data, size)) {
    abandon();
    fail(path_.string(), ": write failed: ", error_text(err));
  }
}

void AtomicFile::commit() {
  NN_CHECK(fd_ >= 0 && !committed_, path_.string(), ": commit twice or after a failure");
  auto failed = [&](const char* what, int err) {
    abandon();
    fail(path_.string(), ": ", what, " failed: ", error_text(err));
  };
  if (::fchmod(fd_, 0644 & ~current_umask()) != 0) failed("fchmod", errno);
  if (checked_call("fsync", [&] { return ::fsync(fd_); }) != 0) failed("fsync", errno);
  // close() releases the descriptor even when it reports an error, so fd_ is given up first.
  const int fd = fd_;
  fd_ = -1;
  if (const int err = write_fault("close")) {
    ::close(fd);
    failed("close", err);
  }
  if (::close(fd) != 0) failed("close", errno);
  // Checked again right before the rename: something planted meanwhile is refused, not replaced.
  try {
    check_replaceable(path_);
  } catch (const Error&) {
    abandon();
    throw;
  }
  if (checked_call("rename", [&] { return ::rename(tmp_.c_str(), path_.c_str()); }) != 0)
    failed("renaming the temporary file into place", errno);
  committed_ = true;
  tmp_.clear();
  // After the rename: the temporary's name no longer exists, so a late unlink of it is harmless.
  unregister_live(live_slot_);
  live_slot_ = -1;
  const int dfd = ::open(folder_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    const int r = ::fsync(dfd);
    const int err = errno;
    ::close(dfd);
    // Some file systems cannot sync a folder (EINVAL); the file itself is on disk already.
    NN_CHECK(r == 0 || err == EINVAL || err == EROFS, path_.string(), ": fsync of the folder failed: ",
             error_text(err));
  }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  AtomicFile f(path);
  f.write(content);
  f.commit();
}

int remove_stale_temporaries(const std::filesystem::path& dir, const std::string& name) {
  const std::string prefix = "." + name + ".tmp.";
  int removed = 0;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  std::vector<std::string> victims;
  while (const dirent* e = ::readdir(d)) {
    const std::string entry = e->d_name;
    if (entry.size() != prefix.size() + 6 || !entry.starts_with(prefix)) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
      victims.push_back(entry);
  }
  for (const auto& v : victims)
    if (::unlinkat(::dirfd(d), v.c_str(), 0) == 0) ++removed;
  ::closedir(d);
  return removed;
}

}  // namespace nn::io
