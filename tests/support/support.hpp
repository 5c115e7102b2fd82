// What the tests share: temporary folders, files as bytes, expected nn::Errors and their messages,
// tensors filled from nn's own generator, and bit patterns for exact comparisons. Linked into
// nn_tests and nn_alloc_test (the nn_test_support library).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "nn/data/dataset.hpp"
#include "nn/tensor.hpp"

namespace nn::test {

// A new empty folder under the system's temporary folder, removed with its contents at the end of
// the scope. Its name is `prefix`, then the running test's suite and name, then a unique suffix
// (mkdtemp), so tests and processes never share one.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "nn-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `bytes` to the file (replacing it); a test failure when it cannot.
void write_file(const std::filesystem::path& path, std::string_view bytes);
// The bytes of a file; a test failure (and "") when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// The message of the nn::Error that f throws; a test failure, and "(no nn::Error thrown)", when f
// returns normally. Any other exception propagates.
std::string error_of(const std::function<void()>& f);

// Whether `message` contains `part`, as an assertion that prints the whole message when it does not:
// EXPECT_TRUE(nn::test::contains(m, "line 3")).
::testing::AssertionResult contains(const std::string& message, std::string_view part);
// The same as a statement: EXPECT_HAS(error_of([&] { ... }), "line 3").
#define EXPECT_HAS(message, part) EXPECT_TRUE(::nn::test::contains((message), (part)))

// Fills t with uniform values in [lo, hi) from nn::Rng(seed).
void fill_uniform(Tensor& t, uint64_t seed, double lo = -1.0, double hi = 1.0);
// A tensor of `shape` filled by fill_uniform.
Tensor random_tensor(const Shape& shape, uint64_t seed, double lo = -1.0, double hi = 1.0);

// The samples of `all` in an order shuffled by nn::Rng(seed): the first `train` of them, then the rest.
std::pair<data::Dataset, data::Dataset> shuffled_split(const data::Dataset& all, int64_t train, uint64_t seed);

// The bit patterns of a tensor's values, for comparisons that must be exact (NaN and -0 included).
std::vector<uint32_t> bits(const Tensor& t);

}  // namespace nn::test
