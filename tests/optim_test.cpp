// Optimizer trajectories and scheduler rates against PyTorch, and the seeds' momentum formula.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>

#include "nn/nn.hpp"
#include "reference/torch_reference.inc"

namespace {

// One parameter holding w0; the gradient g = w * c + d is recomputed from w before every step.
std::vector<double> trajectory(const std::function<std::unique_ptr<nn::Optimizer>(std::vector<nn::Parameter*>)>& make) {
  nn::Parameter p{"w", nn::Tensor(nn::Shape{5}), nn::Tensor(nn::Shape{5})};
  for (int64_t i = 0; i < 5; ++i) p.data[i] = static_cast<float>(ref::kOptimW0[static_cast<size_t>(i)]);
  auto opt = make({&p});
  std::vector<double> out;
  for (int step = 0; step < 10; ++step) {
    opt->zero_grad();
    for (int64_t i = 0; i < 5; ++i)
      p.grad[i] = static_cast<float>(p.data[i] * ref::kOptimC[static_cast<size_t>(i)] + ref::kOptimD[static_cast<size_t>(i)]);
    opt->step();
    for (float v : p.data.span()) out.push_back(v);
  }
  return out;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at step " << i / 5 << ", element " << i % 5;
}

template <class O, class Opts>
auto maker(Opts opts) {
  return [opts](std::vector<nn::Parameter*> ps) -> std::unique_ptr<nn::Optimizer> {
    return std::make_unique<O>(std::move(ps), opts);
  };
}

TEST(OptimizersMatchPyTorch, SGD) {
  expect_close(trajectory(maker<nn::SGD>(nn::SGDOptions{.lr = 0.1f})), ref::kSgdPlain, 1e-5);
  expect_close(trajectory(maker<nn::SGD>(nn::SGDOptions{.lr = 0.1f, .momentum = 0.9f})), ref::kSgdMomentum, 1e-5);
  expect_close(trajectory(maker<nn::SGD>(nn::SGDOptions{.lr = 0.05f, .momentum = 0.9f, .nesterov = true})),
               ref::kSgdNesterov, 1e-5);
  expect_close(trajectory(maker<nn::SGD>(
                   nn::SGDOptions{.lr = 0.1f, .momentum = 0.5f, .dampening = 0.3f, .weight_decay = 0.01f})),
               ref::kSgdDecayDampening, 1e-5);
}

TEST(OptimizersMatchPyTorch, AdamAndAdamW) {
  expect_close(trajectory(maker<nn::Adam>(nn::AdamOptions{})), ref::kAdamDefault, 1e-5);
  expect_close(trajectory(maker<nn::Adam>(
                   nn::AdamOptions{.lr = 0.05f, .beta1 = 0.8f, .beta2 = 0.99f, .eps = 1e-6f, .weight_decay = 0.1f})),
               ref::kAdamTuned, 1e-5);
  expect_close(trajectory(maker<nn::Adam>(nn::AdamOptions{.lr = 0.05f, .amsgrad = true})), ref::kAdamAmsgrad, 1e-5);
  auto adamw = nn::AdamW::defaults();
  adamw.lr = 0.05f;
  expect_close(trajectory(maker<nn::AdamW>(adamw)), ref::kAdamWDefault, 1e-5);
  EXPECT_FLOAT_EQ(nn::AdamW::defaults().weight_decay, 0.01f);
  // Options that name only the learning rate keep AdamW's weight decay, as PyTorch's AdamW(lr=...).
  expect_close(trajectory(maker<nn::AdamW>(nn::AdamWOptions{.lr = 0.05f})), ref::kAdamWDefault, 1e-5);
  nn::Parameter w;
  w.data = nn::Tensor(nn::Shape{1}, 1.0f);
  w.grad = nn::Tensor(nn::Shape{1});
  EXPECT_FLOAT_EQ(nn::AdamW({&w}, {.lr = 0.1f}).options().weight_decay, 0.01f);
}

TEST(Optimizers, MomentumEqualsTheSeedsVelocityFormula) {
  // Seeds 000/002: v = mu v - lr g; w += v. With a constant lr this is PyTorch's form step for step.
  const float lr = 0.1f, mu = 0.9f;
  std::vector<double> w(ref::kOptimW0), v(5, 0.0), want;
  for (int step = 0; step < 10; ++step) {
    for (size_t i = 0; i < 5; ++i) {
      const double g = static_cast<float>(w[i]) * ref::kOptimC[i] + ref::kOptimD[i];
      v[i] = mu * v[i] - lr * g;
      w[i] += v[i];
      want.push_back(w[i]);
    }
  }
  expect_close(trajectory(maker<nn::SGD>(nn::SGDOptions{.lr = lr, .momentum = mu})), want, 1e-5);
}

TEST(Optimizers, StateBelongsToEachParameterObject) {
  // Two parameters with the same name keep separate momentum (seed 000 shared one by name).
  nn::Parameter a{"weights", nn::Tensor(nn::Shape{1}, {1.0f}), nn::Tensor(nn::Shape{1}, {1.0f})};
  nn::Parameter b{"weights", nn::Tensor(nn::Shape{2}, {1.0f, 1.0f}), nn::Tensor(nn::Shape{2}, {-1.0f, -1.0f})};
  nn::SGD sgd({&a, &b}, {.lr = 0.1f, .momentum = 0.9f});
  sgd.step();
  sgd.step();
  EXPECT_NEAR(a.data[0], 1.0f - 0.1f - 0.19f, 1e-6f);
  EXPECT_NEAR(b.data[0], 1.0f + 0.1f + 0.19f, 1e-6f);
  EXPECT_EQ(sgd.state(0)[0]->shape(), (nn::Shape{1}));
  EXPECT_EQ(sgd.state(1)[0]->shape(), (nn::Shape{2}));
}

TEST(Optimizers, ZeroGradAndDeferredParameters) {
  nn::manual_seed(1);
  nn::Linear fc(3);  // input size unknown when the optimizer is built
  nn::Adam adam(fc.parameters(), {.lr = 0.01f});
  nn::Tensor x(nn::Shape{2, 5}, 0.5f);
  nn::Tensor dy(nn::Shape{2, 3}, 1.0f);
  fc(x);
  fc.backward(dy);
  const auto before = fc.weight().data.to_vector();
  adam.step();
  EXPECT_NE(fc.weight().data.to_vector(), before);
  adam.zero_grad();
  for (float g : fc.weight().grad.span()) EXPECT_EQ(g, 0.0f);
  EXPECT_EQ(adam.step_count(), 1);
}

TEST(Optimizers, ZeroGradInStepMatchesStepThenZeroGradBitForBit) {
  // Large enough for the update to run in parallel chunks; three steps, so momentum and Adam's
  // moments carry over. The fused run's weights equal the plain run's bit for bit, and its
  // gradients are zero after every step.
  const int64_t n = 300001;
  auto run = [&](const std::function<std::unique_ptr<nn::Optimizer>(std::vector<nn::Parameter*>)>& make, bool fused) {
    nn::Parameter p{"w", nn::Tensor(nn::Shape{n}), nn::Tensor(nn::Shape{n})};
    for (int64_t i = 0; i < n; ++i) p.data[i] = std::sin(0.001f * static_cast<float>(i));
    auto opt = make({&p});
    EXPECT_EQ(opt->set_zero_grad_in_step(fused), fused);
    EXPECT_EQ(opt->zero_grad_in_step(), fused);
    for (int step = 0; step < 3; ++step) {
      if (!fused) opt->zero_grad();
      for (int64_t i = 0; i < n; ++i) p.grad[i] += 0.5f * p.data[i] - 0.01f * static_cast<float>(i % 7);
      opt->step();
      if (fused) {
        int64_t nonzero = 0;
        for (float g : p.grad.span()) nonzero += g != 0.0f ? 1 : 0;
        EXPECT_EQ(nonzero, 0) << opt->type_name() << " step " << step;
      }
    }
    return p.data.to_vector();
  };
  const std::vector<std::function<std::unique_ptr<nn::Optimizer>(std::vector<nn::Parameter*>)>> makers = {
      maker<nn::SGD>(nn::SGDOptions{.lr = 0.1f, .weight_decay = 0.01f}),
      maker<nn::SGD>(nn::SGDOptions{.lr = 0.1f, .momentum = 0.9f}),
      maker<nn::SGD>(nn::SGDOptions{.lr = 0.05f, .momentum = 0.9f, .nesterov = true}),
      maker<nn::Adam>(nn::AdamOptions{.lr = 0.01f, .weight_decay = 0.1f}),
      maker<nn::Adam>(nn::AdamOptions{.lr = 0.01f, .amsgrad = true}),
      maker<nn::AdamW>(nn::AdamWOptions{.lr = 0.01f})};
  for (const auto& make : makers) EXPECT_EQ(run(make, true), run(make, false));
}

TEST(Optimizers, ZeroGradInStepIsRefusedByAnOptimizerThatCannot) {
  // A subclass that does not say it zeroes the gradients keeps the setting off, so the Trainer
  // keeps calling zero_grad() for it.
  struct Plain : nn::Optimizer {
    using nn::Optimizer::Optimizer;
    void step() override {}
    std::string type_name() const override { return "Plain"; }
    std::vector<nn::Tensor*> state(size_t) override { return {}; }
  };
  nn::Parameter p{"w", nn::Tensor(nn::Shape{1}), nn::Tensor(nn::Shape{1})};
  Plain plain({&p}, 0.1f);
  EXPECT_FALSE(plain.set_zero_grad_in_step(true));
  EXPECT_FALSE(plain.zero_grad_in_step());
}

TEST(Optimizers, RejectBadSettings) {
  nn::Parameter p{"w", nn::Tensor(nn::Shape{1}), nn::Tensor(nn::Shape{1})};
  EXPECT_THROW(nn::SGD({&p}, {.lr = -1.0f}), nn::Error);
  EXPECT_THROW(nn::SGD({&p}, {.lr = 0.1f, .nesterov = true}), nn::Error);
  EXPECT_THROW(nn::Adam({&p}, {.beta1 = 1.0f}), nn::Error);
  EXPECT_THROW(nn::SGD({nullptr}), nn::Error);
}

// ---- schedulers ---------------------------------------------------------------------------------

void expect_rates(nn::Scheduler& s, nn::Optimizer& o, const std::vector<double>& want) {
  for (size_t e = 0; e < want.size(); ++e) {
    EXPECT_NEAR(o.lr(), want[e], 1e-7) << s.type_name() << " epoch " << e;
    EXPECT_NEAR(s.lr_at(static_cast<int64_t>(e)), want[e], 1e-7) << s.type_name() << " epoch " << e;
    s.step();
  }
}

TEST(SchedulersMatchPyTorch, AllFour) {
  nn::Parameter p{"w", nn::Tensor(nn::Shape{1}), nn::Tensor(nn::Shape{1})};
  {
    nn::SGD o({&p}, {.lr = 0.1f});
    nn::StepLR s(o, 3, 0.5f);
    expect_rates(s, o, ref::kStepLRRates);
  }
  {
    nn::SGD o({&p}, {.lr = 0.1f});
    nn::MultiStepLR s(o, {2, 5, 9}, 0.1f);
    expect_rates(s, o, ref::kMultiStepLRRates);
  }
  {
    nn::SGD o({&p}, {.lr = 0.1f});
    nn::ExponentialLR s(o, 0.9f);
    expect_rates(s, o, ref::kExponentialLRRates);
  }
  {
    nn::SGD o({&p}, {.lr = 0.1f});
    nn::CosineAnnealingLR s(o, 8, 0.001f);
    // PyTorch's cosine schedule keeps oscillating past T_max; ours holds eta_min there.
    std::vector<double> upto(ref::kCosineAnnealingLRRates.begin(), ref::kCosineAnnealingLRRates.begin() + 9);
    expect_rates(s, o, upto);
    EXPECT_NEAR(s.lr_at(12), 0.001, 1e-9);
  }
}

TEST(Schedulers, SeedFormulasAndResume) {
  nn::Parameter p{"w", nn::Tensor(nn::Shape{1}), nn::Tensor(nn::Shape{1})};
  nn::SGD o({&p}, {.lr = 0.1f});
  nn::StepLR s(o, 30, 0.1f);  // seed 002's example: 0.1 for epochs 0-29, 0.01 for 30-59, ...
  EXPECT_NEAR(s.lr_at(29), 0.1, 1e-8);
  EXPECT_NEAR(s.lr_at(30), 0.01, 1e-8);
  EXPECT_NEAR(s.lr_at(60), 0.001, 1e-9);
  s.set_epoch(45);  // a resumed run gets the rate of its epoch at once
  EXPECT_NEAR(o.lr(), 0.01, 1e-8);
  EXPECT_THROW(nn::StepLR(o, 0), nn::Error);
  EXPECT_THROW(nn::MultiStepLR(o, {5, 2}), nn::Error);
}

// clip_grad_norm_ and clip_grad_value_ against the definitions (PyTorch's torch.nn.utils).
TEST(ClipGrad, NormScalesAllGradientsTogether) {
  nn::Parameter a{"a", nn::Tensor(nn::Shape{2}), nn::Tensor(nn::Shape{2})};
  nn::Parameter b{"b", nn::Tensor(nn::Shape{1}), nn::Tensor(nn::Shape{1})};
  a.grad[0] = 3.0f;
  a.grad[1] = 0.0f;
  b.grad[0] = -4.0f;  // total 2-norm 5
  std::vector<nn::Parameter*> ps{&a, &b};
  EXPECT_FLOAT_EQ(nn::clip_grad_norm_(ps, 10.0f), 5.0f);  // below the limit: unchanged
  EXPECT_FLOAT_EQ(a.grad[0], 3.0f);
  EXPECT_FLOAT_EQ(nn::clip_grad_norm_(ps, 1.0f), 5.0f);
  const float c = static_cast<float>(1.0 / (5.0 + 1e-6));
  EXPECT_FLOAT_EQ(a.grad[0], 3.0f * c);
  EXPECT_FLOAT_EQ(b.grad[0], -4.0f * c);
  EXPECT_NEAR(nn::clip_grad_norm_(ps, 100.0f), 1.0f, 1e-5f);
  // The infinity norm: the largest magnitude.
  a.grad[0] = 3.0f;
  b.grad[0] = -4.0f;
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_FLOAT_EQ(nn::clip_grad_norm_(ps, 2.0f, inf), 4.0f);
  EXPECT_NEAR(b.grad[0], -2.0f, 1e-5f);
  EXPECT_NEAR(a.grad[0], 1.5f, 1e-5f);
  // A non-finite gradient: reported, nothing scaled.
  a.grad[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(nn::clip_grad_norm_(ps, 1.0f)));
  EXPECT_TRUE(std::isnan(nn::clip_grad_norm_(ps, 1.0f, inf)));
  EXPECT_NEAR(b.grad[0], -2.0f, 1e-5f);
  EXPECT_THROW(nn::clip_grad_norm_(ps, 0.0f), nn::Error);
  EXPECT_THROW(nn::clip_grad_norm_(ps, 1.0f, 1.0f), nn::Error);
}

TEST(ClipGrad, ValueClampsEachElement) {
  nn::Parameter a{"a", nn::Tensor(nn::Shape{4}), nn::Tensor(nn::Shape{4})};
  const float g[] = {-3.0f, -0.5f, 0.25f, 7.0f};
  for (int i = 0; i < 4; ++i) a.grad[i] = g[i];
  std::vector<nn::Parameter*> ps{&a};
  nn::clip_grad_value_(ps, 1.0f);
  const float want[] = {-1.0f, -0.5f, 0.25f, 1.0f};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(a.grad[i], want[i]);
  try {
    nn::clip_grad_value_(ps, -1.0f);
    FAIL();
  } catch (const nn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected clip_value > 0, found -1"), std::string::npos) << e.what();
  }
}

TEST(Optimizer, ReportsWhetherTheLastStepLeftEveryWeightFinite) {
  nn::Parameter p{"w", nn::Tensor(nn::Shape{3}), nn::Tensor(nn::Shape{3})};
  p.data.fill(1.0f);
  p.grad.fill(1.0f);
  nn::SGD sgd({&p}, {.lr = 0.1f});
  sgd.step();
  EXPECT_TRUE(sgd.last_step_finite());
  p.grad[2] = 3e38f;
  nn::SGD big({&p}, {.lr = 10.0f});
  big.step();
  EXPECT_FALSE(big.last_step_finite());
  nn::Parameter q{"w", nn::Tensor(nn::Shape{2}), nn::Tensor(nn::Shape{2})};
  q.grad[0] = std::numeric_limits<float>::quiet_NaN();
  nn::Adam adam({&q}, {});
  adam.step();
  EXPECT_FALSE(adam.last_step_finite());
  q.data.zero();
  q.grad.fill(1.0f);
  nn::Adam fresh({&q}, {});  // the first one's moments hold the NaN now
  fresh.step();
  EXPECT_TRUE(fresh.last_step_finite());
}

}  // namespace
