// Model specs, safetensors files, state dicts and model files.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nn/io/atomic_file.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/nn.hpp"

#include "support/support.hpp"

namespace {

namespace fs = std::filesystem;
using nn::test::error_of;
using nn::test::read_file;
using nn::test::TempDir;
using nn::test::write_file;

// ---- model specs ----------------------------------------------------------------------------------

TEST(ModelSpec, CompactAndJsonAreTheSameThing) {
  auto spec = nn::io::parse_model_spec("linear:128,relu,linear:32:xavier,leakyrelu:0.2,linear:10");
  ASSERT_EQ(spec.layers.size(), 5u);
  EXPECT_EQ(spec.layers[0].params["out"], 128);
  EXPECT_EQ(spec.layers[2].params["init"], "xavier");
  EXPECT_DOUBLE_EQ(spec.layers[3].params["alpha"].get<double>(), 0.2);
  EXPECT_EQ(nn::io::to_compact(spec), "linear:128,relu,linear:32:xavier,leakyrelu:0.2,linear:10");
  auto again = nn::io::parse_model_spec(nn::io::to_json(spec).dump());
  EXPECT_EQ(nn::io::to_json(again), nn::io::to_json(spec));
  auto model = nn::io::build_model(spec);
  EXPECT_EQ(model->size(), 5u);
  nn::Tensor x(nn::Shape{2, 784});
  EXPECT_EQ((*model)(x).shape(), (nn::Shape{2, 10}));
  EXPECT_FALSE(nn::io::expects_images(spec));
}

TEST(ModelSpec, ErrorsNameTheProblem) {
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("linear:128,relu,lstm:4"); }).find("unknown layer 'lstm'"),
            std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("linear:128,relu,lstm:4"); }).find("known: "), std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("linear:12x"); }).find("expected a number, found '12x'"),
            std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("linear:-3"); }).find("positive output size"), std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("linear"); }).find("missing 'out'"), std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("relu:3"); }).find("at most 0 arguments"), std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("linear:8,,relu"); }).find("empty layer"), std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("linear:8:glorot"); }).find("unknown init method"),
            std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("[{\"type\": \"linear\"}"); }).find("invalid JSON"),
            std::string::npos);
  EXPECT_THROW(nn::io::parse_model_spec(""), nn::Error);
}

// ---- safetensors ----------------------------------------------------------------------------------

TEST(Safetensors, RoundTripIsBitExactIncludingEmptyAndScalar) {
  TempDir dir;
  nn::Tensor a(nn::Shape{2, 3}, {1.5f, -0.0f, 3e-38f, 1e38f, -7.25f, 0.1f});
  nn::Tensor scalar(nn::Shape{}, 42.0f);
  nn::Tensor empty(nn::Shape{0, 4});
  nn::io::write_safetensors(dir / "t.safetensors", {{"a", &a}, {"s", &scalar}, {"e", &empty}}, {{"k", "v"}});
  auto f = nn::io::read_safetensors(dir / "t.safetensors");
  EXPECT_EQ(f.metadata.at("k"), "v");
  ASSERT_NE(f.find("a"), nullptr);
  EXPECT_EQ(std::memcmp(f.find("a")->data(), a.data(), 6 * sizeof(float)), 0);
  EXPECT_EQ(f.find("s")->shape(), nn::Shape{});
  EXPECT_EQ((*f.find("s"))[0], 42.0f);
  EXPECT_EQ(f.find("e")->shape(), (nn::Shape{0, 4}));
  // The header is padded to a multiple of 8 bytes.
  std::ifstream in(dir / "t.safetensors", std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  EXPECT_EQ(n % 8, 0u);
}

// Writes a file with the given header text and data bytes.
void write_raw(const fs::path& p, const std::string& header, size_t data_bytes) {
  const uint64_t n = header.size();
  write_file(p, std::string(reinterpret_cast<const char*>(&n), 8) + header + std::string(data_bytes, '\0'));
}

TEST(Safetensors, LoaderRefusesBrokenFiles) {
  TempDir dir;
  const auto p = dir / "bad.safetensors";
  auto err = [&](const std::string& header, size_t bytes) {
    write_raw(p, header, bytes);
    return error_of([&] { nn::io::read_safetensors(p); });
  };
  EXPECT_NE(err("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4).find("out of the data section"),
            std::string::npos);
  EXPECT_NE(err("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8).find("needs 12 bytes"),
            std::string::npos);
  EXPECT_NE(err("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8).find("dtype F64"),
            std::string::npos);
  EXPECT_NE(err("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8).find("twice"),
            std::string::npos);
  EXPECT_NE(err("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8).find("without gaps or overlaps"),
            std::string::npos);
  EXPECT_NE(err("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8).find("cover 4 bytes"),
            std::string::npos);
  EXPECT_NE(err("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4).find("non-negative"),
            std::string::npos);
  EXPECT_NE(err("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 4).find("at most 4"),
            std::string::npos);
  EXPECT_NE(err("{\"__metadata__\":{\"x\":1}}", 0).find("must be a string"), std::string::npos);
  EXPECT_NE(err("not json", 0).find("header: invalid JSON"), std::string::npos);
  EXPECT_NE(err("[1,2]", 0).find("JSON object"), std::string::npos);
  {  // a header length beyond the file
    std::ofstream out(p, std::ios::binary);
    const uint64_t n = 1000;
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << "{}";
  }
  EXPECT_NE(error_of([&] { nn::io::read_safetensors(p); }).find("truncated"), std::string::npos);
  write_file(p, "abc");
  EXPECT_NE(error_of([&] { nn::io::read_safetensors(p); }).find("at least 8 bytes"), std::string::npos);
  EXPECT_NE(error_of([&] { nn::io::read_safetensors(dir / "missing"); }).find("cannot open"), std::string::npos);
}

// ---- state dicts and model files --------------------------------------------------------------------

TEST(StateDict, StrictLoadReportsEveryDifferenceAndChangesNothing) {
  nn::manual_seed(1);
  nn::Sequential a(nn::Linear(4, 3), nn::ReLU(), nn::Linear(3, 2));
  nn::Sequential b(nn::Linear(4, 3), nn::ReLU(), nn::Linear(3, 2));
  auto report = nn::io::load_state_dict(b, nn::io::state_dict(a));
  EXPECT_EQ(report.str(), "All keys matched successfully");
  EXPECT_EQ(b.named_parameters()[0].second->data.to_vector(), a.named_parameters()[0].second->data.to_vector());

  nn::Sequential c(nn::Linear(4, 5), nn::ReLU(), nn::Linear(5, 2), nn::Linear(2, 2));
  const auto before = c.named_parameters()[0].second->data.to_vector();
  const std::string msg = error_of([&] { nn::io::load_state_dict(c, nn::io::state_dict(a)); });
  EXPECT_NE(msg.find("missing keys: 3.weight, 3.bias"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0.weight: expected [5, 4], found [3, 4]"), std::string::npos) << msg;
  EXPECT_EQ(c.named_parameters()[0].second->data.to_vector(), before);
  auto loose = nn::io::load_state_dict(c, nn::io::state_dict(a), false);
  EXPECT_EQ(loose.missing.size(), 2u);
  EXPECT_EQ(loose.mismatched.size(), 3u);
}

TEST(ModelFile, SaveLoadRoundTripIsBitExact) {
  TempDir dir;
  nn::manual_seed(3);
  nn::Sequential model(nn::Linear(5, 7, {.init = nn::Init::xavier}), nn::Tanh(), nn::Linear(4), nn::LeakyReLU(0.1f),
                       nn::Linear(3, {.bias = false}), nn::Softmax());
  nn::Tensor x(nn::Shape{3, 5});
  nn::Rng rng(1);
  for (float& v : x.span()) v = static_cast<float>(rng.normal());
  const auto expected = model(x).to_vector();
  nn::io::save(model, dir / "m.safetensors");
  auto loaded = nn::io::load_model(dir / "m.safetensors");
  EXPECT_EQ(loaded.format_version, nn::io::kModelFormatVersion);
  EXPECT_EQ(loaded.input_shape, nn::Shape{5});
  EXPECT_EQ(loaded.model->repr(), model.repr());
  EXPECT_EQ((*loaded.model)(x).to_vector(), expected);
  auto a = model.named_parameters();
  auto b = loaded.model->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(std::memcmp(a[i].second->data.data(), b[i].second->data.data(),
                          static_cast<size_t>(a[i].second->data.numel()) * sizeof(float)),
              0);
  }
}

TEST(ModelFile, EveryLayerTypeRoundTripsBitExactly) {
  TempDir dir;
  nn::manual_seed(5);
  auto spec = nn::io::parse_model_spec(
      "conv:4:3:1:1,batchnorm,relu,maxpool:2,conv:6:3:2:1,leakyrelu:0.1,avgpool:2,flatten,dropout:0.25,"
      "linear:8,batchnorm,tanh,linear:3,sigmoid,softmax");
  auto model = nn::io::build_model(spec);
  nn::Tensor x(nn::Shape{5, 1, 12, 12});
  nn::Rng rng(2);
  for (float& v : x.span()) v = static_cast<float>(rng.normal());
  (*model)(x);  // a training forward: batch-norm running statistics move away from their start
  model->eval();
  const auto expected = (*model)(x).to_vector();
  nn::io::save(*model, dir / "cnn.safetensors", {.input_shape = {1, 12, 12}, .metadata = {}});
  auto loaded = nn::io::load_model(dir / "cnn.safetensors");
  EXPECT_EQ(nn::io::to_json(loaded.spec), nn::io::to_json(nn::io::spec_of(*model)));
  EXPECT_EQ(loaded.model->repr(), model->repr());
  EXPECT_EQ((*loaded.model)(x).to_vector(), expected);
  auto a = nn::io::state_dict(*model), b = nn::io::state_dict(*loaded.model);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    ASSERT_EQ(a[i].second.shape(), b[i].second.shape()) << a[i].first;
    EXPECT_EQ(std::memcmp(a[i].second.data(), b[i].second.data(), static_cast<size_t>(a[i].second.numel()) * 4), 0)
        << a[i].first;
  }
  bool has_running_mean = false;
  for (auto& [name, t] : a) has_running_mean = has_running_mean || name == "1.running_mean";
  EXPECT_TRUE(has_running_mean);
}

TEST(ModelFile, LoaderRefusesStateDictsAndForeignFormats) {
  TempDir dir;
  nn::manual_seed(3);
  nn::Sequential model(nn::Linear(2, 2));
  nn::io::save_state_dict(nn::io::state_dict(model), dir / "sd.safetensors");
  EXPECT_NE(error_of([&] { nn::io::load_model(dir / "sd.safetensors"); }).find("not an nn model file"),
            std::string::npos);
  nn::io::save(model, dir / "m.safetensors", nn::io::SaveOptions{});
  auto sd = nn::io::read_state_dict(dir / "m.safetensors");
  EXPECT_EQ(sd.size(), 2u);
  nn::Tensor w(nn::Shape{2, 2});
  nn::io::write_safetensors(dir / "v.safetensors", {{"0.weight", &w}},
                            {{"format", "nn.model"}, {"format_version", "99"}, {"model_spec", "[]"}, {"input_shape", "[2]"}});
  EXPECT_NE(error_of([&] { nn::io::load_model(dir / "v.safetensors"); }).find("format version 99"), std::string::npos);
  nn::io::write_safetensors(dir / "w.safetensors", {{"0.weight", &w}},
                            {{"format", "nn.model"}, {"format_version", "1"},
                             {"model_spec", "[{\"type\": \"linear\", \"out\": 2}]"}, {"input_shape", "[2]"}});
  EXPECT_NE(error_of([&] { nn::io::load_model(dir / "w.safetensors"); }).find("missing keys: 0.bias"),
            std::string::npos);
}

TEST(AtomicFile, NothingIsLeftWhenNotCommitted) {
  TempDir dir;
  {
    nn::io::AtomicFile f(dir / "out.txt");
    f.write("partial");
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
  nn::io::write_file_atomic(dir / "out.txt", "old");
  {
    nn::io::AtomicFile f(dir / "out.txt");
    f.write("new but abandoned");
  }
  EXPECT_EQ(read_file(dir / "out.txt"), "old");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  EXPECT_THROW(nn::io::AtomicFile(dir / "no-such-dir" / "x"), nn::Error);
}

}  // namespace
