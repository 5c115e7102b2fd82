// Dropout: identity in evaluation, inverted scaling in training, seeding and the rng state, and a
// gradient check with a fixed mask.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/error.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/random.hpp"

namespace {

nn::Tensor ramp(const nn::Shape& shape) {
  nn::Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = 0.5f + 0.001f * static_cast<float>(i % 997);
  return t;
}

TEST(Dropout, EvaluationIsTheIdentity) {
  nn::Dropout drop(0.5f);
  drop.eval();
  nn::Tensor x = ramp(nn::Shape{4, 50});
  EXPECT_EQ(drop.forward(x).to_vector(), x.to_vector());
  nn::Tensor dy = ramp(nn::Shape{4, 50});
  EXPECT_EQ(drop.backward(dy).to_vector(), dy.to_vector());
}

TEST(Dropout, TrainingZeroesAboutPAndScalesTheRest) {
  const float p = 0.3f;
  nn::Dropout drop(p, {.seed = 17});
  nn::Tensor x = ramp(nn::Shape{100, 200});
  const nn::Tensor& y = drop.forward(x);
  int64_t zeros = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (y[i] == 0.0f) {
      ++zeros;
    } else {
      EXPECT_FLOAT_EQ(y[i], x[i] / (1.0f - p));
    }
  }
  const double fraction = static_cast<double>(zeros) / static_cast<double>(x.numel());
  EXPECT_NEAR(fraction, p, 0.01);
  // backward uses the same mask
  nn::Tensor dy(x.shape(), 1.0f);
  const nn::Tensor& dx = drop.backward(dy);
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(dx[i] == 0.0f, y[i] == 0.0f);
  // a new mask on the next call
  nn::Tensor first = drop.forward(x).clone();  // NOLINT
  EXPECT_NE(drop.forward(x).to_vector(), first.to_vector());
}

TEST(Dropout, SameSeedSameMask) {
  nn::Tensor x = ramp(nn::Shape{8, 64});
  nn::Dropout a(0.5f, {.seed = 3}), b(0.5f, {.seed = 3}), c(0.5f, {.seed = 4});
  EXPECT_EQ(a.forward(x).to_vector(), b.forward(x).to_vector());
  EXPECT_NE(a.forward(x).to_vector(), c.forward(x).to_vector());

  // Seeded from the global generator: one manual_seed drives it.
  nn::manual_seed(9);
  nn::Dropout d(0.5f);
  nn::manual_seed(9);
  nn::Dropout e(0.5f);
  EXPECT_EQ(d.forward(x).to_vector(), e.forward(x).to_vector());
}

TEST(Dropout, RngStateRestoresTheMask) {
  nn::Tensor x = ramp(nn::Shape{8, 64});
  nn::Dropout drop(0.4f, {.seed = 5});
  const nn::Rng::State saved = drop.rng_state();
  const std::vector<float> first = drop.forward(x).to_vector();
  EXPECT_NE(drop.rng_state(), saved);
  drop.set_rng_state(saved);
  EXPECT_EQ(drop.forward(x).to_vector(), first);
}

TEST(Dropout, MaskIsTheSeededGeneratorsUniformDrawsInOrder) {
  // Value i of a training forward is dropped where the i-th uniform() of Rng(seed) is below p, and
  // the next forward continues the sequence; the generator's state afterwards is Rng's own.
  const float p = 0.3f;
  nn::Dropout drop(p, {.seed = 21});
  nn::Rng ref(21);
  nn::Tensor x(nn::Shape{7, 37}, 1.0f);
  for (int call = 0; call < 2; ++call) {
    const std::vector<float> y = drop.forward(x).to_vector();
    int64_t wrong = 0;
    for (float v : y) wrong += v != (ref.uniform() < p ? 0.0f : 1.0f / (1.0f - p));
    EXPECT_EQ(wrong, 0) << "call " << call;
  }
  EXPECT_EQ(drop.rng_state(), ref.state());
}

TEST(Dropout, EdgeProbabilities) {
  nn::Tensor x = ramp(nn::Shape{3, 7});
  nn::Dropout none(0.0f);
  EXPECT_EQ(none.forward(x).to_vector(), x.to_vector());
  nn::Dropout all(1.0f);
  for (float v : all.forward(x).span()) EXPECT_EQ(v, 0.0f);
  EXPECT_THROW(nn::Dropout(-0.1f), nn::Error);
  EXPECT_THROW(nn::Dropout(1.5f), nn::Error);
}

// Dropout whose every forward draws the same mask (the rng is reset first), so that the
// central differences of gradcheck see one fixed function.
class FixedMaskDropout : public nn::Module {
 public:
  FixedMaskDropout(float p, uint64_t seed) : drop_(p, {.seed = seed}), state_(drop_.rng_state()) {}
  const nn::Tensor& forward(const nn::Tensor& x) override {
    drop_.set_rng_state(state_);
    return drop_.forward(x);
  }
  const nn::Tensor& backward(const nn::Tensor& dy) override { return drop_.backward(dy); }
  std::string type_name() const override { return "FixedMaskDropout"; }

 private:
  nn::Dropout drop_;
  nn::Rng::State state_;
};

TEST(Dropout, GradcheckWithAFixedMask) {
  for (int64_t n : {1, 4}) {
    FixedMaskDropout drop(0.5f, 21);
    nn::Tensor x = ramp(nn::Shape{n, 3, 5});
    auto r = nn::gradcheck(drop, x);
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(Dropout, PrintsLikePyTorch) {
  EXPECT_EQ(nn::Dropout(0.5f).repr(), "Dropout(p=0.5, inplace=False)");
  EXPECT_EQ(nn::Dropout(0.0f).repr(), "Dropout(p=0.0, inplace=False)");
  EXPECT_EQ(nn::Dropout(0.25f).repr(), "Dropout(p=0.25, inplace=False)");
}

TEST(Dropout, FollowsTheModelsMode) {
  nn::Sequential model(nn::Dropout(0.5f, {.seed = 1}));
  nn::Tensor x = ramp(nn::Shape{4, 32});
  EXPECT_NE(model.forward(x).to_vector(), x.to_vector());
  model.eval();
  EXPECT_EQ(model.forward(x).to_vector(), x.to_vector());
}

}  // namespace
