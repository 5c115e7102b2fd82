// nn::data::Scaler: fitting, JSON round trips, the format model files have always used, validation
// errors naming the field; and the scaler saved with a model (io/model_scaler).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include "nn/data/scaler.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/data/transform.hpp"
#include "nn/error.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/io/model_spec.hpp"
#include "support/support.hpp"

namespace {

using nn::test::error_of;

namespace fs = std::filesystem;
using json = nlohmann::json;
using nn::data::Scaler;
using nn::data::ScalerKind;

nn::data::Dataset blobs() {
  nn::data::BlobsOptions o;
  o.n_samples = 200;
  o.n_features = 3;
  return nn::data::make_blobs(o);
}

TEST(Scaler, StandardAndMinMaxMatchTheirTransforms) {
  const auto data = blobs();
  Scaler standard(ScalerKind::standard);
  standard.fit(data);
  nn::data::StandardScaler ref;
  ref.fit(data);
  EXPECT_EQ(standard.a(), ref.mean());
  EXPECT_EQ(standard.b(), ref.scale());
  auto mine = data.clone(), theirs = data.clone();
  standard.transform(mine);
  ref.transform(theirs);
  EXPECT_EQ(mine.features().to_vector(), theirs.features().to_vector());

  Scaler minmax(ScalerKind::minmax);
  minmax.fit(data);
  nn::data::MinMaxScaler mref;
  mref.fit(data);
  EXPECT_EQ(minmax.a(), mref.data_min());
  EXPECT_EQ(minmax.b(), mref.data_max());
  nn::Tensor x = data.features().clone(), y = data.features().clone();
  minmax.transform(x);
  mref.transform(y);
  EXPECT_EQ(x.to_vector(), y.to_vector());
}

// range: every value onto [0, 1] by the overall minimum and maximum (images), one pair for all
// features, saved and read back like the others.
TEST(Scaler, RangeMapsTheOverallMinimumAndMaximumOntoZeroAndOne) {
  nn::Tensor x(nn::Shape{2, 3});
  const float v[] = {10, 50, 250, 30, 10, 90};
  std::copy(v, v + 6, x.data());
  auto data = nn::data::Dataset::classification(x.clone(), std::vector<int32_t>{0, 1});
  Scaler range(ScalerKind::range);
  range.fit(data);
  EXPECT_EQ(range.a(), std::vector<float>{10.0f});
  EXPECT_EQ(range.b(), std::vector<float>{250.0f});
  range.transform(data);
  const auto out = data.features().to_vector();
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(out[static_cast<size_t>(i)], (v[i] - 10.0f) / 240.0f);
  const Scaler back = Scaler::from_json(range.to_json());
  EXPECT_TRUE(back == range);
  EXPECT_EQ(nn::data::parse_scaler_kind("range"), ScalerKind::range);
  EXPECT_HAS(nn::test::error_of([] {
               Scaler::from_json(nlohmann::json::parse(R"({"kind": "range", "a": [0, 1], "b": [1, 2]})"), "m.safetensors");
             }),
             "expected one value (the overall minimum and maximum) for kind range, found 2");
}

TEST(Scaler, NoneLeavesDataAsItIs) {
  const auto data = blobs();
  Scaler none;
  EXPECT_TRUE(none.fitted());
  none.fit(data);
  auto copy = data.clone();
  none.transform(copy);
  EXPECT_EQ(copy.features().to_vector(), data.features().to_vector());
  EXPECT_EQ(none.to_json().dump(), R"({"a":[],"b":[],"kind":"none"})");
}

TEST(Scaler, JsonRoundTripIsExact) {
  const auto data = blobs();
  for (ScalerKind kind : {ScalerKind::none, ScalerKind::standard, ScalerKind::minmax}) {
    Scaler s(kind);
    s.fit(data);
    const Scaler back = Scaler::from_json(json::parse(s.to_json().dump()));
    EXPECT_EQ(back, s) << s.kind_name();
    auto a = data.clone(), b = data.clone();
    s.transform(a);
    back.transform(b);
    EXPECT_EQ(a.features().to_vector(), b.features().to_vector()) << s.kind_name();
  }
}

TEST(Scaler, ReadsTheFormatModelFilesHaveAlwaysUsed) {
  // What nn train wrote under "nn.preprocess" before Scaler existed.
  const Scaler s = Scaler::from_json(json::parse(R"({"a":[1.0,-2.0],"b":[2.0,0.5],"kind":"standard"})"));
  EXPECT_EQ(s.kind(), ScalerKind::standard);
  nn::Tensor x(nn::Shape{1, 2}, {3.0f, -1.0f});
  s.transform(x);
  EXPECT_FLOAT_EQ(x[0], 1.0f);
  EXPECT_FLOAT_EQ(x[1], 2.0f);
  const Scaler m = Scaler::from_json(json::parse(R"({"a":[0.0],"b":[4.0],"kind":"minmax"})"));
  nn::Tensor y(nn::Shape{2, 1}, {1.0f, 4.0f});
  m.transform(y);
  EXPECT_FLOAT_EQ(y[0], 0.25f);
  EXPECT_FLOAT_EQ(y[1], 1.0f);
}

TEST(Scaler, ValidationErrorsNameTheField) {
  auto err = [](const std::string& text) { return error_of([&] { Scaler::from_json(json::parse(text), "m.st"); }); };
  {
    const std::string e = err(R"({"a":[1.0,2.0],"b":[1.0],"kind":"standard"})");
    EXPECT_NE(e.find("m.st"), std::string::npos) << e;
    EXPECT_NE(e.find("'a' and 'b'"), std::string::npos) << e;
    EXPECT_NE(e.find("2 and 1"), std::string::npos) << e;
  }
  {
    const std::string e = err(R"({"a":[1.0,null],"b":[1.0,1.0],"kind":"standard"})");
    EXPECT_NE(e.find("'a'[1]"), std::string::npos) << e;
    EXPECT_NE(e.find("finite"), std::string::npos) << e;
  }
  {
    const std::string e = err(R"({"a":[1.0],"b":[1e300],"kind":"standard"})");
    EXPECT_NE(e.find("'b'[0]"), std::string::npos) << e;
  }
  {
    const std::string e = err(R"({"a":[1.0],"b":[0.0],"kind":"standard"})");
    EXPECT_NE(e.find("'b'[0]"), std::string::npos) << e;
    EXPECT_NE(e.find("positive"), std::string::npos) << e;
  }
  {
    const std::string e = err(R"({"a":[3.0],"b":[1.0],"kind":"minmax"})");
    EXPECT_NE(e.find("'a'[0]"), std::string::npos) << e;
    EXPECT_NE(e.find("exceeds"), std::string::npos) << e;
  }
  {
    const std::string e = err(R"({"a":[],"b":[],"kind":"robust"})");
    EXPECT_NE(e.find("'kind'"), std::string::npos) << e;
    EXPECT_NE(e.find("robust"), std::string::npos) << e;
  }
  {
    const std::string e = err(R"({"a":[],"kind":"none"})");
    EXPECT_NE(e.find("'b' is missing"), std::string::npos) << e;
  }
  {
    const std::string e = err(R"({"a":[1.0],"b":[2.0],"kind":"none"})");
    EXPECT_NE(e.find("kind none"), std::string::npos) << e;
  }
  {
    const std::string e = err(R"({"a":[],"b":[],"kind":"standard"})");
    EXPECT_NE(e.find("found none"), std::string::npos) << e;
  }
  EXPECT_NE(err(R"([1, 2])").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(err(R"({"a":"x","b":[],"kind":"none"})").find("field 'a': expected an array"), std::string::npos);
}

TEST(Scaler, RefusesUnfittedOrOtherWidths) {
  Scaler s(ScalerKind::standard);
  EXPECT_FALSE(s.fitted());
  nn::Tensor x(nn::Shape{2, 3});
  EXPECT_NE(error_of([&] { s.transform(x); }).find("not fitted"), std::string::npos);
  s.fit(blobs());
  nn::Tensor wrong(nn::Shape{2, 2});
  EXPECT_NE(error_of([&] { s.transform(wrong); }).find("fitted on 3 features"), std::string::npos);
  EXPECT_NE(error_of([] { nn::data::parse_scaler_kind("robust", "--scale"); }).find("--scale"), std::string::npos);
}

TEST(ModelScaler, SavedWithTheModelAndLoadedBack) {
  const fs::path dir = fs::temp_directory_path() / ("nn-scaler-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto model = nn::io::build_model(nn::io::parse_model_spec("linear:4,relu,linear:2"));
  model->eval();
  model->forward(nn::Tensor(nn::Shape{1, 3}));
  Scaler s(ScalerKind::minmax);
  s.fit(blobs());
  nn::io::save_with_scaler(*model, s, dir / "m.safetensors", {.input_shape = {3}, .metadata = {{"nn.loss", "mse"}}});
  const auto loaded = nn::io::load_with_scaler(dir / "m.safetensors");
  EXPECT_EQ(loaded.scaler, s);
  EXPECT_EQ(loaded.model.metadata.at("nn.loss"), "mse");
  // A model saved without a scaler has none.
  nn::io::save(*model, dir / "plain.safetensors", {.input_shape = {3}, .metadata = {}});
  EXPECT_EQ(nn::io::load_with_scaler(dir / "plain.safetensors").scaler.kind(), ScalerKind::none);
  // Bad metadata is an error naming the file and the entry.
  const std::string e = error_of([] {
    nn::io::scaler_from_metadata({{nn::io::kScalerMetadataKey, "{not json"}}, "x.safetensors");
  });
  EXPECT_NE(e.find("x.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("nn.preprocess"), std::string::npos) << e;
  fs::remove_all(dir);
}

}  // namespace
