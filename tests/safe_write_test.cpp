// Safe writes: what sits at the destination is replaced only when it is a regular file (never a
// symlink, FIFO, device or folder), temporary files have unique names and are removed on every
// failure, every write, fsync and close is checked, and logs are appended only to regular files.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "nn/data/npy.hpp"
#include "nn/error.hpp"
#include "nn/io/append_file.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/tensor.hpp"
#include "support/support.hpp"

namespace fs = std::filesystem;

namespace {

using nn::test::TempDir;
using nn::test::error_of;
using nn::test::read_file;

// The names in the folder, sorted, joined by spaces.
std::string listing(const TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : " ") + n;
  return s;
}

// Sets the write-fault hook for one scope.
class Fault {
 public:
  explicit Fault(std::function<int(std::string_view)> f) { nn::io::set_write_fault_for_testing(std::move(f)); }
  ~Fault() { nn::io::set_write_fault_for_testing({}); }
};

}  // namespace

TEST(SafeWrite, ReplacesARegularFileAtomically) {
  TempDir dir;
  std::ofstream(dir / "out.txt") << "old";
  nn::io::write_file_atomic(dir / "out.txt", "new");
  EXPECT_EQ(read_file(dir / "out.txt"), "new");
  EXPECT_EQ(listing(dir), "out.txt");
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "out.txt").c_str(), &st), 0);
  const mode_t mask = ::umask(022);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0644 & ~mask);
}

TEST(SafeWrite, RefusesSymlinksFifosDevicesAndFolders) {
  TempDir dir;
  std::ofstream(dir / "victim") << "precious";
  fs::create_symlink(dir / "victim", dir / "out.safetensors");
  EXPECT_HAS(error_of([&] { nn::io::write_file_atomic(dir / "out.safetensors", "x"); }),
             "out.safetensors: exists and is a symlink; refusing to replace it");
  EXPECT_EQ(read_file(dir / "victim"), "precious");
  EXPECT_TRUE(fs::is_symlink(dir / "out.safetensors"));

  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_HAS(error_of([&] { nn::io::write_file_atomic(dir / "fifo", "x"); }), "exists and is a FIFO");
  fs::create_directory(dir / "folder");
  EXPECT_HAS(error_of([&] { nn::io::write_file_atomic(dir / "folder", "x"); }), "exists and is a directory");
  // A character device made inside the test's folder (the same device as /dev/null), never a system
  // node: a regression here must not be able to replace one. Making it needs root; CI runs as root.
  if (::mknod((dir / "null").c_str(), S_IFCHR | 0600, ::makedev(1, 3)) == 0) {
    EXPECT_HAS(error_of([&] { nn::io::write_file_atomic(dir / "null", "x"); }), "exists and is a character device");
    EXPECT_HAS(error_of([&] { nn::io::AppendFile f(dir / "null"); }), "exists and is a character device");
    struct stat st {};
    ASSERT_EQ(::lstat((dir / "null").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    fs::remove(dir / "null");
  }

  const nn::Tensor t(nn::Shape{2}, 1.0f);
  EXPECT_HAS(error_of([&] { nn::data::write_npy(dir / "fifo", t); }), "exists and is a FIFO");
  EXPECT_HAS(error_of([&] { nn::io::write_safetensors(dir / "out.safetensors", {{"t", &t}}); }), "is a symlink");
  EXPECT_EQ(listing(dir), "fifo folder out.safetensors victim");  // no temporary left behind
}

TEST(SafeWrite, TemporaryNamesAreUniqueAndNotFollowed) {
  TempDir dir;
  // A link planted where a predictable temporary name would be: never written through.
  std::ofstream(dir / "victim") << "precious";
  fs::create_symlink(dir / "victim", dir / "out.npy.tmp");
  fs::create_symlink(dir / "victim", dir / ".out.npy.tmp.XXXXXX");
  nn::data::write_npy(dir / "out.npy", nn::Tensor(nn::Shape{3}, 2.0f));
  EXPECT_EQ(read_file(dir / "victim"), "precious");
  EXPECT_EQ(nn::data::read_npy(dir / "out.npy").data, (std::vector<float>{2, 2, 2}));
  nn::io::AtomicFile a(dir / "x"), b(dir / "x");
  EXPECT_NE(a.temporary_path(), b.temporary_path());
  EXPECT_TRUE(a.temporary_path().filename().string().starts_with(".x.tmp."));
}

TEST(SafeWrite, EveryFailureIsAnErrorAndRemovesTheTemporary) {
  for (const char* op : {"write", "fsync", "close", "rename"}) {
    TempDir dir;
    std::ofstream(dir / "out.safetensors") << "old";
    const std::string failing = op;
    const Fault fault([&](std::string_view o) { return o == failing ? ENOSPC : 0; });
    const nn::Tensor t(nn::Shape{4}, 1.0f);
    const std::string m = error_of([&] { nn::io::write_safetensors(dir / "out.safetensors", {{"t", &t}}); });
    EXPECT_HAS(m, "out.safetensors: ");
    EXPECT_HAS(m, "No space left on device");
    EXPECT_EQ(read_file(dir / "out.safetensors"), "old") << op;
    EXPECT_EQ(listing(dir), "out.safetensors") << op;
  }
}

TEST(SafeWrite, ARealWriteErrorIsReported) {
  // A file-size limit makes the kernel fail the write itself (EFBIG, as a full disk fails it with
  // ENOSPC), without the fault hook. A device such as /dev/full cannot be the destination: it is refused.
  TempDir dir;
  std::ofstream(dir / "out.safetensors") << "old";
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 1000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const nn::Tensor t(nn::Shape{4096}, 1.0f);
  const std::string m = error_of([&] { nn::io::write_safetensors(dir / "out.safetensors", {{"t", &t}}); });
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_HAS(m, "out.safetensors: write failed: File too large");
  EXPECT_EQ(read_file(dir / "out.safetensors"), "old");
  EXPECT_EQ(listing(dir), "out.safetensors");
}

TEST(SafeWrite, StaleTemporariesAreRemoved) {
  TempDir dir;
  std::ofstream(dir / ".last.safetensors.tmp.a1B2c3") << "x";
  std::ofstream(dir / ".last.safetensors.tmp.zzzzzz") << "x";
  std::ofstream(dir / ".last.safetensors.tmp.toolong7") << "x";
  std::ofstream(dir / "last.safetensors") << "keep";
  fs::create_symlink(dir / "last.safetensors", dir / ".last.safetensors.tmp.LINK00");
  EXPECT_EQ(nn::io::remove_stale_temporaries(dir.path(), "last.safetensors"), 2);
  EXPECT_EQ(listing(dir), ".last.safetensors.tmp.LINK00 .last.safetensors.tmp.toolong7 last.safetensors");
}

TEST(SafeWrite, LiveTemporariesAreRemovedOnRequest) {
  // What a signal handler does before _exit: the temporaries of open AtomicFiles go, committed files stay.
  TempDir dir;
  nn::io::write_file_atomic(dir / "done.txt", "complete");
  {
    nn::io::AtomicFile a(dir / "a.txt"), b(dir / "b.txt");
    a.write("half");
    EXPECT_TRUE(fs::exists(a.temporary_path()));
    EXPECT_EQ(nn::io::remove_live_temporaries(), 2);
    EXPECT_FALSE(fs::exists(a.temporary_path()));
    EXPECT_FALSE(fs::exists(b.temporary_path()));
  }
  EXPECT_EQ(listing(dir), "done.txt");
  EXPECT_EQ(nn::io::remove_live_temporaries(), 0);  // nothing open, nothing registered
}

TEST(SafeAppend, AppendsToRegularFilesOnly) {
  TempDir dir;
  {
    nn::io::AppendFile log(dir / "steps.log");
    log.write("1\n");
    log.sync();
    log.close();
  }
  {
    nn::io::AppendFile log(dir / "steps.log");
    log.write("2\n");
  }
  EXPECT_EQ(read_file(dir / "steps.log"), "1\n2\n");
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "steps.log").c_str(), &st), 0);
  const mode_t mask = ::umask(022);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0644 & ~mask);

  fs::create_symlink(dir / "steps.log", dir / "link.log");
  EXPECT_HAS(error_of([&] { nn::io::AppendFile f(dir / "link.log"); }),
             "link.log: exists and is a symlink; refusing to append to it");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_HAS(error_of([&] { nn::io::AppendFile f(dir / "fifo"); }), "exists and is a FIFO");
  EXPECT_HAS(error_of([] { nn::io::AppendFile f("/dev/null"); }), "exists and is a character device");
  EXPECT_EQ(read_file(dir / "steps.log"), "1\n2\n");
}

TEST(SafeAppend, WriteErrorsAreReported) {
  TempDir dir;
  nn::io::AppendFile log(dir / "steps.log");
  const Fault fault([](std::string_view o) { return o == "write" ? ENOSPC : 0; });
  EXPECT_HAS(error_of([&] { log.write("x\n"); }), "steps.log: write failed: No space left on device");
}
