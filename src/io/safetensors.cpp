#include "nn/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"

namespace nn::io {

namespace {
using json = nlohmann::json;
constexpr uint64_t kMaxHeader = 100ull << 20;  // as the reference implementation: 100 MB
constexpr int64_t kExactFloatInt = int64_t{1} << 24;  // every integer up to this is a float32

// Bytes per element of the integer dtypes integers_as_float accepts; 0 for any other dtype.
uint64_t integer_size(const std::string& dtype) {
  if (dtype == "I64") return 8;
  if (dtype == "I32") return 4;
  if (dtype == "I16") return 2;
  if (dtype == "I8" || dtype == "U8") return 1;
  return 0;
}

// The little-endian integer of `size` bytes at p (signed unless the dtype is U8).
int64_t integer_at(const unsigned char* p, uint64_t size, bool is_signed) {
  uint64_t v = 0;
  for (uint64_t i = size; i-- > 0;) v = (v << 8) | p[i];
  if (is_signed && size < 8 && (v >> (8 * size - 1)) & 1) v |= ~uint64_t{0} << (8 * size);
  return static_cast<int64_t>(v);
}

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
  std::set<std::string> names;
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
  for (auto& [name, t] : tensors)
    if (t->numel() > 0) file.write(t->data(), static_cast<size_t>(t->numel()) * sizeof(float));
}

SafetensorsFile read_safetensors(const std::filesystem::path& path, const ReadOptions& options) {
  const std::string where = path.string();
  std::ifstream in(path, std::ios::binary);
  NN_CHECK(in.good(), where, ": cannot open the file");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  NN_CHECK(file_size >= 8, where, ": not a safetensors file: expected at least 8 bytes, found ", file_size);
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  NN_CHECK(n <= kMaxHeader, where, ": header length ", n, " exceeds the limit of ", kMaxHeader, " bytes");
  NN_CHECK(n <= file_size - 8, where, ": header length ", n, " exceeds the file's ", file_size - 8,
           " bytes after the length field (truncated file?)");
  std::string text(static_cast<size_t>(n), '\0');
  in.read(text.data(), static_cast<std::streamsize>(n));
  NN_CHECK(in.good(), where, ": cannot read the header");

  // Parse with a callback that refuses duplicate keys (a later value silently winning is how a
  // crafted file would show one thing to one reader and another to the next).
  std::vector<std::set<std::string>> keys_at_depth(8);
  std::string duplicate;
  json header;
  try {
    header = json::parse(text, [&](int depth, json::parse_event_t event, json& parsed) {
      const auto d = static_cast<size_t>(depth);
      if (event == json::parse_event_t::object_start) {
        if (d + 1 >= keys_at_depth.size()) keys_at_depth.resize(d + 2);
        keys_at_depth[d + 1].clear();
      } else if (event == json::parse_event_t::key) {
        if (d >= keys_at_depth.size()) keys_at_depth.resize(d + 1);
        if (!keys_at_depth[d].insert(parsed.get<std::string>()).second && duplicate.empty())
          duplicate = parsed.get<std::string>();
      }
      return true;
    });
  } catch (const json::exception& e) {
    fail(where, ": invalid header JSON: ", e.what());
  }
  NN_CHECK(duplicate.empty(), where, ": header has the key '", duplicate, "' twice");
  NN_CHECK(header.is_object(), where, ": expected the header to be a JSON object, found ", header.type_name());

  SafetensorsFile out;
  const uint64_t data_size = file_size - 8 - n;
  struct Span {
    uint64_t begin, end;
    std::string name;
    std::vector<int64_t> shape;
    std::string dtype;
    uint64_t int_size;  // 0: F32
  };
  std::vector<Span> spans;
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
    NN_CHECK(value["dtype"].is_string(), where, ": tensor '", key, "': dtype must be a string");
    const std::string dtype = value["dtype"].get<std::string>();
    const uint64_t int_size = options.integers_as_float ? integer_size(dtype) : 0;
    NN_CHECK(dtype == "F32" || int_size > 0, where, ": tensor '", key, "': dtype ", dtype, " is not supported (expected F32",
             options.integers_as_float ? ", I64, I32, I16, I8 or U8" : "", ")");
    const uint64_t elem = int_size > 0 ? int_size : sizeof(float);
    const json& shape = value["shape"];
    NN_CHECK(shape.is_array() && shape.size() <= static_cast<size_t>(Shape::kMaxRank), where, ": tensor '", key,
             "': expected a shape of at most ", Shape::kMaxRank, " dimensions, found ", shape.dump());
    std::vector<int64_t> dims;
    uint64_t count = 1;
    for (const json& d : shape) {
      NN_CHECK(d.is_number_unsigned(), where, ": tensor '", key, "': shape must hold non-negative integers, found ",
               shape.dump());
      const uint64_t v = d.get<uint64_t>();
      NN_CHECK(v <= (1ull << 40) && (v == 0 || count <= (1ull << 40) / v), where, ": tensor '", key,
               "': shape ", shape.dump(), " is too large");
      count *= v;
      dims.push_back(static_cast<int64_t>(v));
    }
    const json& off = value["data_offsets"];
    NN_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(), where,
             ": tensor '", key, "': data_offsets must be two non-negative integers, found ", off.dump());
    const uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    NN_CHECK(b <= e && e <= data_size, where, ": tensor '", key, "': data_offsets [", b, ", ", e,
             "] out of the data section's ", data_size, " bytes");
    NN_CHECK(e - b == count * elem, where, ": tensor '", key, "': shape ", shape.dump(), " needs ", count * elem,
             " bytes, data_offsets give ", e - b);
    spans.push_back({b, e, key, std::move(dims), dtype, int_size});
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
  for (const Span& s : spans) {
    Tensor t{Shape(std::span<const int64_t>(s.shape))};
    if (s.end > s.begin) {
      in.seekg(static_cast<std::streamoff>(8 + n + s.begin));
      if (s.int_size == 0) {
        in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(s.end - s.begin));
        NN_CHECK(in.good(), where, ": cannot read the data of tensor '", s.name, "'");
      } else {
        std::vector<unsigned char> raw(static_cast<size_t>(s.end - s.begin));
        in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
        NN_CHECK(in.good(), where, ": cannot read the data of tensor '", s.name, "'");
        for (int64_t i = 0; i < t.numel(); ++i) {
          const int64_t v = integer_at(raw.data() + static_cast<uint64_t>(i) * s.int_size, s.int_size, s.dtype != "U8");
          NN_CHECK(v >= -kExactFloatInt && v <= kExactFloatInt, where, ": tensor '", s.name, "' (", s.dtype,
                   "): value ", v, " at index ", i, " is not exactly representable as float32 (|v| <= 2^24)");
          t[i] = static_cast<float>(v);
        }
      }
    }
    out.tensors.emplace_back(s.name, std::move(t));
  }
  return out;
}

}  // namespace nn::io
