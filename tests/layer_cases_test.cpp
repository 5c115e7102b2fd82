// The layer case table: one row per layer type of the registry (and per variant worth its own
// row). Every row is built from its spec and runs the same checks: gradcheck, a save/load round
// trip through a model file, the spec round trip (compact and JSON), and - with
// tests/interop/layer_cases.py (CTest layers.torch_cases), which reads what
// LayerCases.DumpForTorch writes - repr(), forward and backward against PyTorch.
// A new layer adds its row here; nothing else in the tests changes.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "nn/data/npy.hpp"
#include "nn/gradcheck.hpp"
#include "nn/io/layer_registry.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/random.hpp"
#include "support/support.hpp"

namespace {

using nn::test::TempDir;

namespace fs = std::filesystem;
using json = nlohmann::json;

struct LayerCase {
  std::string id;              // the test name's suffix and the dump folder
  std::string spec;            // compact or JSON
  std::vector<int64_t> input;  // [N, ...]
  std::string torch;           // the PyTorch module, as a Python expression
  bool train = true;           // the mode of every check (dropout: evaluation, where it is deterministic)
};

const std::vector<LayerCase>& cases() {
  static const std::vector<LayerCase> rows = {
      {"linear", "linear:3", {4, 5}, "torch.nn.Linear(5, 3)"},
      {"linear_nobias", R"({"type": "linear", "out": 2, "bias": false, "init": "he_leaky", "alpha": 0.2})", {3, 4},
       "torch.nn.Linear(4, 2, bias=False)"},
      {"relu", "relu", {4, 6}, "torch.nn.ReLU()"},
      {"leakyrelu", "leakyrelu:0.1", {4, 6}, "torch.nn.LeakyReLU(0.1)"},
      {"sigmoid", "sigmoid", {4, 6}, "torch.nn.Sigmoid()"},
      {"tanh", "tanh", {4, 6}, "torch.nn.Tanh()"},
      {"softmax", "softmax", {4, 6}, "torch.nn.Softmax(dim=1)"},
      {"identity", "identity", {4, 6}, "torch.nn.Identity()"},
      {"conv", "conv:3:3:1:1", {2, 2, 5, 5}, "torch.nn.Conv2d(2, 3, 3, stride=1, padding=1)"},
      {"conv_strided", "conv:2:3:2", {2, 1, 7, 7}, "torch.nn.Conv2d(1, 2, 3, stride=2)"},
      {"maxpool", "maxpool:2", {2, 2, 4, 4}, "torch.nn.MaxPool2d(2)"},
      {"avgpool", "avgpool:3:2:1", {2, 2, 5, 5}, "torch.nn.AvgPool2d(3, stride=2, padding=1)"},
      {"flatten", "flatten", {2, 2, 3, 3}, "torch.nn.Flatten()"},
      {"dropout", "dropout:0.3", {4, 6}, "torch.nn.Dropout(0.3)", false},
      {"batchnorm1d", "batchnorm:4", {6, 4}, "torch.nn.BatchNorm1d(4)"},
      {"batchnorm2d", "batchnorm:3", {2, 3, 3, 3}, "torch.nn.BatchNorm2d(3)"},
      {"batchnorm_inferred", "batchnorm", {6, 4}, "torch.nn.BatchNorm1d(4)"},
      {"gelu", "gelu", {4, 6}, "torch.nn.GELU()"},
      {"gelu_tanh", "gelu:tanh", {2, 3, 4}, "torch.nn.GELU(approximate='tanh')"},
      {"layernorm", "layernorm", {4, 6}, "torch.nn.LayerNorm(6)"},
      {"layernorm_eps", R"({"type": "layernorm", "features": 5, "eps": 0.001})", {3, 5},
       "torch.nn.LayerNorm(5, eps=0.001)"},
  };
  return rows;
}

void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.spec; }

std::string case_name(const testing::TestParamInfo<LayerCase>& info) { return info.param.id; }

nn::Shape shape_of(const std::vector<int64_t>& dims) { return nn::Shape(std::span<const int64_t>(dims)); }

// Inputs spread evenly over about [-2, 2] in a random order, none within 0.05 of another or of 0,
// so that no difference step of gradcheck crosses a kink (ReLU at 0) or a tie (max pooling).
nn::Tensor spread_input(const std::vector<int64_t>& dims, uint64_t seed) {
  nn::Tensor x(shape_of(dims));
  const int64_t n = x.numel();
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  nn::Rng rng(seed);
  rng.shuffle(std::span<int64_t>(order));
  const double spacing = std::max(0.11, 4.0 / static_cast<double>(n));
  for (int64_t i = 0; i < n; ++i)
    x[i] = static_cast<float>((static_cast<double>(order[static_cast<size_t>(i)]) - n / 2.0 + 0.5) * spacing);
  return x;
}

nn::Tensor normal_tensor(const nn::Shape& shape, nn::Rng& rng, double mean = 0.0, double stddev = 1.0) {
  nn::Tensor t(shape);
  for (float& v : t.span()) v = static_cast<float>(rng.normal(mean, stddev));
  return t;
}

bool is_compact(const std::string& spec) { return spec.find('{') == std::string::npos; }

// The row's layer, sized for its input, with every parameter moved off its initial value (norm
// layers start at ones and zeros, which would hide a mixed-up weight and bias), in the row's mode.
std::unique_ptr<nn::Sequential> build_case(const LayerCase& c) {
  nn::manual_seed(7);
  const nn::Shape sample = shape_of(c.input).sample();
  auto model = nn::io::build_model(nn::io::parse_model_spec(c.spec), {.image_input = sample.rank() == 3});
  model->build(sample);
  nn::Rng rng(11);
  for (nn::Parameter* p : model->parameters())
    for (float& v : p->data.span()) v += static_cast<float>(rng.normal(0.0, 0.5));
  model->train(c.train);
  return model;
}

class LayerCaseTest : public testing::TestWithParam<LayerCase> {};

TEST_P(LayerCaseTest, Gradcheck) {
  const LayerCase& c = GetParam();
  auto model = build_case(c);
  const nn::Tensor x = spread_input(c.input, 3);
  const auto result = nn::gradcheck(*model, x);
  EXPECT_TRUE(result.ok) << c.spec << ": " << result.message;
  EXPECT_GT(result.checked, 0);
}

TEST_P(LayerCaseTest, SaveLoadRoundTripPredictsTheSame) {
  const LayerCase& c = GetParam();
  TempDir dir;
  auto model = build_case(c);
  nn::Rng rng(5);
  const nn::Tensor x = normal_tensor(shape_of(c.input), rng);
  if (c.train) (*model)(x);  // a training forward moves batch-norm running statistics
  model->eval();
  const auto expected = (*model)(x).to_vector();
  const nn::Shape sample = shape_of(c.input).sample();
  nn::io::save(*model, dir / "m.safetensors",
               {.input_shape = std::vector<int64_t>(sample.dims().begin(), sample.dims().end()), .metadata = {}});
  auto loaded = nn::io::load_model(dir / "m.safetensors");
  EXPECT_EQ(loaded.model->repr(), model->repr());
  EXPECT_EQ(nn::io::to_json(loaded.spec), nn::io::to_json(nn::io::spec_of(*model)));
  EXPECT_EQ((*loaded.model)(x).to_vector(), expected);
}

TEST_P(LayerCaseTest, SpecRoundTripsCompactAndJson) {
  const LayerCase& c = GetParam();
  auto model = build_case(c);
  const nn::io::ModelSpec spec = nn::io::spec_of(*model);
  ASSERT_EQ(spec.layers.size(), 1u);
  EXPECT_EQ(spec.layers[0].type, nn::io::parse_model_spec(c.spec).layers[0].type);
  // JSON: every setting survives.
  const json j = nn::io::to_json(spec);
  EXPECT_EQ(nn::io::to_json(nn::io::model_spec_from_json(j)), j);
  EXPECT_EQ(nn::io::to_json(nn::io::parse_model_spec(j.dump())), j);
  // Rebuilt from its own spec, the layer is the same layer.
  const nn::Shape sample = shape_of(c.input).sample();
  auto rebuilt = nn::io::build_model(spec, {.image_input = sample.rank() == 3});
  rebuilt->build(sample);
  EXPECT_EQ(rebuilt->repr(), model->repr());
  EXPECT_EQ(nn::io::to_json(nn::io::spec_of(*rebuilt)), j);
  // Compact: the row's own spelling is canonical, and the compact form reads back to itself.
  const std::string compact = nn::io::to_compact(spec);
  EXPECT_EQ(nn::io::to_compact(nn::io::parse_model_spec(compact)), compact);
  if (is_compact(c.spec)) {
    EXPECT_EQ(nn::io::to_compact(nn::io::parse_model_spec(c.spec)), c.spec);
  }
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerCaseTest, testing::ValuesIn(cases()), case_name);

TEST(LayerCases, EveryRegistryLayerHasARow) {
  std::set<std::string> covered;
  for (const LayerCase& c : cases()) covered.insert(nn::io::parse_model_spec(c.spec).layers[0].type);
  for (const nn::io::LayerRow& row : nn::io::layer_registry())
    EXPECT_TRUE(covered.count(row.name)) << "no row in the layer case table for '" << row.name << "'";
}

void write(const fs::path& path, const nn::Tensor& t) { nn::data::write_npy(path, t); }

// What tests/interop/layer_cases.py compares with PyTorch, per row: the input, the parameters and
// buffers before the forward, the upstream gradient, and nn's output, dx and parameter gradients,
// as .npy files in a folder per row, with an index.json. Written to $NN_LAYER_CASES_DIR when set
// (the script sets it), else to a temporary folder that is read back here.
TEST(LayerCases, DumpForTorch) {
  const char* env = std::getenv("NN_LAYER_CASES_DIR");
  std::unique_ptr<TempDir> tmp;
  fs::path root;
  if (env != nullptr && *env != '\0') {
    root = env;
  } else {
    tmp = std::make_unique<TempDir>();
    root = tmp->path();
  }
  json index = json::array();
  for (const LayerCase& c : cases()) {
    const fs::path dir = root / c.id;
    fs::create_directories(dir);
    auto model = build_case(c);
    nn::Rng rng(21);
    const nn::Tensor x = normal_tensor(shape_of(c.input), rng);
    json entry = {{"id", c.id}, {"spec", c.spec}, {"torch", c.torch}, {"train", c.train}};
    // The module inside the Sequential: its names without the "0." prefix.
    const nn::Module& layer = (*model)[0];
    entry["repr"] = layer.repr();
    json params = json::array(), buffers = json::array();
    for (auto& [name, p] : model->named_parameters()) {
      const std::string local = name.substr(2);
      params.push_back(local);
      write(dir / ("param." + local + ".npy"), p->data);
    }
    for (auto& [name, b] : model->named_buffers()) {
      const std::string local = name.substr(2);
      buffers.push_back(local);
      write(dir / ("buffer." + local + ".npy"), *b);
    }
    entry["params"] = params;
    entry["buffers"] = buffers;
    write(dir / "x.npy", x);
    const nn::Tensor& y = (*model)(x);
    const nn::Tensor dy = normal_tensor(y.shape(), rng);
    write(dir / "y.npy", y);
    write(dir / "dy.npy", dy);
    model->zero_grad();
    write(dir / "dx.npy", model->backward(dy));
    for (auto& [name, p] : model->named_parameters()) write(dir / ("grad." + name.substr(2) + ".npy"), p->grad);
    index.push_back(entry);
    // What was written reads back.
    const auto back = nn::data::read_npy(dir / "y.npy");
    EXPECT_EQ(back.data, y.to_vector()) << c.id;
  }
  std::ofstream(root / "index.json") << index.dump(1) << "\n";
  EXPECT_TRUE(fs::exists(root / "index.json"));
  EXPECT_EQ(index.size(), cases().size());
}

}  // namespace
