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
#include "nn/io/json.hpp"
#include "nn/io/limits.hpp"

namespace nn::io {

namespace {
using json = nlohmann::json;
constexpr uint64_t kMaxHeader = 100ull << 20;  // as the reference implementation: 100 MB
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
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string prefix;
  put_u64le(prefix, text.size());
  file.write(prefix);
  file.write(text);
  static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");
  for (auto& [name, t] : tensors)
    if (t->numel() > 0) file.write(t->data(), static_cast<size_t>(t->numel()) * sizeof(float));
}

SafetensorsFile read_safetensors(const std::filesystem::path& path) {
  const std::string where = path.string();
  InputFile in(path, kMaxFileBytes, where);
  const uint64_t file_size = in.size();
  NN_CHECK(file_size >= 8, where, ": not a safetensors file: expected at least 8 bytes, found ", file_size);
  unsigned char len_bytes[8];
  in.read_at(0, len_bytes, 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  NN_CHECK(n <= kMaxHeader, where, ": header length ", n, " exceeds the limit of ", kMaxHeader, " bytes");
  NN_CHECK(n <= file_size - 8, where, ": header length ", n, " exceeds the file's ", file_size - 8,
           " bytes after the length field (truncated file?)");
  std::string text(static_cast<size_t>(n), '\0');
  in.read_at(8, text.data(), n);

  // Depth-checked, duplicate keys refused (see parse_json).
  const json header = parse_json(text, where + ": header");
  NN_CHECK(header.is_object(), where, ": expected the header to be a JSON object, found ", header.type_name());

  SafetensorsFile out;
  const uint64_t data_size = file_size - 8 - n;
  struct Span {
    uint64_t begin, end;
    std::string name;
    std::vector<int64_t> shape;
  };
  std::vector<Span> spans;
  spans.reserve(header.size());
  for (auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      NN_CHECK(value.is_object(), where, ": __metadata__ must be an object of strings");
      for (auto& [mk, mv] : value.items()) {
        NN_CHECK(mv.is_string(), where, ": __metadata__ value of '", mk, "' must be a string, found ", mv.type_name());
        out.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    NN_CHECK(value.is_object() && value.contains("dtype") && value.contains("shape") && value.contains("data_offsets"),
             where, ": tensor '", key, "': expected an object with dtype, shape and data_offsets");
    const json& dt = value.at("dtype");
    NN_CHECK(dt.is_string(), where, ": tensor '", key, "': dtype must be a string");
    const std::string& dtype = dt.get_ref<const std::string&>();
    NN_CHECK(dtype == "F32", where, ": tensor '", key, "': dtype ", dtype.substr(0, 16),
             " is not supported (expected F32)");
    const json& shape = value.at("shape");
    NN_CHECK(shape.is_array() && shape.size() <= static_cast<size_t>(Shape::kMaxRank), where, ": tensor '", key,
             "': expected a shape of at most ", Shape::kMaxRank, " dimensions, found ", short_dump(shape));
    std::vector<int64_t> dims;
    for (const json& d : shape) {
      NN_CHECK(d.is_number_unsigned() && d.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX), where, ": tensor '",
               key, "': shape must hold non-negative integers, found ", short_dump(shape));
      dims.push_back(d.get<int64_t>());
    }
      // Checked before any use: the byte count may not overflow, and must equal the tensor's span of
    // the data section (which bounds every allocation by the file's size).
    uint64_t count = 0, bytes = 0;
    NN_CHECK(checked_bytes(dims, sizeof(float), UINT64_MAX, count, bytes), where, ": tensor '", key, "': shape ",
             short_dump(shape), " has more elements than 64 bits can count");
    const json& off = value.at("data_offsets");
    NN_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(), where,
             ": tensor '", key, "': data_offsets must be two non-negative integers, found ", short_dump(off));
    const uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    NN_CHECK(b <= e && e <= data_size, where, ": tensor '", key, "': data_offsets [", b, ", ", e,
             "] out of the data section's ", data_size, " bytes");
    NN_CHECK(e - b == bytes, where, ": tensor '", key, "': shape ", short_dump(shape), " needs ", bytes,
             " bytes, data_offsets give ", e - b);
    spans.push_back({b, e, key, std::move(dims)});
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (const Span& s : spans) {
    NN_CHECK(s.begin == expected, where, ": tensor '", s.name, "' starts at byte ", s.begin, " of the data, expected ",
             expected, " (tensors must be contiguous, without gaps or overlaps)");
    expected = s.end;
  }
  NN_CHECK(expected == data_size, where, ": the tensors cover ", expected, " bytes but the data section has ",
           data_size);
  out.tensors.reserve(spans.size());
  for (Span& s : spans) {
    Tensor t{Shape(std::span<const int64_t>(s.shape))};
    if (s.end > s.begin) in.read_at(8 + n + s.begin, t.data(), s.end - s.begin);
    out.tensors.emplace_back(std::move(s.name), std::move(t));
  }
  return out;
}

}  // namespace nn::io
