#include "support.hpp"

#include <stdlib.h>

#include <bit>
#include <fstream>
#include <iterator>
#include <numeric>
#include <span>
#include <system_error>

#include "nn/error.hpp"
#include "nn/random.hpp"

namespace nn::test {

namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
  std::string name(prefix);
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    name += std::string("-") + info->test_suite_name() + "-" + info->name();
    for (char& c : name)
      if (c == '/') c = '_';  // parameterised tests are named "Suite/Test/0"
  }
  std::string tmpl = (fs::temp_directory_path() / (name + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "cannot create a temporary folder " << tmpl;
    return;
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an nn::Error";
  return "(no nn::Error thrown)";
}

::testing::AssertionResult contains(const std::string& message, std::string_view part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "the message does not contain \"" << part << "\": " << message;
}

void fill_uniform(Tensor& t, uint64_t seed, double lo, double hi) {
  Rng rng(seed);
  for (float& v : t.span()) v = static_cast<float>(rng.uniform(lo, hi));
}

Tensor random_tensor(const Shape& shape, uint64_t seed, double lo, double hi) {
  Tensor t(shape);
  fill_uniform(t, seed, lo, hi);
  return t;
}

std::vector<uint32_t> bits(const Tensor& t) {
  std::vector<uint32_t> out;
  out.reserve(static_cast<size_t>(t.numel()));
  for (float v : t.span()) out.push_back(std::bit_cast<uint32_t>(v));
  return out;
}

std::pair<data::Dataset, data::Dataset> shuffled_split(const data::Dataset& all, int64_t train, uint64_t seed) {
  std::vector<int64_t> idx(static_cast<size_t>(all.size()));
  std::iota(idx.begin(), idx.end(), int64_t{0});
  Rng rng(seed);
  rng.shuffle(std::span<int64_t>(idx));
  return {all.subset(std::span<const int64_t>(idx.data(), static_cast<size_t>(train))),
          all.subset(std::span<const int64_t>(idx.data() + train, idx.size() - static_cast<size_t>(train)))};
}

}  // namespace nn::test
