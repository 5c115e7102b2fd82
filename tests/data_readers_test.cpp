// The IDX and NPY readers: good files load with the right values, and every kind of bad file is
// reported with the file and what was wrong (the CSV reader: csv_test.cpp). Bad files are made
// inside the tests in a fresh temporary directory.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "nn/data/idx.hpp"
#include "nn/data/npy.hpp"
#include "nn/error.hpp"

#include "support/support.hpp"

namespace fs = std::filesystem;
using nn::data::Dataset;

namespace {

using nn::test::error_of;
using nn::test::read_file;
using nn::test::TempDir;
using nn::test::write_file;

void write_gz(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.string().c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

std::string be32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(v >> 24);
  s[1] = static_cast<char>(v >> 16);
  s[2] = static_cast<char>(v >> 8);
  s[3] = static_cast<char>(v);
  return s;
}

// An IDX image file: n images of rows x cols, pixel k of the file = (k * 7) % 256.
std::string idx_images(uint32_t n, uint32_t rows, uint32_t cols) {
  std::string s = be32(0x803) + be32(n) + be32(rows) + be32(cols);
  for (uint32_t k = 0; k < n * rows * cols; ++k) s += static_cast<char>((k * 7) % 256);
  return s;
}
std::string idx_labels(const std::vector<uint8_t>& labels) {
  std::string s = be32(0x801) + be32(static_cast<uint32_t>(labels.size()));
  for (uint8_t l : labels) s += static_cast<char>(l);
  return s;
}


// ---- IDX ---------------------------------------------------------------------------------------

TEST(Idx, ReadsPlainAndGzipAlike) {
  TempDir dir;
  write_file(dir / "img", idx_images(3, 2, 4));
  write_gz(dir / "img.gz", idx_images(3, 2, 4));
  for (const char* name : {"img", "img.gz"}) {
    const auto im = nn::data::read_idx_images(dir / name);
    EXPECT_EQ(im.count, 3);
    EXPECT_EQ(im.rows, 2);
    EXPECT_EQ(im.cols, 4);
    ASSERT_EQ(im.pixels.size(), 24u);
    for (size_t k = 0; k < 24; ++k) EXPECT_EQ(im.pixels[k], (k * 7) % 256);
  }
  write_gz(dir / "lab.gz", idx_labels({2, 0, 1}));
  EXPECT_EQ(nn::data::read_idx_labels(dir / "lab.gz"), (std::vector<int32_t>{2, 0, 1}));
}

TEST(Idx, DatasetHasFlatSamplesScaledToUnitRange) {
  TempDir dir;
  write_gz(dir / "img.gz", idx_images(3, 2, 4));
  write_file(dir / "lab", idx_labels({2, 0, 1}));
  Dataset d = nn::data::load_idx_dataset(dir / "img.gz", dir / "lab");
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.sample_shape(), (nn::Shape{8}));
  EXPECT_TRUE(d.is_u8());
  EXPECT_EQ(d.num_classes(), 3);
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{2, 0, 1}));
  EXPECT_FLOAT_EQ(d.feature(1, 3), static_cast<float>((11 * 7) % 256) / 255.0f);
  d.reshape_samples(nn::Shape{1, 2, 4});  // what a CNN wants
  EXPECT_EQ(d.sample_shape(), (nn::Shape{1, 2, 4}));
}

TEST(Idx, FindsMnistLayoutFiles) {
  TempDir dir;
  write_gz(dir / "train-images-idx3-ubyte.gz", idx_images(4, 3, 3));
  write_gz(dir / "train-labels-idx1-ubyte.gz", idx_labels({0, 1, 1, 0}));
  write_file(dir / "t10k-images-idx3-ubyte", idx_images(2, 3, 3));
  write_file(dir / "t10k-labels-idx1-ubyte", idx_labels({1, 0}));
  const Dataset train = nn::data::load_mnist_dir(dir.path(), "train");
  const Dataset test = nn::data::load_mnist_dir(dir.path(), "test");
  EXPECT_EQ(train.size(), 4);
  EXPECT_EQ(test.size(), 2);
  EXPECT_EQ(test.sample_numel(), 9);
  EXPECT_NE(train.name.find("train"), std::string::npos);
  EXPECT_NE(test.name.find("test"), std::string::npos);

  const std::string bad_split = error_of([&] { nn::data::load_mnist_dir(dir.path(), "valid"); });
  EXPECT_HAS(bad_split, "unknown split 'valid'");
  fs::remove(dir / "t10k-labels-idx1-ubyte");
  const std::string missing = error_of([&] { nn::data::load_mnist_dir(dir.path(), "test"); });
  EXPECT_HAS(missing, "t10k-labels-idx1-ubyte.gz");
  EXPECT_HAS(missing, dir.path().string());
}

TEST(Idx, FashionMnistWhenInstalled) {
  const fs::path dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir / "train-images-idx3-ubyte.gz")) GTEST_SKIP() << "Fashion-MNIST is not installed at " << dir;
  const Dataset train = nn::data::load_mnist_dir(dir, "train");
  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(train.sample_numel(), 784);
  EXPECT_EQ(train.num_classes(), 10);
  std::vector<int64_t> counts(10, 0);
  for (int32_t l : train.labels()) ++counts[static_cast<size_t>(l)];
  for (int64_t c : counts) EXPECT_EQ(c, 6000);
  const Dataset test = nn::data::load_mnist_dir(dir, "test");
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(test.num_classes(), 10);
  // Pixels span the whole byte range.
  const auto& px = train.features_u8();
  EXPECT_EQ(*std::max_element(px.begin(), px.end()), 255);
  EXPECT_EQ(*std::min_element(px.begin(), px.end()), 0);
  const auto& names = nn::data::fashion_mnist_class_names();
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "T-shirt/top");
  EXPECT_EQ(names[9], "Ankle boot");
}

TEST(Idx, MissingFile) {
  const std::string m = error_of([] { nn::data::read_idx_images("/nonexistent/train-images-idx3-ubyte.gz"); });
  EXPECT_HAS(m, "/nonexistent/train-images-idx3-ubyte.gz");
  EXPECT_HAS(m, "no such file");
}

TEST(Idx, TruncatedGzip) {
  TempDir dir;
  write_gz(dir / "img.gz", idx_images(20, 28, 28));
  std::string bytes = read_file(dir / "img.gz");
  write_file(dir / "img.gz", bytes.substr(0, bytes.size() / 2));
  const std::string m = error_of([&] { nn::data::read_idx_images(dir / "img.gz"); });
  EXPECT_HAS(m, "img.gz");
  EXPECT_HAS(m, "truncated or corrupt gzip");
}

TEST(Idx, CorruptGzip) {
  TempDir dir;
  write_gz(dir / "img.gz", idx_images(20, 28, 28));
  std::string bytes = read_file(dir / "img.gz");
  for (size_t k = bytes.size() / 3; k < bytes.size() / 3 + 16; ++k) bytes[k] = static_cast<char>(~bytes[k]);
  write_file(dir / "img.gz", bytes);
  const std::string m = error_of([&] { nn::data::read_idx_images(dir / "img.gz"); });
  EXPECT_HAS(m, "img.gz");
  EXPECT_HAS(m, "truncated or corrupt gzip");
}

TEST(Idx, WrongMagic) {
  TempDir dir;
  std::string bytes = idx_images(2, 2, 2);
  bytes.replace(0, 4, be32(0x12345678));
  write_file(dir / "img", bytes);
  const std::string m = error_of([&] { nn::data::read_idx_images(dir / "img"); });
  EXPECT_HAS(m, "img");
  EXPECT_HAS(m, "wrong magic number");
  EXPECT_HAS(m, "0x00000803");
  EXPECT_HAS(m, "0x12345678");
  write_file(dir / "lab", bytes);
  const std::string l = error_of([&] { nn::data::read_idx_labels(dir / "lab"); });
  EXPECT_HAS(l, "0x00000801");
}

TEST(Idx, WrongDimensionCount) {
  TempDir dir;
  write_file(dir / "labels", idx_labels({1, 2, 3}));
  const std::string m = error_of([&] { nn::data::read_idx_images(dir / "labels"); });
  EXPECT_HAS(m, "labels");
  EXPECT_HAS(m, "wrong dimension count: expected 3");
  EXPECT_HAS(m, "found 1");
  write_file(dir / "images", idx_images(1, 2, 2));
  const std::string l = error_of([&] { nn::data::read_idx_labels(dir / "images"); });
  EXPECT_HAS(l, "expected 1");
  EXPECT_HAS(l, "found 3");
}

TEST(Idx, SizeDoesNotMatchTheHeader) {
  TempDir dir;
  // 3 images of 2 x 4 need 16 + 24 = 40 bytes.
  const std::string bytes = idx_images(3, 2, 4);
  write_file(dir / "short", bytes.substr(0, 35));
  const std::string s = error_of([&] { nn::data::read_idx_images(dir / "short"); });
  EXPECT_HAS(s, "short");
  EXPECT_HAS(s, "expected 40 bytes, found 35");
  write_gz(dir / "long.gz", bytes + "xyz");
  const std::string l = error_of([&] { nn::data::read_idx_images(dir / "long.gz"); });
  EXPECT_HAS(l, "long.gz");
  EXPECT_HAS(l, "expected 40 bytes, found 43");
  write_file(dir / "tiny", std::string("\0\0", 2));
  EXPECT_HAS(error_of([&] { nn::data::read_idx_images(dir / "tiny"); }), "found a file of 2 bytes");
}

TEST(Idx, ImageAndLabelCountsDiffer) {
  TempDir dir;
  write_file(dir / "img", idx_images(3, 2, 2));
  write_file(dir / "lab", idx_labels({0, 1}));
  const std::string m = error_of([&] { nn::data::load_idx_dataset(dir / "img", dir / "lab"); });
  EXPECT_HAS(m, "img");
  EXPECT_HAS(m, "lab");
  EXPECT_HAS(m, "3 images, 2 labels");
}

// ---- NPY ---------------------------------------------------------------------------------------

// A .npy file built byte by byte: header dict `dict` (padded as NumPy does), then `data`.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  const size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  const size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string s = "\x93NUMPY";
  s += static_cast<char>(major);
  s += '\0';
  const size_t n = header.size();
  s += static_cast<char>(n & 0xFF);
  s += static_cast<char>((n >> 8) & 0xFF);
  if (major != 1) s += std::string(2, '\0');
  return s + header + data;
}

template <class T>
std::string raw(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

TEST(Npy, WriteReadRoundTrip) {
  TempDir dir;
  for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{{2, 3}, {5}, {}, {2, 3, 4, 5}, {0, 3}}) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = 0.25f * static_cast<float>(i) - 3.0f;
    nn::data::write_npy(dir / "a.npy", shape, values.data());
    const std::string bytes = read_file(dir / "a.npy");
    EXPECT_EQ((bytes.size() - values.size() * 4) % 64, 0u);  // data starts 64-byte aligned, as in NumPy
    EXPECT_FALSE(fs::exists(dir / "a.npy.tmp"));
    const auto a = nn::data::read_npy(dir / "a.npy");
    EXPECT_EQ(a.shape, shape);
    EXPECT_EQ(a.dtype, "<f4");
    EXPECT_EQ(a.data, values);
  }
  nn::Tensor t(nn::Shape{2, 2}, {1.0f, -2.0f, 3.5f, 4.0f});
  nn::data::write_npy(dir / "t.npy", t);
  const nn::Tensor back = nn::data::read_npy(dir / "t.npy").to_tensor();
  EXPECT_EQ(back.shape(), t.shape());
  EXPECT_EQ(back.to_vector(), t.to_vector());
  // The exact bytes NumPy writes for np.save(f, np.arange(3, dtype='<f4')).
  nn::Tensor r(nn::Shape{3}, {0.0f, 1.0f, 2.0f});
  nn::data::write_npy(dir / "r.npy", r);
  EXPECT_EQ(read_file(dir / "r.npy"), npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                                                  raw(std::vector<float>{0, 1, 2})));
}

TEST(Npy, ReadsOtherDtypesAndVersion2) {
  TempDir dir;
  write_file(dir / "f8.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                                        raw(std::vector<double>{1.5, -2.25, 1e10, 0.1})));
  write_file(dir / "u1.npy",
              npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", std::string("\x00\x7f\xff", 3)));
  write_file(dir / "i4.npy", npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
                                        raw(std::vector<int32_t>{-5, 0, 123456})));
  write_file(dir / "i8.npy", npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }",
                                        raw(std::vector<int64_t>{-1, 4000000000LL})));
  write_file(dir / "v2.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                                        raw(std::vector<float>{7, 8}), 2));
  const auto f8 = nn::data::read_npy(dir / "f8.npy");
  EXPECT_EQ(f8.dtype, "<f8");
  EXPECT_EQ(f8.data, (std::vector<float>{1.5f, -2.25f, 1e10f, 0.1f}));
  const auto u1 = nn::data::read_npy(dir / "u1.npy");
  EXPECT_TRUE(u1.is_integer());
  EXPECT_EQ(u1.data, (std::vector<float>{0, 127, 255}));
  EXPECT_EQ(nn::data::read_npy(dir / "i4.npy").data, (std::vector<float>{-5, 0, 123456}));
  const auto i8 = nn::data::read_npy(dir / "i8.npy");
  EXPECT_EQ(i8.shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(i8.data, (std::vector<float>{-1.0f, 4e9f}));
  EXPECT_EQ(nn::data::read_npy(dir / "v2.npy").data, (std::vector<float>{7, 8}));
}

TEST(Npy, BadFiles) {
  TempDir dir;
  const std::string four = raw(std::vector<float>{1, 2, 3, 4});
  struct Case {
    const char* name;
    std::string bytes;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"magic.npy", "PK\x03\x04 not numpy at all", {"bad magic"}},
      {"fortran.npy",
       npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four),
       {"fortran_order True is not supported"}},
      {"big.npy",
       npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four),
       {"unsupported dtype '>f4'", "big-endian"}},
      {"half.npy",
       npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }", four),
       {"unsupported dtype '<f2'"}},
      {"bool.npy",
       npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (16,), }", four),
       {"unsupported dtype '|b1'"}},
      {"size.npy",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", four),
       {"expected 24 bytes, found 16", "(2, 3)"}},
      {"noshape.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, }", four), {"bad header", "'shape'"}},
      {"garbage.npy", npy_bytes("not a dict", four), {"bad header"}},
      {"version.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four, 9),
       {"unsupported format version 9.0"}},
      {"header.npy", std::string("\x93NUMPY\x01\x00\xff\x00{'descr'", 17), {"truncated header"}},
  };
  for (const auto& c : cases) {
    write_file(dir / c.name, c.bytes);
    const std::string m = error_of([&] { nn::data::read_npy(dir / c.name); });
    EXPECT_HAS(m, c.name);
    for (const auto& p : c.parts) EXPECT_HAS(m, p);
  }
  EXPECT_HAS(error_of([&] { nn::data::read_npy(dir / "absent.npy"); }), "absent.npy': no such file");
}

TEST(Npy, DatasetClassificationAndRegression) {
  TempDir dir;
  const std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  nn::data::write_npy(dir / "x.npy", std::vector<int64_t>{3, 2, 2}, x.data());
  write_file(dir / "y.npy", npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                                       raw(std::vector<int64_t>{2, 0, 1})));
  const Dataset c = nn::data::load_npy_dataset(dir / "x.npy", dir / "y.npy");
  EXPECT_TRUE(c.is_classification());
  EXPECT_EQ(c.sample_shape(), (nn::Shape{2, 2}));
  EXPECT_EQ(c.labels(), (std::vector<int32_t>{2, 0, 1}));
  EXPECT_EQ(c.num_classes(), 3);
  EXPECT_FLOAT_EQ(c.feature(2, 3), 11.0f);
  EXPECT_EQ(c.name, "x");

  const std::vector<float> y = {0.5f, -1.0f, 2.0f};
  nn::data::write_npy(dir / "yr.npy", std::vector<int64_t>{3}, y.data());
  const Dataset r = nn::data::load_npy_dataset(dir / "x.npy", dir / "yr.npy");
  EXPECT_FALSE(r.is_classification());
  EXPECT_EQ(r.targets().shape(), (nn::Shape{3, 1}));
  EXPECT_EQ(r.targets().to_vector(), y);

  nn::data::write_npy(dir / "y2.npy", std::vector<int64_t>{2}, y.data());
  const std::string m = error_of([&] { nn::data::load_npy_dataset(dir / "x.npy", dir / "y2.npy"); });
  EXPECT_HAS(m, "X has 3 samples");
  EXPECT_HAS(m, "(2,)");
  write_file(dir / "neg.npy", npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
                                         raw(std::vector<int32_t>{0, -1, 1})));
  EXPECT_HAS(error_of([&] { nn::data::load_npy_dataset(dir / "x.npy", dir / "neg.npy"); }), "label 1 is -1");
}

}  // namespace
