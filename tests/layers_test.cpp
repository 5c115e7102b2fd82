// Forward by hand, gradient checks and shape errors for Linear, the activations and Sequential.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/nn.hpp"

#include "support/support.hpp"

namespace {

using nn::test::error_of;
using nn::test::random_tensor;

// Values bounded away from 0, so that ReLU and LeakyReLU are checked away from their kink.
nn::Tensor away_from_zero(const nn::Shape& shape, uint64_t seed) {
  nn::Tensor t = random_tensor(shape, seed);
  for (float& v : t.span()) v = v >= 0 ? v + 0.1f : v - 0.1f;
  return t;
}

// ---- Linear --------------------------------------------------------------------------------------

TEST(Linear, ForwardByHand) {
  nn::Linear fc(2, 3);
  fc.weight().data = nn::Tensor(nn::Shape{3, 2}, {1, 2, 3, 4, 5, 6});
  fc.bias()->data = nn::Tensor(nn::Shape{3}, {0.5f, -1, 0});
  nn::Tensor x(nn::Shape{2, 2}, {1, 1, 2, -1});
  const nn::Tensor& y = fc(x);
  ASSERT_EQ(y.shape(), (nn::Shape{2, 3}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{3.5f, 6, 11, 0.5f, 1, 4}));
}

TEST(Linear, ShapesAndNamesFollowPyTorch) {
  nn::Linear fc(784, 128);
  EXPECT_EQ(fc.weight().data.shape(), (nn::Shape{128, 784}));
  EXPECT_EQ(fc.bias()->data.shape(), (nn::Shape{128}));
  auto named = fc.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "weight");
  EXPECT_EQ(named[1].first, "bias");
  for (float b : fc.bias()->data.span()) EXPECT_EQ(b, 0.0f);
  EXPECT_EQ(fc.repr(), "Linear(in_features=784, out_features=128, bias=True)");
  nn::Linear nobias(3, 2, {.bias = false});
  EXPECT_EQ(nobias.parameters().size(), 1u);
}

class LinearGradcheck : public ::testing::TestWithParam<int> {};

TEST_P(LinearGradcheck, InputsAndParameters) {
  const int batch = GetParam();
  nn::manual_seed(3);
  nn::Linear fc(5, 4);
  auto r = nn::gradcheck(fc, random_tensor(nn::Shape{batch, 5}, 7));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.checked, batch * 5 + 4 * 5 + 4);
}

TEST_P(LinearGradcheck, WithWeightDecay) {
  nn::manual_seed(4);
  nn::Linear fc(3, 2, {.weight_decay = 0.5f});
  // The decay term is the gradient of (lambda / 2) |W|^2 added to the objective: check it directly.
  nn::Tensor x = random_tensor(nn::Shape{GetParam(), 3}, 8);
  nn::Tensor dy = random_tensor(nn::Shape{GetParam(), 2}, 9);
  fc.zero_grad();
  fc.forward(x);
  fc.backward(dy);
  nn::Linear plain(3, 2);
  plain.weight().data.copy_from(fc.weight().data);
  plain.forward(x);
  plain.backward(dy);
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_NEAR(fc.weight().grad[i], plain.weight().grad[i] + 0.5f * fc.weight().data[i], 1e-6f);
}

INSTANTIATE_TEST_SUITE_P(Batches, LinearGradcheck, ::testing::Values(1, 3, 8));

TEST(Linear, GradientsAccumulateUntilZeroGrad) {
  nn::manual_seed(5);
  nn::Linear fc(3, 2);
  nn::Tensor x = random_tensor(nn::Shape{4, 3}, 1), dy = random_tensor(nn::Shape{4, 2}, 2);
  fc.forward(x);
  fc.backward(dy);
  nn::Tensor once = fc.weight().grad.clone();
  fc.forward(x);
  fc.backward(dy);
  for (int64_t i = 0; i < once.numel(); ++i) EXPECT_FLOAT_EQ(fc.weight().grad[i], 2 * once[i]);
  fc.zero_grad();
  for (float g : fc.weight().grad.span()) EXPECT_EQ(g, 0.0f);
}

TEST(Linear, DeferredInputSizeIsInferredOnFirstForward) {
  nn::manual_seed(6);
  nn::Linear fc(4);
  EXPECT_FALSE(fc.initialized());
  EXPECT_EQ(fc.repr(), "Linear(in_features=?, out_features=4, bias=True)");
  auto params = fc.parameters();  // exist before the first forward, so an optimizer can hold them
  ASSERT_EQ(params.size(), 2u);
  fc(random_tensor(nn::Shape{2, 7}, 3));
  EXPECT_EQ(fc.in_features(), 7);
  EXPECT_EQ(params[0]->data.shape(), (nn::Shape{4, 7}));
  auto r = nn::gradcheck(fc, random_tensor(nn::Shape{2, 7}, 4));
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Linear, ShapeErrorsNameTheLayerAndBothShapes) {
  nn::Linear fc(784, 128);
  {
    const std::string msg = error_of([&] { fc(nn::Tensor(nn::Shape{64, 100})); });
    EXPECT_NE(msg.find("Linear(784, 128)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[N, 784]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[64, 100]"), std::string::npos) << msg;
  }
  EXPECT_THROW(fc(nn::Tensor(nn::Shape{784})), nn::Error);
  nn::Tensor x(nn::Shape{2, 784});  // the layer reads its input again in backward: keep it alive
  fc(x);
  EXPECT_THROW(fc.backward(nn::Tensor(nn::Shape{3, 128})), nn::Error);
  EXPECT_THROW(nn::Linear(0, 3), nn::Error);
}

// ---- initialisation ------------------------------------------------------------------------------

struct InitCase {
  nn::Init method;
  float gain;
  float alpha;
  double expected_std;  // for fan_in 400
};

class InitTest : public ::testing::TestWithParam<InitCase> {};

TEST_P(InitTest, MomentsMatchSeed000) {
  const auto c = GetParam();
  nn::Rng rng(11);
  nn::Tensor w(nn::Shape{400, 400});
  nn::init_weights(w, 400, {c.method, c.gain, c.alpha}, rng);
  double s = 0, s2 = 0, mx = 0;
  for (float v : w.span()) {
    s += v;
    s2 += static_cast<double>(v) * v;
    mx = std::max(mx, std::fabs(static_cast<double>(v)));
  }
  const double n = static_cast<double>(w.numel());
  EXPECT_NEAR(s / n, 0.0, 0.01 * c.expected_std + 1e-4);
  EXPECT_NEAR(std::sqrt(s2 / n), c.expected_std, 0.01 * c.expected_std);
  if (c.method == nn::Init::uniform) {
    EXPECT_LE(mx, c.gain);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Methods, InitTest,
    ::testing::Values(InitCase{nn::Init::xavier, 1.0f, 0.01f, std::sqrt(1.0 / 400)},
                      InitCase{nn::Init::xavier, 2.0f, 0.01f, 2 * std::sqrt(1.0 / 400)},
                      InitCase{nn::Init::he, 1.0f, 0.01f, std::sqrt(2.0 / 400)},
                      InitCase{nn::Init::he_leaky, 1.0f, 0.2f, std::sqrt(2.0 / (1 + 0.04) / 400)},
                      InitCase{nn::Init::normal, 0.5f, 0.01f, 0.5},
                      // U(-g, g) has standard deviation g / sqrt(3).
                      InitCase{nn::Init::uniform, 1.5f, 0.01f, 1.5 / std::sqrt(3.0)}));

TEST(Init, SameSeedSameWeightsAndNamesParse) {
  nn::manual_seed(9);
  nn::Linear a(10, 10);
  nn::manual_seed(9);
  nn::Linear b(10, 10);
  EXPECT_EQ(a.weight().data.to_vector(), b.weight().data.to_vector());
  nn::Rng mine(9);
  nn::Linear c(10, 10, {.rng = &mine});
  EXPECT_EQ(c.weight().data.to_vector(), a.weight().data.to_vector());
  EXPECT_EQ(nn::parse_init("he_leaky"), nn::Init::he_leaky);
  EXPECT_THROW(nn::parse_init("glorot"), nn::Error);
}

// ---- activations ---------------------------------------------------------------------------------

TEST(Activations, ForwardByHand) {
  nn::Tensor x(nn::Shape{1, 4}, {-2, -0.5f, 0.5f, 3});
  EXPECT_EQ(nn::ReLU()(x).to_vector(), (std::vector<float>{0, 0, 0.5f, 3}));
  EXPECT_EQ(nn::LeakyReLU(0.1f)(x).to_vector(), (std::vector<float>{-0.2f, -0.05f, 0.5f, 3}));
  EXPECT_EQ(nn::Identity()(x).to_vector(), x.to_vector());
  const auto s = nn::Sigmoid()(x).to_vector();
  const auto t = nn::Tanh()(x).to_vector();
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(s[static_cast<size_t>(i)], 1.0 / (1.0 + std::exp(-x[i])), 1e-6);
    EXPECT_NEAR(t[static_cast<size_t>(i)], std::tanh(x[i]), 1e-6);
  }
  const auto p = nn::Softmax()(x).to_vector();
  double z = 0;
  for (int i = 0; i < 4; ++i) z += std::exp(x[i]);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(p[static_cast<size_t>(i)], std::exp(x[i]) / z, 1e-6);
}

class ActivationGradcheck : public ::testing::TestWithParam<int> {};

TEST_P(ActivationGradcheck, EveryActivation) {
  const int batch = GetParam();
  const nn::Shape shape{batch, 6};
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> layers{
      {"Sigmoid", std::make_shared<nn::Sigmoid>()}, {"Tanh", std::make_shared<nn::Tanh>()},
      {"ReLU", std::make_shared<nn::ReLU>()},       {"LeakyReLU", std::make_shared<nn::LeakyReLU>(0.2f)},
      {"Identity", std::make_shared<nn::Identity>()}, {"Softmax", std::make_shared<nn::Softmax>()}};
  for (auto& [name, layer] : layers) {
    auto r = nn::gradcheck(*layer, away_from_zero(shape, 21), {.step = 1e-3});
    EXPECT_TRUE(r.ok) << name << ": " << r.message;
    EXPECT_EQ(r.checked, batch * 6);
  }
}

INSTANTIATE_TEST_SUITE_P(Batches, ActivationGradcheck, ::testing::Values(1, 4));

TEST(Activations, ShapeErrors) {
  nn::ReLU relu;
  relu(nn::Tensor(nn::Shape{2, 3}));
  EXPECT_THROW(relu.backward(nn::Tensor(nn::Shape{3, 2})), nn::Error);
  nn::Softmax softmax;
  EXPECT_THROW(softmax(nn::Tensor(nn::Shape{2, 3, 4})), nn::Error);
  EXPECT_THROW(nn::Tanh().backward(nn::Tensor(nn::Shape{1})), nn::Error);  // before forward
}

// ---- Sequential and composite models ------------------------------------------------------------

TEST(Sequential, BuildIndexAppendAndName) {
  nn::manual_seed(1);
  nn::Sequential seq(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 3));
  EXPECT_EQ(seq.size(), 3u);
  EXPECT_EQ(seq[1].type_name(), "ReLU");
  EXPECT_EQ(seq.at<nn::Linear>(2).out_features(), 3);
  EXPECT_THROW(seq.at<nn::Linear>(1), nn::Error);
  EXPECT_THROW(seq[3], nn::Error);
  seq.add(nn::Softmax());
  std::vector<std::string> names;
  for (auto& [name, p] : seq.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(seq.repr(),
            "Sequential(\n"
            "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
            "  (1): ReLU()\n"
            "  (2): Linear(in_features=8, out_features=3, bias=True)\n"
            "  (3): Softmax(dim=1)\n"
            ")");
  EXPECT_EQ(nn::parameter_count(seq), 4 * 8 + 8 + 8 * 3 + 3);
}

TEST(Sequential, GradcheckThroughAStack) {
  nn::manual_seed(2);
  nn::Sequential seq(nn::Linear(3, 5), nn::Tanh(), nn::Linear(5, 4), nn::Sigmoid(), nn::Linear(4, 2));
  for (int batch : {1, 5}) {
    auto r = nn::gradcheck(seq, random_tensor(nn::Shape{batch, 3}, 31));
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(Sequential, FromSharedPointersAndModeIsInherited) {
  auto relu = std::make_shared<nn::ReLU>();
  nn::Sequential seq(std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::Linear>(2, 2), relu});
  seq.eval();
  EXPECT_FALSE(relu->is_training());
  seq.train();
  EXPECT_TRUE(relu->is_training());
  nn::Sequential empty;
  EXPECT_THROW(empty(nn::Tensor(nn::Shape{1, 2})), nn::Error);
}

TEST(Sequential, FirstLayerSkipsInputGradientWhenNotNeeded) {
  nn::manual_seed(3);
  nn::Sequential seq(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
  seq.set_input_grad(false);
  nn::Tensor x = random_tensor(nn::Shape{2, 3}, 1);
  seq(x);
  const nn::Tensor& dx = seq.backward(random_tensor(nn::Shape{2, 2}, 2));
  EXPECT_EQ(dx.numel(), 0);
  EXPECT_NE(seq.named_parameters()[0].second->grad.to_vector(), std::vector<float>(12, 0.0f));
}

// Seed 003's MyModel: children registered by name are found without listing them by hand.
class MyModel : public nn::Module {
 public:
  MyModel()
      : fc1(register_module("fc1", nn::Linear(6, 5))),
        relu1(register_module("relu1", nn::ReLU())),
        fc2(register_module("fc2", nn::Linear(3))) {}
  const nn::Tensor& forward(const nn::Tensor& x) override { return fc2(relu1(fc1(x))); }
  const nn::Tensor& backward(const nn::Tensor& g) override { return fc1.backward(relu1.backward(fc2.backward(g))); }
  std::string type_name() const override { return "MyModel"; }
  nn::Linear& fc1;
  nn::ReLU& relu1;
  nn::Linear& fc2;
};

TEST(CompositeModel, NamedChildrenGiveDottedParameterNames) {
  nn::manual_seed(4);
  MyModel model;
  std::vector<std::string> names;
  for (auto& [name, p] : model.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  auto r = nn::gradcheck(model, random_tensor(nn::Shape{3, 6}, 5));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(model.repr(),
            "MyModel(\n"
            "  (fc1): Linear(in_features=6, out_features=5, bias=True)\n"
            "  (relu1): ReLU()\n"
            "  (fc2): Linear(in_features=5, out_features=3, bias=True)\n"
            ")");
}

// gradcheck itself must catch a wrong backward.
class WrongBackward : public nn::Module {
 public:
  const nn::Tensor& forward(const nn::Tensor& x) override {
    y_.resize(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) y_[i] = x[i] * x[i];
    x_ = &x;
    return y_;
  }
  const nn::Tensor& backward(const nn::Tensor& dy) override {
    dx_.resize(dy.shape());
    for (int64_t i = 0; i < dy.numel(); ++i) dx_[i] = dy[i] * (*x_)[i];  // missing the factor 2
    return dx_;
  }
  std::string type_name() const override { return "WrongBackward"; }

 private:
  const nn::Tensor* x_ = nullptr;
  nn::Tensor y_, dx_;
};

TEST(Gradcheck, DetectsAWrongGradient) {
  WrongBackward wrong;
  auto r = nn::gradcheck(wrong, random_tensor(nn::Shape{2, 3}, 1));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.worst.find("input["), std::string::npos) << r.message;
}

}  // namespace

// A parameter's name is one path component, as a buffer's: "a.b" would be ambiguous in state dicts.
class BadParameterName : public nn::Module {
 public:
  explicit BadParameterName(const std::string& name) { register_parameter(name, nn::Tensor(nn::Shape{1})); }
  const nn::Tensor& forward(const nn::Tensor& x) override { return x; }
  const nn::Tensor& backward(const nn::Tensor& dy) override { return dy; }
  std::string type_name() const override { return "BadParameterName"; }
};

TEST(Module, ParameterNamesMustBeNonEmptyAndWithoutDots) {
  EXPECT_HAS(nn::test::error_of([] { BadParameterName m("fc.weight"); }),
             "BadParameterName: a parameter's name must be non-empty and without '.', found 'fc.weight'");
  EXPECT_HAS(nn::test::error_of([] { BadParameterName m(""); }), "found ''");
  BadParameterName ok("weight");
  EXPECT_EQ(ok.parameters().size(), 1u);
}
