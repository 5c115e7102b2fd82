// Composite models (a Module with named children, as the tutorials write them) with the model
// files and state dicts: deferred layers take their sizes from a state dict, as PyTorch's lazy
// modules do, and io::save keeps the children's names so the file loads back under them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "nn/io/model_io.hpp"
#include "nn/io/state_binding.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/layer_norm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/random.hpp"
#include "support/support.hpp"

namespace {

using nn::test::error_of;
using nn::test::TempDir;

// fc1 (in 6) -> relu1 -> fc2 (in deferred) -> relu2 -> norm (deferred) -> fc3 (in deferred).
class Composite : public nn::Module {
 public:
  Composite()
      : fc1(register_module("fc1", nn::Linear(6, 8))),
        relu1(register_module("relu1", nn::ReLU())),
        fc2(register_module("fc2", nn::Linear(5))),
        relu2(register_module("relu2", nn::ReLU())),
        norm(register_module("norm", nn::LayerNorm())),
        fc3(register_module("fc3", nn::Linear(3))) {}
  const nn::Tensor& forward(const nn::Tensor& x) override { return fc3(norm(relu2(fc2(relu1(fc1(x)))))); }
  const nn::Tensor& backward(const nn::Tensor& dy) override {
    return fc1.backward(relu1.backward(fc2.backward(relu2.backward(norm.backward(fc3.backward(dy))))));
  }
  std::string type_name() const override { return "Composite"; }

  nn::Linear& fc1;
  nn::ReLU& relu1;
  nn::Linear& fc2;
  nn::ReLU& relu2;
  nn::LayerNorm& norm;
  nn::Linear& fc3;
};

nn::Tensor inputs() {
  nn::Tensor x(nn::Shape{4, 6});
  nn::test::fill_uniform(x, 11, -1.0f, 1.0f);
  return x;
}

TEST(CompositeModel, DeferredLayersTakeTheirSizesFromAStateDict) {
  nn::manual_seed(3);
  Composite trained;
  const nn::Tensor x = inputs();
  const std::vector<float> want = trained(x).to_vector();  // the forward sizes every deferred layer
  const nn::io::StateDict dict = nn::io::state_dict(trained);

  nn::manual_seed(99);
  Composite fresh;  // fc2, norm and fc3 still deferred: their weights are [5, 0], [0], [3, 0]
  ASSERT_FALSE(fresh.fc2.initialized());
  const nn::io::LoadReport report = nn::io::load_state_dict(fresh, dict);
  EXPECT_TRUE(report.ok()) << report.str();
  EXPECT_EQ(fresh.fc2.in_features(), 8);
  EXPECT_EQ(fresh.fc3.in_features(), 5);
  EXPECT_EQ(fresh.norm.weight()->data.shape(), (nn::Shape{5}));
  EXPECT_EQ(fresh(x).to_vector(), want);
}

TEST(CompositeModel, ADeferredLayerStillRefusesAShapeThatDoesNotFit) {
  nn::manual_seed(3);
  Composite trained;
  trained(inputs());
  nn::io::StateDict dict = nn::io::state_dict(trained);
  for (auto& [name, t] : dict)
    if (name == "fc2.weight") t = nn::Tensor(nn::Shape{4, 8});  // fc2 has 5 outputs, not 4
  Composite fresh;
  EXPECT_HAS(error_of([&] { nn::io::load_state_dict(fresh, dict); }), "fc2.weight: expected [5, 0], found [4, 8]");
}

TEST(CompositeModel, SaveKeepsTheChildrenNamesAndLoadsBack) {
  nn::manual_seed(5);
  Composite model;
  const nn::Tensor x = inputs();
  const std::vector<float> want = model(x).to_vector();
  TempDir dir;
  nn::io::save(model, dir / "composite.safetensors");
  nn::io::LoadedModel loaded = nn::io::load_model(dir / "composite.safetensors");
  std::vector<std::string> names;
  for (auto& [name, p] : loaded.model->named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "norm.weight",
                                              "norm.bias", "fc3.weight", "fc3.bias"}));
  EXPECT_EQ((*loaded.model)(x).to_vector(), want);
  const std::string spec = nn::io::to_json(loaded.spec).dump();
  EXPECT_HAS(spec, "\"name\":\"fc1\"");
  // A name is a word without '.'.
  EXPECT_HAS(error_of([] { nn::io::model_spec_from_json(nlohmann::json::parse(R"([{"type":"relu","name":"a.b"}])")); }),
             "expected \"name\" to be a non-empty word without '.'");
}

TEST(CompositeModel, ADivergedModelIsNeverSaved) {
  nn::manual_seed(5);
  Composite model;
  model(inputs());
  model.fc3.weight().data[2] = std::numeric_limits<float>::infinity();
  TempDir dir;
  EXPECT_HAS(error_of([&] { nn::io::save(model, dir / "m.safetensors"); }),
             "tensor 'fc3.weight' holds inf at index 2; refusing to save a model with non-finite weights");
  EXPECT_FALSE(std::filesystem::exists(dir / "m.safetensors"));
}

}  // namespace
