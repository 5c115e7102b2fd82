#include "nn/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include <unistd.h>

#include "nn/error.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/limits.hpp"

namespace nn::data {

namespace {

constexpr uint64_t kMaxFileBytes = uint64_t{1} << 40;
// deflate's best case: about 1032 bytes out per byte in.
constexpr uint64_t kMaxDeflateRatio = 1032;

// A file read through zlib (plain files pass through). Every read checks zlib's error state, so
// truncated or corrupt gzip data is reported instead of being taken for a short file.
class GzReader {
 public:
  // Only a regular file is opened (a FIFO or a device is refused before any read: see
  // io::InputFile); zlib reads it through the checked descriptor.
  explicit GzReader(const std::filesystem::path& path) : path_(path.string()) {
    io::InputFile in(path, kMaxFileBytes, "IDX file '" + path_ + "'");
    size_ = in.size();
    unsigned char magic[2] = {0, 0};
    if (size_ >= 2) in.read_at(0, magic, 2);
    gzip_ = magic[0] == 0x1f && magic[1] == 0x8b;
    errno = 0;
    const int fd = in.release();
    file_ = gzdopen(fd, "rb");
    if (file_ == nullptr) {
      ::close(fd);
      fail("IDX file '", path_, "': cannot open (", errno ? std::strerror(errno) : "out of memory", ")");
    }
    gzbuffer(file_, 1 << 17);
  }
  // The file's size on disk, and whether it is gzip-compressed.
  uint64_t size() const { return size_; }
  bool gzip() const { return gzip_; }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;
  ~GzReader() {
    if (file_) gzclose_r(file_);
  }

  // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
  size_t read(void* dst, size_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    size_t got = 0;
    while (got < n) {
      const auto chunk = static_cast<unsigned>(std::min<size_t>(n - got, size_t{1} << 30));
      const int r = gzread(file_, out + got, chunk);
      check();
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }

  // How many bytes follow, counted up to `cap` (then cap + 1): trailing data is never decompressed
  // without bound.
  size_t count_rest(size_t cap) {
    std::array<unsigned char, 1 << 14> buf;
    size_t total = 0;
    while (total <= cap) {
      const size_t r = read(buf.data(), buf.size());
      total += r;
      if (r < buf.size()) return std::min(total, cap + 1);
    }
    return cap + 1;
  }

  const std::string& name() const { return path_; }

 private:
  void check() {
    int errnum = Z_OK;
    const char* msg = gzerror(file_, &errnum);
    if (errnum == Z_OK || errnum == Z_STREAM_END) return;
    if (errnum == Z_ERRNO)
      fail("IDX file '", path_, "': read error (", std::strerror(errno), ")");
    std::string_view what = msg ? msg : "unknown error";
    if (what.starts_with(path_ + ": ")) what.remove_prefix(path_.size() + 2);  // zlib prefixes the path
    fail("IDX file '", path_, "': truncated or corrupt gzip data (zlib: ", what, ")");
  }

  std::string path_;
  gzFile file_ = nullptr;
  uint64_t size_ = 0;
  bool gzip_ = false;
};

uint32_t big_endian_u32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

// Reads an IDX file of unsigned bytes with `ndims` dimensions: checks the header, returns the
// dimensions and the data.
std::vector<uint8_t> read_idx_u8(const std::filesystem::path& path, int ndims, const char* what,
                                 std::vector<int64_t>& dims) {
  GzReader in(path);
  const uint32_t expected_magic = 0x00000800u | static_cast<uint32_t>(ndims);
  unsigned char head[4];
  const size_t got_head = in.read(head, 4);
  NN_CHECK(got_head == 4, "IDX file '", in.name(), "': expected a 4-byte magic number ", hex32(expected_magic),
           " (", what, "), found a file of ", got_head, " bytes");
  const uint32_t magic = big_endian_u32(head);
  if (head[0] != 0 || head[1] != 0 || head[2] != 0x08)
    fail("IDX file '", in.name(), "': wrong magic number: expected ", hex32(expected_magic), " (", what,
         "), found ", hex32(magic));
  if (head[3] != ndims)
    fail("IDX file '", in.name(), "': wrong dimension count: expected ", ndims, " (magic ", hex32(expected_magic),
         ", ", what, "), found ", int{head[3]}, " (magic ", hex32(magic), ")");

  std::vector<unsigned char> dim_bytes(static_cast<size_t>(4 * ndims));
  const size_t got_dims = in.read(dim_bytes.data(), dim_bytes.size());
  NN_CHECK(got_dims == dim_bytes.size(), "IDX file '", in.name(), "': truncated header: expected ",
           4 + dim_bytes.size(), " bytes, found ", 4 + got_dims);
  dims.clear();
  for (int d = 0; d < ndims; ++d) dims.push_back(big_endian_u32(dim_bytes.data() + 4 * d));
  std::string shape;
  for (size_t d = 0; d < dims.size(); ++d) shape += (d ? " x " : "") + std::to_string(dims[d]);
  // The announced size, checked for overflow and against what the file can hold (its size, or for
  // gzip data the most that deflate can expand it to) before anything is allocated.
  uint64_t expected = 0, bytes = 0;
  const uint64_t can_hold = in.gzip() ? in.size() * kMaxDeflateRatio : in.size();
  NN_CHECK(io::checked_bytes(dims, 1, can_hold, expected, bytes), "IDX file '", in.name(), "': dimensions ", shape,
           " announce more data than the file's ", in.size(), in.gzip() ? " compressed" : "", " bytes can hold");

  // Read in chunks so that a corrupt header cannot make us allocate the announced size up front.
  std::vector<uint8_t> data;
  size_t got = 0;
  const auto total = static_cast<size_t>(expected);
  while (got < total) {
    const size_t chunk = std::min<size_t>(total - got, size_t{64} << 20);
    data.resize(got + chunk);
    const size_t r = in.read(data.data() + got, chunk);
    got += r;
    if (r < chunk) break;
  }
  const size_t header = 4 + dim_bytes.size();
  if (got < total)
    fail("IDX file '", in.name(), "': size does not match the header (", shape, "): expected ", header + total,
         " bytes, found ", header + got);
  constexpr size_t kCountUpTo = size_t{1} << 20;
  const size_t extra = in.count_rest(kCountUpTo);
  if (extra > kCountUpTo)
    fail("IDX file '", in.name(), "': size does not match the header (", shape, "): expected ", header + total,
         " bytes, found more than ", header + total + kCountUpTo);
  if (extra > 0)
    fail("IDX file '", in.name(), "': size does not match the header (", shape, "): expected ", header + total,
         " bytes, found ", header + total + extra);
  return data;
}

bool is_file(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

}  // namespace

IdxImages read_idx_images(const std::filesystem::path& path) {
  std::vector<int64_t> dims;
  IdxImages out;
  out.pixels = read_idx_u8(path, 3, "images: unsigned bytes, 3 dimensions", dims);
  out.count = dims[0];
  out.rows = dims[1];
  out.cols = dims[2];
  NN_CHECK(out.rows > 0 && out.cols > 0, "IDX file '", path.string(), "': expected images of at least 1 x 1 pixels, found ",
           out.rows, " x ", out.cols);
  return out;
}

std::vector<int32_t> read_idx_labels(const std::filesystem::path& path) {
  std::vector<int64_t> dims;
  const auto bytes = read_idx_u8(path, 1, "labels: unsigned bytes, 1 dimension", dims);
  return {bytes.begin(), bytes.end()};
}

Dataset load_idx_dataset(const std::filesystem::path& images_path, const std::filesystem::path& labels_path) {
  IdxImages images = read_idx_images(images_path);
  std::vector<int32_t> labels = read_idx_labels(labels_path);
  NN_CHECK(static_cast<int64_t>(labels.size()) == images.count, "IDX files '", images_path.string(), "' and '",
           labels_path.string(), "': image and label counts differ: ", images.count, " images, ", labels.size(),
           " labels");
  return Dataset::classification_u8(std::move(images.pixels), Shape{images.rows * images.cols}, std::move(labels));
}

Dataset load_mnist_dir(const std::filesystem::path& dir, const std::string& split) {
  std::string prefix;
  if (split == "train")
    prefix = "train";
  else if (split == "test" || split == "t10k")
    prefix = "t10k";
  else
    fail("MNIST directory '", dir.string(), "': unknown split '", split, "', expected 'train' or 'test'");
  std::error_code ec;
  NN_CHECK(std::filesystem::is_directory(dir, ec), "MNIST directory '", dir.string(), "': no such directory");

  auto find = [&](const std::string& kind, const char* idx) {
    std::vector<std::string> tried;
    for (const char* sep : {"-", "."})
      for (const char* ext : {"", ".gz"}) {
        const std::string name = prefix + "-" + kind + sep + idx + "-ubyte" + ext;
        if (is_file(dir / name)) return dir / name;
        tried.push_back(name);
      }
    std::string list;
    for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
    fail("MNIST directory '", dir.string(), "': no ", split, " ", kind, " file (looked for ", list, ")");
  };
  const auto images = find("images", "idx3");
  const auto labels = find("labels", "idx1");
  Dataset d = load_idx_dataset(images, labels);
  std::string base = dir.filename().string();
  if (base.empty()) base = dir.parent_path().filename().string();
  d.name = base + " " + (prefix == "t10k" ? std::string("test") : split);
  return d;
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace nn::data
