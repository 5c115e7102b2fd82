#include "nn/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <climits>
#include <cstdint>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/limits.hpp"
#include "nn/io/safetensors_header.hpp"

namespace nn::io {

namespace {
using json = nlohmann::json;
constexpr uint64_t kMaxHeader = 100ull << 20;  // as the reference implementation: 100 MB
constexpr int64_t kExactFloatInt = int64_t{1} << 24;  // every integer up to this is a float32

// The little-endian integer of `size` bytes at p (signed unless the dtype is U8).
int64_t integer_at(const unsigned char* p, uint64_t size, bool is_signed) {
  uint64_t v = 0;
  for (uint64_t i = size; i-- > 0;) v = (v << 8) | p[i];
  if (is_signed && size < 8 && (v >> (8 * size - 1)) & 1) v |= ~uint64_t{0} << (8 * size);
  return static_cast<int64_t>(v);
}
constexpr uint64_t kMaxFileBytes = kMaxTensorBytes * 4;

void put_u64le(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
}  // namespace

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  AtomicFile file(path);
  write_safetensors(file, tensors, metadata);
  file.commit();
}

void write_safetensors(AtomicFile& file, const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::filesystem::path& path = file.path();
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::unordered_set<std::string> names;
  for (auto& [name, t] : tensors) {
    NN_CHECK(!name.empty() && name != "__metadata__", path.string(), ": invalid tensor name '", name, "'");
    NN_CHECK(names.insert(name).second, path.string(), ": tensor '", name, "' given twice");
    const uint64_t bytes = static_cast<uint64_t>(t->numel()) * sizeof(float);
    header[name] = {{"dtype", "F32"},
                    {"shape", std::vector<int64_t>(t->shape().dims().begin(), t->shape().dims().end())},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  // Invalid UTF-8 in a metadata value (a file name) is replaced, never an exception mid-save.
  std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string prefix;
  put_u64le(prefix, text.size());
  file.write(prefix);
  file.write(text);
  static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");
  for (auto& [name, t] : tensors) {
    if (t->numel() == 0) continue;
    if (t->is_cuda()) {  // the file is the same from either device: a GPU's tensor is copied to the host
      const std::vector<float> host = t->to_vector();
      file.write(host.data(), host.size() * sizeof(float));
    } else {
      file.write(t->data(), static_cast<size_t>(t->numel()) * sizeof(float));
    }
  }
}

SafetensorsFile read_safetensors(const std::filesystem::path& path, const ReadOptions& options) {
  const std::string where = path.string();
  InputFile in(path, kMaxFileBytes, where);
  const uint64_t file_size = in.size();
  NN_CHECK(file_size >= 8, where, ": not a safetensors file: expected at least 8 bytes, found ", file_size);
  unsigned char len_bytes[8];
  in.read_at(0, len_bytes, 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  // A file of another kind (text, an image, NPY) fails here: its first 8 bytes make no sense as a length.
  NN_CHECK(n <= kMaxHeader, where, ": not a safetensors file: its first 8 bytes give a header length of ", n,
           ", beyond the limit of ", kMaxHeader, " bytes");
  NN_CHECK(n <= file_size - 8, where, ": not a safetensors file: its first 8 bytes give a header length of ", n,
           ", more than the file's ", file_size - 8, " bytes after the length field (truncated file?)");
  std::string text(static_cast<size_t>(n), '\0');
  in.read_at(8, text.data(), n);

  // Every entry checked as it is parsed (see parse_safetensors_header): shapes, dtypes, offsets.
  SafetensorsHeader header = parse_safetensors_header(text, file_size - 8 - n, where, options.integers_as_float);
  text = std::string();
  SafetensorsFile out;
  out.metadata = std::move(header.metadata);
  const uint64_t data_size = file_size - 8 - n;
  std::vector<SafetensorsEntry>& spans = header.entries;
  std::sort(spans.begin(), spans.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (const SafetensorsEntry& s : spans) {
    NN_CHECK(s.begin == expected, where, ": tensor '", s.name.substr(0, 80), "' starts at byte ", s.begin, " of the data, expected ",
             expected, " (tensors must be contiguous, without gaps or overlaps)");
    expected = s.end;
  }
  NN_CHECK(expected == data_size, where, ": the tensors cover ", expected, " bytes but the data section has ",
           data_size);
  out.tensors.reserve(spans.size());
  for (SafetensorsEntry& s : spans) {
    Tensor t{Shape(std::span<const int64_t>(s.shape))};
    if (s.end > s.begin) {
      if (s.dtype == "F32") {
        in.read_at(8 + n + s.begin, t.data(), s.end - s.begin);
      } else {
        std::vector<unsigned char> raw(static_cast<size_t>(s.end - s.begin));
        in.read_at(8 + n + s.begin, raw.data(), raw.size());
        for (int64_t i = 0; i < t.numel(); ++i) {
          const int64_t v =
              integer_at(raw.data() + static_cast<uint64_t>(i) * s.item_bytes, s.item_bytes, s.dtype != "U8");
          NN_CHECK(v >= -kExactFloatInt && v <= kExactFloatInt, where, ": tensor '", s.name.substr(0, 80), "' (",
                   s.dtype, "): value ", v, " at index ", i, " is not exactly representable as float32 (|v| <= 2^24)");
          t[i] = static_cast<float>(v);
        }
      }
    }
    out.tensors.emplace_back(std::move(s.name), std::move(t));
  }
  return out;
}

}  // namespace nn::io
