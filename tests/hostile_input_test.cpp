// Hostile input files: sizes that overflow, nesting that would exhaust the stack, files that never
// end (FIFOs, devices), and headers built to make parsing quadratic. Each must end in a one-line
// nn::Error (or parse, for the large-but-honest case), never a crash, a hang or a wrapped size.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "nn/data/csv.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/npy.hpp"
#include "nn/error.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/json.hpp"
#include "nn/io/limits.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/tensor.hpp"
#include "support/support.hpp"

namespace fs = std::filesystem;

namespace {

using nn::test::TempDir;
using nn::test::error_of;
using nn::test::write_file;

std::string npy_bytes(const std::string& shape, const std::string& data) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// A model file whose metadata is `model_spec` and `input_shape`, with no tensors.
std::string model_file(const std::string& model_spec, const std::string& input_shape) {
  const nlohmann::json meta = {{"__metadata__",
                                {{"format", "nn.model"},
                                 {"format_version", "1"},
                                 {"model_spec", model_spec},
                                 {"input_shape", input_shape}}}};
  return safetensors_bytes(meta.dump(), "");
}

}  // namespace

// ---- 1. sizes that overflow -----------------------------------------------------------------------

TEST(HostileSizes, ShapeProductOverflowIsAnError) {
  EXPECT_HAS(error_of([] { nn::Shape s{int64_t{1} << 62, 4}; }), "has more than");
  EXPECT_HAS(error_of([] { nn::Shape s{int64_t{1} << 20, int64_t{1} << 20}; }), "[1048576, 1048576]");
  EXPECT_EQ((nn::Shape{int64_t{1} << 19, int64_t{1} << 19}.numel()), int64_t{1} << 38);
  nn::Shape s{2, 2};
  s[0] = int64_t{1} << 62;  // changed in place: numel() checks again
  EXPECT_HAS(error_of([&] { (void)s.numel(); }), "has more than");
}

TEST(HostileSizes, TensorSizeLimitScopesNest) {
  {
    const nn::TensorSizeLimit outer(4096);
    EXPECT_EQ(nn::TensorSizeLimit::current_bytes(), 4096);
    {
      const nn::TensorSizeLimit inner(1 << 20);  // a larger inner limit does not widen the outer one
      EXPECT_EQ(nn::TensorSizeLimit::current_bytes(), 4096);
      EXPECT_HAS(error_of([] { nn::Tensor t(nn::Shape{2048}); }), "more than the limit of 4096 bytes");
    }
    nn::Tensor ok(nn::Shape{1024});
    EXPECT_EQ(ok.numel(), 1024);
  }
  EXPECT_EQ(nn::TensorSizeLimit::current_bytes(), nn::Shape::kMaxElements * 4);
}

TEST(HostileSizes, TensorSizeLimitBoundsTheTotal) {
  const nn::TensorSizeLimit outer(4096, 16384);
  std::vector<nn::Tensor> kept;
  {
    const nn::TensorSizeLimit inner(4096, 8192);
    kept.emplace_back(nn::Shape{1024});
    kept.emplace_back(nn::Shape{1024});
    EXPECT_HAS(error_of([] { nn::Tensor t(nn::Shape{1}); }), "left of the budget");
  }
  EXPECT_EQ(nn::TensorSizeLimit::total_left(), 8192);  // what the inner scope took counts outside too
  kept.emplace_back(nn::Shape{1024});
  kept.emplace_back(nn::Shape{1024});
  EXPECT_HAS(error_of([] { nn::Tensor t(nn::Shape{1}); }), "left of the budget");
}

TEST(HostileSizes, NpyShapeThatWrapsIsAnError) {
  TempDir dir;
  // 2^40 x 2^22 float32 = 2^64 bytes: wraps to 0 in 64 bits, which once matched an empty data section.
  write_file(dir / "x.npy", npy_bytes("(1099511627776, 4194304)", ""));
  EXPECT_HAS(error_of([&] { nn::data::read_npy(dir / "x.npy"); }), "shape (1099511627776, 4194304) has more elements");
  write_file(dir / "w.npy", npy_bytes("(4611686018427387904, 4)", ""));
  EXPECT_HAS(error_of([&] { nn::data::read_npy(dir / "w.npy"); }), "implausible dimension");
  write_file(dir / "y.npy", npy_bytes("(1099511627776, 1099511627776)", std::string(16, '\0')));
  EXPECT_HAS(error_of([&] { nn::data::read_npy(dir / "y.npy"); }), "y.npy': shape");
}

TEST(HostileSizes, SafetensorsShapeThatWrapsIsAnError) {
  TempDir dir;
  write_file(dir / "m.safetensors",
              safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})", ""));
  EXPECT_HAS(error_of([&] { nn::io::read_safetensors(dir / "m.safetensors"); }), "tensor 'w': shape [4611686018427387904,4]");
  write_file(dir / "n.safetensors",
              safetensors_bytes(R"({"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}})",
                                std::string(4, '\0')));
  EXPECT_HAS(error_of([&] { nn::io::read_safetensors(dir / "n.safetensors"); }), "shape must hold");
}

TEST(HostileSizes, IdxDimensionsBeyondTheFileAreAnError) {
  TempDir dir;
  write_file(dir / "images", std::string("\0\0\x08\x03", 4) + be32(0xFFFFFFFF) + be32(0xFFFFFFFF) + be32(0xFFFFFFFF));
  EXPECT_HAS(error_of([&] { nn::data::read_idx_images(dir / "images"); }), "announce more data than the file's 16 bytes");
  // gzip data whose header announces more than deflate can expand to.
  const std::string raw = std::string("\0\0\x08\x01", 4) + be32(0x7FFFFFFF);
  gzFile gz = gzopen((dir / "labels.gz").c_str(), "wb");
  gzwrite(gz, raw.data(), static_cast<unsigned>(raw.size()));
  gzclose(gz);
  EXPECT_HAS(error_of([&] { nn::data::read_idx_labels(dir / "labels.gz"); }), "compressed bytes can hold");
}

TEST(HostileSizes, CsvShortRowsUnderAWideHeaderAreFoundBeforeAllocating) {
  TempDir dir;
  // 100,000 columns in the header, then a million one-field rows: n x columns would be 10^11 floats.
  std::string text;
  for (int j = 0; j < 100000; ++j) text += (j ? ",c" : "c") + std::to_string(j);
  text += '\n';
  for (int i = 0; i < 1000000; ++i) text += "1\n";
  write_file(dir / "wide.csv", text);
  EXPECT_HAS(error_of([&] { nn::data::read_csv(dir / "wide.csv"); }), "wide.csv:2: expected 100000 fields, found 1");
}

TEST(HostileSizes, CheckSizeBoundsEverySizeSetting) {
  EXPECT_EQ(nn::io::check_size(nn::io::kMaxSize, "x"), nn::io::kMaxSize);
  EXPECT_HAS(error_of([] { nn::io::check_size(nn::io::kMaxSize + 1, "model spec: linear: 'out'"); }),
             "model spec: linear: 'out' is 16777217, expected at most 16777216");
  EXPECT_HAS(error_of([] { nn::io::check_size(-1, "w"); }), "w is -1");
}

TEST(HostileSizes, ModelSpecSizesAreBounded) {
  EXPECT_HAS(error_of([] { nn::io::parse_model_spec("linear:9223372036854775807"); }),
             "'out' is 9223372036854775807, expected at most 16777216");
  EXPECT_HAS(error_of([] { nn::io::parse_model_spec("conv:16777217:3"); }), "conv: 'out'");
  EXPECT_HAS(error_of([] { nn::io::parse_model_spec("conv:8:99999999999"); }), "conv: 'kernel'");
  EXPECT_HAS(error_of([] { nn::io::parse_model_spec(R"([{"type":"conv","out":4,"kernel":[3,9999999999]}])"); }),
             "conv: 'kernel'");
  EXPECT_HAS(error_of([] { nn::io::parse_model_spec(R"([{"type":"batchnorm","features":99999999999}])"); }),
             "batchnorm: 'features'");
  EXPECT_NO_THROW(nn::io::parse_model_spec("linear:16777216"));
}

TEST(HostileSizes, ModelFileWithHugeLayersIsAnErrorNotAnAllocation) {
  TempDir dir;
  write_file(dir / "huge.safetensors", model_file(R"([{"type":"linear","out":9223372036854775807}])", "[4]"));
  EXPECT_HAS(error_of([&] { nn::io::load_model(dir / "huge.safetensors"); }), "at most 16777216");
  // Each size within bounds, their product 2^48 floats: refused, not allocated.
  write_file(dir / "wide.safetensors", model_file(R"([{"type":"linear","out":16777216}])", "[16777216]"));
  EXPECT_HAS(error_of([&] { nn::io::load_model(dir / "wide.safetensors"); }), "wide.safetensors");
  // 2^16 x 2^16 floats (16 GiB) from a file without data: beyond what the file justifies.
  write_file(dir / "big.safetensors", model_file(R"([{"type":"linear","out":65536}])", "[65536]"));
  EXPECT_HAS(error_of([&] { nn::io::load_model(dir / "big.safetensors"); }), "more than the limit of");
}

// ---- 2. nesting -------------------------------------------------------------------------------------

TEST(HostileNesting, JsonDepthIsScannedWithoutRecursion) {
  EXPECT_EQ(nn::io::json_depth(R"({"a":[1,[2]],"b":"[[[[\"[["})"), 3);
  EXPECT_EQ(nn::io::json_depth(std::string(1000000, '[')), 1000000);
  EXPECT_HAS(error_of([] { nn::io::parse_json(std::string(100000, '['), "x.json"); }),
             "x.json: JSON nested 100000 levels deep, more than the limit of 64");
  EXPECT_EQ(nn::io::parse_json(R"({"a":[[1]]})", "x")["a"][0][0], 1);
  EXPECT_HAS(error_of([] { nn::io::parse_json(R"({"a":1,"b":{"a":2},"a":3})", "x"); }), "key 'a' appears twice");
  EXPECT_HAS(error_of([] { nn::io::parse_json("[1,", "x"); }), "x: invalid JSON");
}

TEST(HostileNesting, DumpsInMessagesAreShort) {
  const nlohmann::json big = std::vector<int>(100000, 7);
  const std::string s = nn::io::short_dump(big);
  EXPECT_EQ(s.size(), 80u);
  EXPECT_TRUE(s.ends_with("..."));
  EXPECT_EQ(nn::io::short_dump(nlohmann::json{1, 2}), "[1,2]");
}

TEST(HostileNesting, DeepSpecsAndHeadersAreRefused) {
  TempDir dir;
  const std::string deep(50000, '[');
  EXPECT_HAS(error_of([&] { nn::io::parse_model_spec(deep); }), "nested 50000 levels");
  write_file(dir / "spec.json", deep);
  EXPECT_HAS(error_of([&] { nn::io::read_model_spec_file((dir / "spec.json").string()); }), "nested 50000 levels");
  write_file(dir / "h.safetensors", safetensors_bytes(deep, ""));
  EXPECT_HAS(error_of([&] { nn::io::read_safetensors(dir / "h.safetensors"); }), "nested 50000 levels");
  write_file(dir / "m.safetensors", model_file(deep, "[4]"));
  EXPECT_HAS(error_of([&] { nn::io::load_model(dir / "m.safetensors"); }), "model_spec: JSON nested 50000");
  write_file(dir / "s.safetensors", model_file(R"([{"type":"linear","out":2}])", "[" + deep));
  EXPECT_HAS(error_of([&] { nn::io::load_model(dir / "s.safetensors"); }), "input_shape: JSON nested");
  // A shape nested deep enough for the limit but not valid: the message quotes a short dump.
  const std::string shape = std::string(60, '[') + std::string(60, ']');
  write_file(dir / "t.safetensors",
              safetensors_bytes(R"({"w":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,0]}})", ""));
  const std::string m = error_of([&] { nn::io::read_safetensors(dir / "t.safetensors"); });
  EXPECT_HAS(m, "shape must hold non-negative integers, found [[...]]");
  EXPECT_LT(m.size(), 300u);
}

// ---- 3. files that never end ----------------------------------------------------------------------

TEST(HostileReads, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  const fs::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_HAS(error_of([&] { nn::data::read_npy(fifo); }), "not a regular file (a FIFO)");
  EXPECT_HAS(error_of([&] { nn::data::read_csv(fifo); }), "not a regular file (a FIFO)");
  EXPECT_HAS(error_of([&] { nn::data::read_idx_labels(fifo); }), "not a regular file (a FIFO)");
  EXPECT_HAS(error_of([&] { nn::io::read_safetensors(fifo); }), "not a regular file (a FIFO)");
  EXPECT_HAS(error_of([&] { nn::io::load_model(fifo); }), "not a regular file (a FIFO)");
  EXPECT_HAS(error_of([&] { nn::io::load_checkpoint(fifo); }), "not a regular file (a FIFO)");
  EXPECT_HAS(error_of([&] { nn::io::read_model_spec_file(fifo.string()); }), "not a regular file (a FIFO)");
}

TEST(HostileReads, DevicesAndFoldersAreRefused) {
  TempDir dir;
  EXPECT_HAS(error_of([] { nn::data::read_npy("/dev/zero"); }), "not a regular file (a character device)");
  EXPECT_HAS(error_of([] { nn::data::read_csv("/dev/zero"); }), "not a regular file (a character device)");
  EXPECT_HAS(error_of([] { nn::data::read_idx_images("/dev/zero"); }), "not a regular file (a character device)");
  EXPECT_HAS(error_of([] { nn::io::read_safetensors("/dev/zero"); }), "not a regular file (a character device)");
  EXPECT_HAS(error_of([] { nn::io::read_model_spec_file("/dev/zero"); }), "not a regular file (a character device)");
  EXPECT_HAS(error_of([&] { nn::io::read_safetensors(dir / ""); }), "is a directory");
  EXPECT_HAS(error_of([&] { nn::io::read_file(dir / "absent", 10, "absent.csv"); }), "absent.csv: no such file");
}

TEST(HostileReads, ReadFileIsBoundedAndFollowsLinks) {
  TempDir dir;
  write_file(dir / "a.txt", "hello");
  EXPECT_EQ(nn::io::read_file(dir / "a.txt", 5), "hello");
  EXPECT_HAS(error_of([&] { nn::io::read_file(dir / "a.txt", 4, "a.txt"); }),
             "a.txt: the file has 5 bytes, more than the limit of 4");
  fs::create_symlink(dir / "a.txt", dir / "link.txt");
  EXPECT_EQ(nn::io::read_file(dir / "link.txt", 100), "hello");
  nn::io::InputFile f(dir / "a.txt", 100);
  char c[2];
  EXPECT_HAS(error_of([&] { f.read_at(4, c, 2); }), "beyond the file's 5 bytes");
}

// ---- 4. quadratic parsing ---------------------------------------------------------------------------

TEST(HostileParsing, SafetensorsWith200000EntriesParses) {
  TempDir dir;
  constexpr int kEntries = 200000;
  std::string header = "{";
  for (int i = 0; i < kEntries; ++i) {
    if (i) header += ',';
    header += "\"t" + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" +
              std::to_string(4 * i) + "," + std::to_string(4 * i + 4) + "]}";
  }
  header += '}';
  write_file(dir / "many.safetensors", safetensors_bytes(header, std::string(4 * kEntries, '\0')));
  const nn::io::SafetensorsFile f = nn::io::read_safetensors(dir / "many.safetensors");
  EXPECT_EQ(f.tensors.size(), static_cast<size_t>(kEntries));
  // As a state dict for a small model: linear in the entries, and a short message.
  auto model = nn::io::build_model(nn::io::parse_model_spec("linear:2"));
  nn::Tensor x(nn::Shape{1, 3});
  model->forward(x);
  const std::string m = error_of([&] { nn::io::load_state_dict(*model, f.tensors, true); });
  EXPECT_HAS(m, "and 199980 more");
  EXPECT_LT(m.size(), 2000u);
}
