// State dicts written by PyTorch (safetensors.torch.save_file) loaded into nn models built from a
// model spec: tests/data/torch_mlp.safetensors and the outputs torch computed for it
// (tests/data/torch_mlp_expected.safetensors), both written by tests/interop/make_torch_fixture.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "nn/error.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/io/state_dict_model.hpp"
#include "support/support.hpp"

namespace {

using nn::test::TempDir;
using nn::test::error_of;

namespace fs = std::filesystem;

const fs::path kTorchMlp = fs::path(NN_TEST_DATA_DIR) / "torch_mlp.safetensors";
const fs::path kTorchMlpExpected = fs::path(NN_TEST_DATA_DIR) / "torch_mlp_expected.safetensors";
constexpr float kTol = 1e-5f;  // absolute and relative

struct Expected {
  nn::io::SafetensorsFile file;
  const nn::Tensor& input() const { return *file.find("input"); }
  const nn::Tensor& output() const { return *file.find("output"); }
  nn::io::ModelSpec spec() const { return nn::io::parse_model_spec(file.metadata.at("model_spec")); }
};

Expected expected() {
  Expected e{nn::io::read_safetensors(kTorchMlpExpected)};
  EXPECT_NE(e.file.find("input"), nullptr);
  EXPECT_NE(e.file.find("output"), nullptr);
  return e;
}

// Runs the model on torch's inputs and checks torch's outputs, |nn - torch| <= tol (1 + |torch|).
void expect_torch_outputs(nn::Module& model, const Expected& e) {
  const nn::Tensor& y = model.forward(e.input());
  ASSERT_EQ(y.shape(), e.output().shape());
  for (int64_t i = 0; i < y.numel(); ++i)
    EXPECT_LE(std::fabs(y[i] - e.output()[i]), kTol + kTol * std::fabs(e.output()[i])) << "output " << i;
}

nn::io::StateDict torch_dict() { return nn::io::read_safetensors(kTorchMlp, {.integers_as_float = true}).tensors; }

TEST(TorchStateDict, DefaultReaderRefusesTorchsIntegerBuffer) {
  // BatchNorm1d's num_batches_tracked is I64 in PyTorch's file.
  const std::string msg = error_of([] { nn::io::read_safetensors(kTorchMlp); });
  EXPECT_NE(msg.find("1.num_batches_tracked': dtype I64 is not supported"), std::string::npos) << msg;
}

TEST(TorchStateDict, LoadStateDictIntoSpecModelGivesTorchOutputs) {
  const Expected e = expected();
  auto model = nn::io::build_model(e.spec());
  model->eval();
  nn::Tensor probe(nn::Shape{1, 4});
  model->forward(probe);  // sizes the layers whose input size is inferred
  const nn::io::LoadReport report = nn::io::load_state_dict(*model, torch_dict());
  EXPECT_TRUE(report.ok()) << report.str();
  bool found = false;
  for (auto& [name, t] : model->named_buffers())
    if (name == "1.num_batches_tracked") {
      found = true;
      EXPECT_EQ((*t)[0], 3.0f);  // three training batches in make_torch_fixture.py
    }
  EXPECT_TRUE(found);
  expect_torch_outputs(*model, e);
}

TEST(TorchStateDict, LoadModelWithSpecInfersTheInputSize) {
  const Expected e = expected();
  nn::io::StateDictModel m = nn::io::load_model_with_spec(kTorchMlp, e.spec());
  EXPECT_TRUE(m.report.ok()) << m.report.str();
  EXPECT_EQ(m.loaded.input_shape, (nn::Shape{4}));
  EXPECT_EQ(m.loaded.format_version, 0);
  expect_torch_outputs(*m.loaded.model, e);
  // Given explicitly, the same.
  nn::io::StateDictModel given = nn::io::load_model_with_spec(kTorchMlp, e.spec(), {4});
  expect_torch_outputs(*given.loaded.model, e);
}

TEST(TorchStateDict, UnexpectedKeyIsListedWhenStrict) {
  const Expected e = expected();
  nn::io::StateDict dict = torch_dict();
  dict.emplace_back("4.weight", nn::Tensor(nn::Shape{2, 3}, 1.0f));
  auto model = nn::io::build_model(e.spec());
  model->eval();
  nn::Tensor probe(nn::Shape{1, 4});
  model->forward(probe);
  std::string msg = error_of([&] { nn::io::load_state_dict(*model, dict, true); });
  EXPECT_NE(msg.find("unexpected keys: 4.weight"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("missing keys"), std::string::npos) << msg;

  // Through a file: the error names the file and the key.
  TempDir dir;
  nn::io::save_state_dict(dict, dir / "extra.safetensors");
  msg = error_of([&] { nn::io::load_model_with_spec(dir / "extra.safetensors", e.spec()); });
  EXPECT_NE(msg.find("extra.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected keys: 4.weight"), std::string::npos) << msg;
}

TEST(TorchStateDict, UnexpectedKeyIsReportedWhenNotStrict) {
  const Expected e = expected();
  nn::io::StateDict dict = torch_dict();
  dict.emplace_back("4.weight", nn::Tensor(nn::Shape{2, 3}, 1.0f));
  dict.emplace_back("head.bias", nn::Tensor(nn::Shape{3}));
  nn::io::StateDictModel m = nn::io::model_from_state_dict(dict, e.spec(), {}, false);
  EXPECT_FALSE(m.report.ok());
  EXPECT_EQ(m.report.unexpected, (std::vector<std::string>{"4.weight", "head.bias"}));
  EXPECT_TRUE(m.report.missing.empty());
  EXPECT_TRUE(m.report.mismatched.empty());
  EXPECT_EQ(m.report.str(), "unexpected keys: 4.weight, head.bias");
  // Everything the model has was loaded.
  expect_torch_outputs(*m.loaded.model, e);
}

TEST(TorchStateDict, WrongSpecNamesTheMismatchedAndMissingKeys) {
  std::string msg = error_of([] {
    nn::io::load_model_with_spec(kTorchMlp, nn::io::parse_model_spec("linear:9,batchnorm,tanh,linear:3"));
  });
  EXPECT_NE(msg.find("torch_mlp.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0.weight: expected [9, 4], found [8, 4]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1.weight: expected [9], found [8]"), std::string::npos) << msg;
  // The last layer at index 4 instead of 3: 3.* unexpected, 4.* missing.
  msg = error_of([] {
    nn::io::load_model_with_spec(kTorchMlp, nn::io::parse_model_spec("linear:8,batchnorm,tanh,identity,linear:3"));
  });
  EXPECT_NE(msg.find("missing keys: 4.weight, 4.bias"), std::string::npos) << msg;
  // Unexpected keys come in the file's order.
  const size_t unexpected = msg.find("unexpected keys: ");
  ASSERT_NE(unexpected, std::string::npos) << msg;
  EXPECT_NE(msg.find("3.weight", unexpected), std::string::npos) << msg;
  EXPECT_NE(msg.find("3.bias", unexpected), std::string::npos) << msg;
}

TEST(TorchStateDict, ImageModelNeedsTheInputShape) {
  const auto spec = nn::io::parse_model_spec("conv:2:3,relu,flatten,linear:3");
  nn::io::StateDict dict;
  std::string msg = error_of([&] { nn::io::model_from_state_dict(dict, spec, {}, true, "conv.safetensors"); });
  EXPECT_NE(msg.find("conv.safetensors: the input shape is unknown: layer 0 (conv)"), std::string::npos) << msg;
  // With the shape, the missing weights are listed.
  msg = error_of([&] { nn::io::model_from_state_dict(dict, spec, {1, 5, 5}, true, "conv.safetensors"); });
  EXPECT_NE(msg.find("missing keys: 0.weight, 0.bias, 3.weight, 3.bias"), std::string::npos) << msg;
  // A shape the spec cannot take.
  msg = error_of([&] { nn::io::model_from_state_dict(dict, spec, {1, 2, 2}, true, "conv.safetensors"); });
  EXPECT_NE(msg.find("does not accept inputs of shape [1, 2, 2]"), std::string::npos) << msg;
}

TEST(StateDictModel, ParseInputShape) {
  EXPECT_EQ(nn::io::parse_input_shape("784"), (std::vector<int64_t>{784}));
  EXPECT_EQ(nn::io::parse_input_shape("1,28,28"), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(nn::io::parse_input_shape("3x32x32"), (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(nn::io::parse_input_shape(" [1, 28, 28] "), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(nn::io::parse_input_shape("(2, 5)"), (std::vector<int64_t>{2, 5}));
  EXPECT_TRUE(nn::io::parse_input_shape("").empty());
  EXPECT_NE(error_of([] { nn::io::parse_input_shape("1,0,28"); }).find("found '0'"), std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_input_shape("1,28,"); }).find("found ''"), std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_input_shape("a"); }).find("input shape 'a'"), std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_input_shape("1,2,3,4"); }).find("expected 1 to 3 sizes, found 4"),
            std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_input_shape("[1,28"); }).find("closing ']'"), std::string::npos);
}

// A safetensors file made by hand: header JSON, then the raw bytes.
void write_raw(const fs::path& path, std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xFF));
  std::ofstream(path, std::ios::binary) << bytes << header << data;
}

std::string le_bytes(int64_t v, int size) {
  std::string s;
  for (int i = 0; i < size; ++i) s.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF));
  return s;
}

TEST(Safetensors, IntegersAsFloatConvertsExactValuesOnly) {
  TempDir dir;
  write_raw(dir / "ints.safetensors",
            R"({"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},)"
            R"("b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},)"
            R"("c":{"dtype":"U8","shape":[2],"data_offsets":[16,18]},)"
            R"("d":{"dtype":"I8","shape":[1],"data_offsets":[18,19]}})",
            le_bytes(-3, 4) + le_bytes(16777216, 4) + le_bytes(42, 8) + le_bytes(255, 1) + le_bytes(7, 1) +
                le_bytes(-128, 1));
  auto f = nn::io::read_safetensors(dir / "ints.safetensors", {.integers_as_float = true});
  EXPECT_EQ(f.find("a")->to_vector(), (std::vector<float>{-3.0f, 16777216.0f}));
  EXPECT_EQ(f.find("b")->shape(), nn::Shape{});
  EXPECT_EQ((*f.find("b"))[0], 42.0f);
  EXPECT_EQ(f.find("c")->to_vector(), (std::vector<float>{255.0f, 7.0f}));
  EXPECT_EQ(f.find("d")->to_vector(), (std::vector<float>{-128.0f}));
  EXPECT_NE(error_of([&] { nn::io::read_safetensors(dir / "ints.safetensors"); }).find("'a': dtype I32 is not supported"),
            std::string::npos);

  write_raw(dir / "big.safetensors", R"({"n":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})",
            le_bytes(1, 8) + le_bytes(16777217, 8));
  EXPECT_NE(error_of([&] { nn::io::read_safetensors(dir / "big.safetensors", {.integers_as_float = true}); })
                .find("'n' (I64): value 16777217 at index 1 is not exactly representable"),
            std::string::npos);
  // The size check uses the dtype's width.
  write_raw(dir / "short.safetensors", R"({"n":{"dtype":"I64","shape":[2],"data_offsets":[0,8]}})", le_bytes(1, 8));
  EXPECT_NE(error_of([&] { nn::io::read_safetensors(dir / "short.safetensors", {.integers_as_float = true}); })
                .find("needs 16 bytes"),
            std::string::npos);
  // Floating-point dtypes other than F32 stay refused.
  write_raw(dir / "f64.safetensors", R"({"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", le_bytes(0, 8));
  EXPECT_NE(error_of([&] { nn::io::read_safetensors(dir / "f64.safetensors", {.integers_as_float = true}); })
                .find("dtype F64 is not supported (expected F32, I64, I32, I16, I8 or U8)"),
            std::string::npos);
}

}  // namespace
