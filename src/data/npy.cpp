#include "nn/data/npy.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string_view>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/limits.hpp"

namespace nn::data {

static_assert(std::endian::native == std::endian::little, "the .npy reader assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr const char* kSupported = "'<f4', '<f8', '|u1', '<i4', '<i8'";

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// A small reader for the header's Python dict literal.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  // The text after `'key':`, with leading spaces skipped.
  std::string_view value_of(const char* key) {
    for (const char q : {'\'', '"'}) {
      const std::string quoted = std::string(1, q) + key + q;
      const size_t at = s_.find(quoted);
      if (at == std::string_view::npos) continue;
      size_t i = at + quoted.size();
      while (i < s_.size() && s_[i] == ' ') ++i;
      if (i >= s_.size() || s_[i] != ':') bad("no ':' after '", key, "'");
      ++i;
      while (i < s_.size() && s_[i] == ' ') ++i;
      return s_.substr(i);
    }
    bad("no '", key, "' entry");
  }

  std::string descr() {
    std::string_view v = value_of("descr");
    if (v.empty() || (v[0] != '\'' && v[0] != '"')) bad("'descr' is not a string (structured dtypes are not supported)");
    const size_t end = v.find(v[0], 1);
    if (end == std::string_view::npos) bad("'descr' string is not closed");
    return std::string(v.substr(1, end - 1));
  }

  bool fortran_order() {
    std::string_view v = value_of("fortran_order");
    if (v.starts_with("False")) return false;
    if (v.starts_with("True")) return true;
    bad("'fortran_order' is neither True nor False");
  }

  std::vector<int64_t> shape() {
    std::string_view v = value_of("shape");
    if (v.empty() || v[0] != '(') bad("'shape' is not a tuple");
    const size_t end = v.find(')');
    if (end == std::string_view::npos) bad("'shape' tuple is not closed");
    std::string_view inner = v.substr(1, end - 1);
    std::vector<int64_t> dims;
    size_t i = 0;
    while (i < inner.size()) {
      while (i < inner.size() && (inner[i] == ' ' || inner[i] == ',')) ++i;
      if (i >= inner.size()) break;
      int64_t d = 0;
      bool any = false;
      while (i < inner.size() && inner[i] >= '0' && inner[i] <= '9') {
        if (d > (int64_t{1} << 40)) bad("'shape' has an implausible dimension");
        d = d * 10 + (inner[i++] - '0');
        any = true;
      }
      if (i < inner.size() && inner[i] == 'L') ++i;  // Python 2 longs
      if (!any || (i < inner.size() && inner[i] != ',' && inner[i] != ' '))
        bad("'shape' ", std::string(v.substr(0, std::min<size_t>(end + 1, 40))), " is not a tuple of non-negative integers");
      dims.push_back(d);
      if (dims.size() > 64) bad("'shape' has more than 64 dimensions");
    }
    return dims;
  }

  template <class... Args>
  [[noreturn]] void bad(Args&&... args) {
    // The header is quoted for context, cut short: it may be megabytes of a crafted file.
    const std::string shown = s_.size() > 80 ? std::string(s_.substr(0, 77)) + "..." : std::string(s_);
    fail("NPY file '", file_, "': bad header: ", std::forward<Args>(args)..., " in ", shown);
  }

 private:
  std::string_view s_;
  const std::string& file_;
};

template <class T>
void convert(const std::vector<char>& raw, std::vector<float>& out) {
  const size_t n = raw.size() / sizeof(T);
  out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

}  // namespace

int64_t NpyArray::numel() const {
  uint64_t n = 0, bytes = 0;
  NN_CHECK(io::checked_bytes(shape, 1, io::kMaxTensorBytes, n, bytes), "NPY array of shape ", shape_str(shape),
           ": more than ", io::kMaxTensorBytes, " elements");
  return static_cast<int64_t>(n);
}

bool NpyArray::is_integer() const { return dtype == "|u1" || dtype == "<i4" || dtype == "<i8"; }

Tensor NpyArray::to_tensor() const {
  NN_CHECK(shape.size() <= static_cast<size_t>(Shape::kMaxRank), "NPY array of shape ", shape_str(shape),
           ": expected at most ", Shape::kMaxRank, " dimensions for a tensor, found ", shape.size());
  Shape s = shape.empty() ? Shape{1} : Shape(std::span<const int64_t>(shape));
  return Tensor(s, std::span<const float>(data));
}

NpyArray read_npy(const std::filesystem::path& path) {
  const std::string file = path.string();
  io::InputFile in(path, io::kMaxTensorBytes * 2, "NPY file '" + file + "'");
  const uint64_t file_size = in.size();

  char pre[12] = {};
  NN_CHECK(file_size >= 10, "NPY file '", file, "': bad magic: expected \\x93NUMPY, not a .npy file (",
           file_size, " bytes)");
  in.read_at(0, pre, 10);
  NN_CHECK(std::memcmp(pre, kMagic, 6) == 0, "NPY file '", file, "': bad magic: expected \\x93NUMPY, not a .npy file");
  const int major = static_cast<unsigned char>(pre[6]), minor = static_cast<unsigned char>(pre[7]);
  NN_CHECK(major >= 1 && major <= 3, "NPY file '", file, "': unsupported format version ", major, ".", minor,
           " (supported: 1.0, 2.0, 3.0)");
  uint64_t header_len = 0;
  uint64_t prefix = 0;
  if (major == 1) {
    const auto* b = reinterpret_cast<const unsigned char*>(pre + 8);
    header_len = b[0] | (uint64_t{b[1]} << 8);
    prefix = 10;
  } else {
    NN_CHECK(file_size >= 12, "NPY file '", file, "': truncated header: expected 12 bytes, the file has ", file_size);
    in.read_at(10, pre + 10, 2);
    const auto* b = reinterpret_cast<const unsigned char*>(pre + 8);
    header_len = b[0] | (uint64_t{b[1]} << 8) | (uint64_t{b[2]} << 16) | (uint64_t{b[3]} << 24);
    prefix = 12;
  }
  NN_CHECK(prefix + header_len <= file_size, "NPY file '", file, "': truncated header: expected ",
           prefix + header_len, " bytes, the file has ", file_size);
  std::string header(static_cast<size_t>(header_len), '\0');
  in.read_at(prefix, header.data(), header_len);
  while (!header.empty() && (header.back() == '\n' || header.back() == ' ' || header.back() == '\0'))
    header.pop_back();

  HeaderParser parser(header, file);
  if (header.empty() || header.front() != '{' || header.back() != '}') parser.bad("expected a dict literal");
  NpyArray a;
  a.dtype = parser.descr();
  const bool fortran = parser.fortran_order();
  a.shape = parser.shape();

  size_t itemsize = 0;
  if (a.dtype == "<f4" || a.dtype == "<i4") itemsize = 4;
  else if (a.dtype == "<f8" || a.dtype == "<i8") itemsize = 8;
  else if (a.dtype == "|u1") itemsize = 1;
  else if (!a.dtype.empty() && a.dtype[0] == '>')
    fail("NPY file '", file, "': unsupported dtype '", a.dtype.substr(0, 20), "' (big-endian; supported: ", kSupported, ")");
  else
    fail("NPY file '", file, "': unsupported dtype '", a.dtype.substr(0, 20), "' (supported: ", kSupported, ")");
  NN_CHECK(!fortran, "NPY file '", file, "': fortran_order True is not supported (save the array in C order, ",
           "e.g. np.ascontiguousarray)");

  // The element count and byte size, checked for overflow before anything is allocated; the data
  // must then fill the rest of the file exactly, so nothing larger than the file is ever allocated.
  uint64_t n = 0, expected = 0;
  const uint64_t found = file_size - prefix - header_len;
  if (!io::checked_bytes(a.shape, itemsize, file_size, n, expected))
    fail("NPY file '", file, "': shape ", shape_str(a.shape), " has more elements than the file's ", found,
         " bytes of data can hold");
  NN_CHECK(expected == found, "NPY file '", file, "': data size does not match the header (shape ",
           shape_str(a.shape), ", dtype '", a.dtype, "'): expected ", expected, " bytes, found ", found);

  const uint64_t data_at = prefix + header_len;
  if (itemsize == 4 && a.dtype == "<f4") {
    a.data.resize(static_cast<size_t>(n));
    in.read_at(data_at, a.data.data(), expected);
    return a;
  }
  std::vector<char> raw(static_cast<size_t>(expected));
  in.read_at(data_at, raw.data(), expected);
  if (a.dtype == "<f8") convert<double>(raw, a.data);
  else if (a.dtype == "<i4") convert<int32_t>(raw, a.data);
  else if (a.dtype == "<i8") convert<int64_t>(raw, a.data);
  else convert<uint8_t>(raw, a.data);
  return a;
}

void write_npy(const std::filesystem::path& path, std::span<const int64_t> shape, const float* data) {
  const std::string file = path.string();
  std::vector<int64_t> dims(shape.begin(), shape.end());
  for (int64_t d : dims)
    NN_CHECK(d >= 0, "write_npy '", file, "': expected non-negative dimensions, found ", shape_str(dims));
  uint64_t n = 0, bytes = 0;
  NN_CHECK(io::checked_bytes(dims, sizeof(float), io::kMaxTensorBytes, n, bytes), "write_npy '", file, "': shape ",
           shape_str(dims), " has more than ", io::kMaxTensorBytes / sizeof(float), " elements");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_str(dims) + ", }";
  // Pad with spaces and end with a newline so that the data starts at a multiple of 64 bytes.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  NN_CHECK(header.size() <= 65535, "write_npy '", file, "': shape ", shape_str(dims), " makes the header too long");

  // A unique temporary file next to the destination, renamed over it at the end: a failure (a full
  // disk) leaves no partial file, and a symlink, FIFO or device at `path` is refused, not written.
  io::AtomicFile out(path);
  std::string head(kMagic, 6);
  head += '\x01';
  head += '\x00';
  head += static_cast<char>(header.size() & 0xFF);
  head += static_cast<char>(header.size() >> 8);
  head += header;
  out.write(head);
  if (bytes > 0) out.write(data, static_cast<size_t>(bytes));
  out.commit();
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  write_npy(path, tensor.shape().dims(), tensor.data());
}

Dataset load_npy_dataset(const std::filesystem::path& x_path, const std::filesystem::path& y_path) {
  NpyArray x = read_npy(x_path);
  NpyArray y = read_npy(y_path);
  NN_CHECK(!x.shape.empty(), "NPY file '", x_path.string(), "': expected features X of shape (N, ...), found a 0-d array");
  NN_CHECK(x.shape.size() <= static_cast<size_t>(Shape::kMaxRank), "NPY file '", x_path.string(),
           "': expected features X with at most ", Shape::kMaxRank, " dimensions, found shape ", shape_str(x.shape));
  const int64_t n = x.shape[0];
  NN_CHECK(!y.shape.empty() && y.shape[0] == n, "NPY files '", x_path.string(), "' and '", y_path.string(),
           "': X has ", n, " samples (shape ", shape_str(x.shape), "), y has shape ", shape_str(y.shape));
  if (x.shape.size() == 1) x.shape.push_back(1);
  Tensor xt = x.to_tensor();
  Dataset d;
  if (y.is_integer()) {
    NN_CHECK(y.shape.size() == 1, "NPY file '", y_path.string(), "': expected integer labels of shape (", n,
             ",), found ", shape_str(y.shape));
    std::vector<int32_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const float v = y.data[static_cast<size_t>(i)];
      NN_CHECK(v >= 0 && v < 16777216.0f, "NPY file '", y_path.string(), "': label ", i, " is ", v,
               ", expected a class index >= 0");
      labels[static_cast<size_t>(i)] = static_cast<int32_t>(v);
    }
    d = Dataset::classification(std::move(xt), std::move(labels));
  } else {
    if (y.shape.size() == 1) y.shape.push_back(1);
    d = Dataset::regression(std::move(xt), y.to_tensor());
  }
  d.name = x_path.stem().string();
  return d;
}

}  // namespace nn::data
