// The layer registry and the self-describing Module API: settings, named random generators,
// Module::build, const accessors; and files written before the registry still load.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <memory>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>
#include <nlohmann/json.hpp>

#include "nn/data/npy.hpp"
#include "nn/error.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/io/layer_registry.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/optim/optimizer.hpp"
#include "support/support.hpp"

namespace {

using nn::test::error_of;

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kData = NN_TEST_DATA_DIR;

TEST(LayerRegistry, RowsAreSortedUniqueAndComplete) {
  const auto& rows = nn::io::layer_registry();
  ASSERT_FALSE(rows.empty());
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_LT(rows[i - 1].name, rows[i].name);
  for (const auto& row : rows) {
    EXPECT_FALSE(row.torch_names.empty()) << row.name;
    EXPECT_TRUE(row.build != nullptr) << row.name;
    for (const auto& key : row.positional)
      EXPECT_NE(std::find(row.settings.begin(), row.settings.end(), key), row.settings.end()) << row.name << " " << key;
    for (const auto& key : row.required)
      EXPECT_NE(std::find(row.settings.begin(), row.settings.end(), key), row.settings.end()) << row.name << " " << key;
  }
  EXPECT_EQ(nn::io::known_layer_types().size(), rows.size());
  EXPECT_EQ(nn::io::find_layer("lstm"), nullptr);
  EXPECT_EQ(nn::io::layer_row("conv").torch_names, std::vector<std::string>{"Conv2d"});
  EXPECT_TRUE(nn::io::layer_row("maxpool").image_input);
}

TEST(LayerRegistry, UnknownSettingsAreErrorsListingTheAllowedOnes) {
  EXPECT_EQ(error_of([] { nn::io::parse_model_spec(R"([{"type":"linear","out":4,"alpah":0.1}])"); }),
            "layer 0: model spec: linear: unknown setting 'alpah' (expected out, init, gain, bias, weight_decay, "
            "alpha)");
  EXPECT_NE(error_of([] { nn::io::parse_model_spec(R"({"type":"relu","inplace":true})"); })
                .find("relu: unknown setting 'inplace' (expected none)"),
            std::string::npos);
  EXPECT_NE(error_of([] { nn::io::parse_model_spec(R"([{"type":"conv","out":4,"kernel":3,"dilation":2}])"); })
                .find("conv: unknown setting 'dilation' (expected out, kernel, stride, padding, init, gain, bias, alpha)"),
            std::string::npos);
  // The compact form names its settings by position; too many is an error too.
  EXPECT_NE(error_of([] { nn::io::parse_model_spec("relu:2"); }).find("relu takes at most 0 arguments"),
            std::string::npos);
  // A value of the wrong type names the setting.
  EXPECT_NE(error_of([] { nn::io::parse_model_spec(R"([{"type":"linear","out":4,"bias":"no"}])"); })
                .find("expected true or false for 'bias'"),
            std::string::npos);
}

TEST(LayerRegistry, HeLeakySlopeIsASettingOfLinearAndConv) {
  // Compact: linear:OUT:INIT:ALPHA; the slope reaches the layer and its initialisation.
  auto spec = nn::io::parse_model_spec("linear:4:he_leaky:0.5");
  EXPECT_FLOAT_EQ(spec.layers[0].params["alpha"].get<float>(), 0.5f);
  auto model = nn::io::build_model(spec);
  EXPECT_FLOAT_EQ(model->at<nn::Linear>(0).options().alpha, 0.5f);
  EXPECT_EQ(nn::io::to_compact(nn::io::spec_of(*model)), "linear:4:he_leaky:0.5");
  auto conv = nn::io::build_model(
      nn::io::parse_model_spec(R"([{"type":"conv","out":2,"kernel":3,"init":"he_leaky","alpha":0.3}])"));
  EXPECT_FLOAT_EQ(conv->at<nn::Conv2D>(0).options().alpha, 0.3f);
  EXPECT_FLOAT_EQ(nn::io::spec_of(*conv).layers[0].params["alpha"].get<float>(), 0.3f);
  // Used: with a large fan-in, the weights' spread is gain * sqrt(2 / ((1 + alpha^2) fan_in)).
  for (float alpha : {0.0f, 3.0f}) {
    nn::manual_seed(1);
    nn::Linear fc(2000, 50, {.init = nn::Init::he_leaky, .alpha = alpha});
    double sq = 0;
    for (float v : fc.weight().data.span()) sq += double(v) * v;
    const double std = std::sqrt(sq / double(fc.weight().data.numel()));
    EXPECT_NEAR(std, std::sqrt(2.0 / ((1.0 + alpha * alpha) * 2000.0)), 0.02 * std) << alpha;
  }
  // The default slope is not written, so files keep the keys they always had.
  auto plain = nn::io::build_model(nn::io::parse_model_spec("linear:4:he_leaky"));
  EXPECT_FALSE(nn::io::spec_of(*plain).layers[0].params.contains("alpha"));
}

TEST(LayerRegistry, SpecOfReadsSettingsWithoutKnowingTheTypes) {
  // Any module whose children are registry layers, not only a Sequential.
  struct Net : nn::Module {
    Net() {
      register_module("fc1", nn::Linear(3, 4, {.init = nn::Init::xavier}));
      register_module("act", nn::LeakyReLU(0.25f));
    }
    const nn::Tensor& forward(const nn::Tensor& x) override { return x; }
    const nn::Tensor& backward(const nn::Tensor& dy) override { return dy; }
    std::string type_name() const override { return "Net"; }
  } net;
  const auto spec = nn::io::spec_of(net);
  ASSERT_EQ(spec.layers.size(), 2u);
  EXPECT_EQ(spec.layers[0].type, "linear");
  EXPECT_EQ(spec.layers[0].params, (json{{"out", 4}, {"init", "xavier"}}));
  EXPECT_EQ(spec.layers[1].type, "leakyrelu");
  EXPECT_EQ(nn::io::to_compact(spec), "linear:4:xavier,leakyrelu:0.25");
  // A single layer is a spec of one layer; a module that is none names itself.
  EXPECT_EQ(nn::io::spec_of(nn::ReLU()).layers[0].type, "relu");
  nn::Sequential nested;
  nested.add(std::make_shared<nn::Sequential>(nn::ReLU()));
  EXPECT_NE(error_of([&] { nn::io::spec_of(nested); }).find("layer 0 (Sequential) cannot be described"),
            std::string::npos);
}

TEST(Module, BuildSizesDeferredLayersWithoutAForward) {
  auto model = nn::io::build_model(
      nn::io::parse_model_spec("conv:4:3:1:1,batchnorm,relu,maxpool:2,conv:6:3:2:1,flatten,linear:5,softmax"));
  EXPECT_EQ(model->at<nn::Linear>(6).in_features(), 0);
  const nn::Shape out = model->build(nn::Shape{2, 12, 12});
  EXPECT_EQ(out, (nn::Shape{5}));
  EXPECT_EQ(model->at<nn::Conv2D>(0).in_channels(), 2);
  EXPECT_EQ(model->at<nn::Conv2D>(4).in_channels(), 4);
  EXPECT_EQ(model->at<nn::Linear>(6).in_features(), 6 * 3 * 3);
  // The built model runs on such input, and its output has the promised shape.
  nn::Tensor x(nn::Shape{3, 2, 12, 12});
  EXPECT_EQ((*model)(x).shape(), (nn::Shape{3, 5}));
  // Building again with the same shape changes nothing; another shape is refused, naming the layer.
  EXPECT_EQ(model->build(nn::Shape{2, 12, 12}), (nn::Shape{5}));
  EXPECT_NE(error_of([&] { model->build(nn::Shape{3, 12, 12}); }).find("Conv2d"), std::string::npos);
  // A batchnorm whose size does not follow from the layer before takes it from its input.
  auto flat = nn::io::build_model(nn::io::parse_model_spec("conv:4:3,flatten,batchnorm,linear:3"));
  EXPECT_EQ(flat->at<nn::BatchNorm1d>(2).num_features(), 0);
  EXPECT_EQ(flat->build(nn::Shape{1, 5, 5}), (nn::Shape{3}));
  EXPECT_EQ(flat->at<nn::BatchNorm1d>(2).num_features(), 4 * 3 * 3);
  EXPECT_EQ(flat->at<nn::BatchNorm1d>(2).running_var().to_vector(), std::vector<float>(36, 1.0f));
  auto mlp = nn::io::build_model(nn::io::parse_model_spec("linear:8,relu,linear:2"));
  EXPECT_NE(error_of([&] { mlp->build(nn::Shape{1, 28, 28}); }).find("expected samples of shape [in_features]"),
            std::string::npos);
}

TEST(Module, NamedRngsAndConstAccessors) {
  nn::Sequential model(nn::Linear(3, 4), nn::Dropout(0.5f, {.seed = 9}), nn::Linear(4, 2));
  model.add(std::make_shared<nn::Sequential>(nn::Dropout(0.1f, {.seed = 1})));
  auto rngs = model.named_rngs();
  ASSERT_EQ(rngs.size(), 2u);
  EXPECT_EQ(rngs[0].first, "1.rng");
  EXPECT_EQ(rngs[1].first, "3.0.rng");
  // The stream is the layer's own generator.
  EXPECT_EQ(rngs[0].second->state(), model.at<nn::Dropout>(1).rng_state());
  nn::Rng::State moved = nn::Rng(42).state();
  rngs[0].second->set_state(moved);
  EXPECT_EQ(model.at<nn::Dropout>(1).rng_state(), moved);
  // Const overloads give the same objects, read-only.
  const nn::Sequential& cm = model;
  const auto params = cm.named_parameters();
  const auto mutable_params = model.named_parameters();
  ASSERT_EQ(params.size(), mutable_params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].first, mutable_params[i].first);
    EXPECT_EQ(params[i].second, mutable_params[i].second);
  }
  EXPECT_EQ(cm.parameters().size(), 4u);
  EXPECT_EQ(nn::parameter_count(cm), 3 * 4 + 4 + 4 * 2 + 2);
  auto bn = nn::io::build_model(nn::io::parse_model_spec("linear:4,batchnorm"));
  const nn::Sequential& cbn = *bn;
  EXPECT_EQ(cbn.named_buffers().size(), 3u);
  EXPECT_EQ(cbn.named_buffers()[0].first, "1.running_mean");
  EXPECT_EQ(cbn.buffers().size(), bn->buffers().size());
}

// A model file written before the registry (tests/data/model_v1_*.safetensors, with the input
// and output it gave) loads and predicts the same.
void check_model_v1(const std::string& name) {
  auto loaded = nn::io::load_model(kData / (name + ".safetensors"));
  const nn::Tensor x = nn::data::read_npy(kData / (name + "_input.npy")).to_tensor();
  const auto expected = nn::data::read_npy(kData / (name + "_output.npy"));
  const nn::Tensor& y = (*loaded.model)(x);
  EXPECT_EQ(y.shape().dims().size(), expected.shape.size());
  // The expected output was computed with one set of BLAS kernels; another (OpenBLAS picks them
  // from the CPU, or OPENBLAS_CORETYPE) sums the products in another order, which moves the last
  // bit. A weight read wrongly would move the output far more than this rounding.
  const std::vector<float> got = y.to_vector();
  ASSERT_EQ(got.size(), expected.data.size()) << name;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], expected.data[i], 1e-6f * (1.0f + std::fabs(expected.data[i]))) << name << " output " << i;
  EXPECT_EQ(loaded.format_version, 1);
}

TEST(ModelFileV1, MlpLoadsAndPredictsTheSame) { check_model_v1("model_v1_mlp"); }

TEST(ModelFileV1, CnnLoadsAndPredictsTheSame) {
  check_model_v1("model_v1_cnn");
  // Its batchnorm after a convolution is rebuilt as BatchNorm2d, its spec reads back unchanged.
  auto loaded = nn::io::load_model(kData / "model_v1_cnn.safetensors");
  EXPECT_EQ((*loaded.model)[1].type_name(), "BatchNorm2d");
  EXPECT_EQ(nn::io::to_json(nn::io::spec_of(*loaded.model)), nn::io::to_json(loaded.spec));
}

// A checkpoint written before the registry keeps Dropout's generator under "dropout:2"; it
// restores into the layer's stream "2.rng", and a new capture writes the same key.
TEST(CheckpointV1, DropoutGeneratorKeyMapsToItsStream) {
  const auto st = nn::io::load_checkpoint(kData / "checkpoint_v1_dropout.safetensors");
  ASSERT_TRUE(st.rngs.count("dropout:2"));
  nn::manual_seed(3);
  auto model = nn::io::build_model(nn::io::parse_model_spec("linear:8,relu,dropout:0.3,linear:2"));
  model->build(nn::Shape{3});
  nn::SGD sgd(model->parameters(), {.lr = 0.1f});
  nn::io::restore_training_state(st, *model, sgd, nullptr);
  auto rngs = model->named_rngs();
  ASSERT_EQ(rngs.size(), 1u);
  EXPECT_EQ(rngs[0].first, "2.rng");
  EXPECT_EQ(rngs[0].second->state(), st.rngs.at("dropout:2"));
  // What the fixture's generator state is (written by the code of the time).
  const std::array<uint64_t, 4> words = {5099947952762344192ull, 11491819055796794693ull, 2587095934067730178ull,
                                         15748402282777157879ull};
  EXPECT_EQ(rngs[0].second->state().s, words);
  nn::io::CheckpointState again;
  nn::io::capture_training_state(again, *model, sgd, nullptr);
  EXPECT_EQ(again.rngs.size(), 2u);  // "global" and "dropout:2"
  EXPECT_EQ(again.rngs.at("dropout:2"), st.rngs.at("dropout:2"));
}

}  // namespace
