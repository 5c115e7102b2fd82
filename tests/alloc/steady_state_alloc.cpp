// A steady-state training step allocates nothing: this binary counts every allocation the process
// makes (alloc_counter.cpp replaces malloc and its kin and operator new), and checks that steps
// after the first make none, including a smaller last batch that reuses the buffers sized by the
// first. Tensors take their storage from aligned_alloc, so a Tensor made per step is caught. An
// allocation made by the BLAS library itself is counted apart and recorded as the property
// "blas_allocations".
#include <gtest/gtest.h>

#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <new>

#include "nn/data/synthetic.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/pool.hpp"
#include "nn/nn.hpp"
#include "nn/train/trainer.hpp"

#include "alloc/alloc_counter.hpp"
#include "support/support.hpp"

namespace {

using nn::test::alloc::allocations;
using nn::test::alloc::blas_allocations;

// Steps on a batch of 64 and a last batch of 17 samples of shape `sample`.
// `per_step` runs at the end of every step (a test's deliberate allocation).
template <class Optim, class LossT, class Extra = void (*)(const nn::Tensor&)>
long allocations_in_steady_state(Optim& optimizer, nn::Sequential& model, LossT& loss,
                                 const nn::Shape& sample = nn::Shape{784},
                                 Extra per_step = [](const nn::Tensor&) {}) {
  nn::Tensor full(sample.batched(64)), last(sample.batched(17));
  nn::Rng rng(3);
  nn::test::fill_uniform(full, 3, 0.0, 1.0);
  nn::test::fill_uniform(last, 4, 0.0, 1.0);
  std::vector<int32_t> y_full(64), y_last(17);
  for (auto& y : y_full) y = static_cast<int32_t>(rng.below(10));
  for (auto& y : y_last) y = static_cast<int32_t>(rng.below(10));

  auto step = [&](const nn::Tensor& x, const std::vector<int32_t>& y) {
    loss(model(x), nn::Labels(y));
    optimizer.zero_grad();
    model.backward(loss.backward());
    optimizer.step();
    per_step(x);
  };
  step(full, y_full);  // sizes every buffer and optimizer state
  step(last, y_last);
  const long before = allocations(), blas_before = blas_allocations();
  for (int i = 0; i < 5; ++i) {
    step(full, y_full);
    step(last, y_last);
  }
  const long made = allocations() - before, by_blas = blas_allocations() - blas_before;
  ::testing::Test::RecordProperty("blas_allocations", std::to_string(by_blas));
  return made;
}

TEST(SteadyState, TrainingStepWithSgdMomentumAllocatesNothing) {
  nn::manual_seed(1);
  nn::Sequential model(nn::Linear(784, 128), nn::ReLU(), nn::Linear(128, 32), nn::ReLU(), nn::Linear(32, 10));
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.01f, .momentum = 0.9f});
  EXPECT_EQ(allocations_in_steady_state(sgd, model, loss), 0);
}

TEST(SteadyState, TrainingStepWithAdamAllocatesNothing) {
  nn::manual_seed(1);
  nn::Sequential model(nn::Linear(128), nn::Sigmoid(), nn::Linear(64), nn::Tanh(), nn::Linear(10),
                       nn::Softmax());
  nn::CrossEntropyLoss loss;
  nn::Adam adam(model.parameters());
  EXPECT_EQ(allocations_in_steady_state(adam, model, loss), 0);
}

// Counts the allocations made between the ends of consecutive batches of an epoch.
class AllocationsPerBatch : public nn::train::Callback {
 public:
  AllocationsPerBatch() { per_batch.reserve(1000); }
  void on_batch_end(const nn::train::BatchEnd& b) override {
    const long now = allocations();
    if (b.batch > 0) per_batch.push_back(now - last_);
    last_ = now;
  }
  std::vector<long> per_batch;

 private:
  long last_ = 0;
};

TEST(SteadyState, TrainerFitAllocatesNothingPerBatch) {
  // 1000 samples in batches of 64: 15 full batches and a last one of 40, with validation each epoch.
  auto data = nn::data::make_blobs({.n_samples = 1000, .n_features = 8, .centers = 4, .seed = 2});
  auto val = nn::data::make_blobs({.n_samples = 300, .n_features = 8, .centers = 4, .seed = 2});
  nn::manual_seed(1);
  nn::Sequential model(nn::Linear(8, 32), nn::ReLU(), nn::Linear(32, 4));
  nn::SoftmaxCrossEntropyLoss loss;
  nn::Adam adam(model.parameters(), {.lr = 0.01f});
  AllocationsPerBatch counter;
  nn::train::Trainer trainer({&counter});
  const auto h = trainer.fit(model, loss, adam, data, &val, {.epochs = 3, .batch_size = 64});
  ASSERT_EQ(h.size(), 3u);
  ASSERT_EQ(counter.per_batch.size(), 3u * 15u);
  for (size_t i = 0; i < counter.per_batch.size(); ++i) EXPECT_EQ(counter.per_batch[i], 0) << "batch " << i;
}

TEST(SteadyState, CnnTrainingStepAllocatesNothing) {
  nn::manual_seed(1);
  nn::Sequential model(nn::Conv2D(1, 8, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2D(2),
                       nn::Conv2D(16, 3, {.padding = 1}), nn::ReLU(), nn::AvgPool2D(2), nn::Flatten(),
                       nn::Dropout(0.25f), nn::Linear(10));
  nn::SoftmaxCrossEntropyLoss loss;
  nn::Adam adam(model.parameters());
  EXPECT_EQ(allocations_in_steady_state(adam, model, loss, nn::Shape{1, 28, 28}), 0);
}

TEST(SteadyState, BatchNormTrainingStepAllocatesNothing) {
  nn::manual_seed(1);
  nn::Sequential model(nn::Conv2D(1, 4, 3), nn::BatchNorm2d(4), nn::ReLU(), nn::MaxPool2D(2), nn::Flatten(),
                       nn::Linear(32), nn::BatchNorm1d(32), nn::ReLU(), nn::Linear(10));
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.01f, .momentum = 0.9f});
  EXPECT_EQ(allocations_in_steady_state(sgd, model, loss, nn::Shape{1, 12, 12}), 0);
}

// Pointers stored through volatile, so that no allocation below can be elided.
void* volatile g_sink = nullptr;
void* keep(void* p) {
  g_sink = p;
  return p;
}

template <class F>
long allocations_of(F&& f) {
  const long before = allocations();
  f();
  return allocations() - before;
}

TEST(SteadyState, CounterSeesEveryAllocationPath) {
  EXPECT_EQ(allocations_of([] { std::free(keep(std::malloc(24))); }), 1) << "malloc";
  EXPECT_EQ(allocations_of([] { std::free(keep(std::calloc(3, 8))); }), 1) << "calloc";
  g_sink = std::malloc(8);
  EXPECT_EQ(allocations_of([] { g_sink = std::realloc(g_sink, 4096); }), 1) << "realloc";
  std::free(g_sink);
  EXPECT_EQ(allocations_of([] { std::free(keep(std::aligned_alloc(64, 256))); }), 1) << "aligned_alloc";
  EXPECT_EQ(allocations_of([] {
              void* p = nullptr;
              ASSERT_EQ(posix_memalign(&p, 64, 256), 0);
              std::free(keep(p));
            }),
            1)
      << "posix_memalign";
  EXPECT_EQ(allocations_of([] { std::free(keep(memalign(64, 256))); }), 1) << "memalign";
  EXPECT_EQ(allocations_of([] { std::free(keep(valloc(256))); }), 1) << "valloc";
  EXPECT_EQ(allocations_of([] {
              int* p = new int(3);
              g_sink = p;
              delete p;
            }),
            1)
      << "operator new";
  EXPECT_EQ(allocations_of([] {
              int* p = new int[5];
              g_sink = p;
              delete[] p;
            }),
            1)
      << "operator new[]";
  struct alignas(128) Wide {
    float v[32];
  };
  EXPECT_EQ(allocations_of([] {
              Wide* p = new Wide();
              g_sink = p;
              delete p;
            }),
            1)
      << "aligned operator new";
  EXPECT_EQ(allocations_of([] {
              int* p = new (std::nothrow) int(4);
              g_sink = p;
              delete p;
            }),
            1)
      << "nothrow operator new";
  EXPECT_EQ(allocations_of([] { nn::Tensor t(nn::Shape{4, 4}); g_sink = t.data(); }), 1) << "Tensor";
}

// The steady-state check catches a step that makes a Tensor: the same loop as the tests above with
// one deliberate temporary per step finds one allocation per step (10 steps).
TEST(SteadyState, TensorMadePerStepIsCaught) {
  nn::manual_seed(1);
  nn::Sequential model(nn::Linear(784, 32), nn::ReLU(), nn::Linear(32, 10));
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.01f, .momentum = 0.9f});
  const long counted = allocations_in_steady_state(sgd, model, loss, nn::Shape{784}, [](const nn::Tensor& x) {
    nn::Tensor scratch(x.shape());  // a buffer that should have been kept and reused
    g_sink = scratch.data();
  });
  EXPECT_GT(counted, 0);
  EXPECT_EQ(counted, 10);  // one per step counted
}

}  // namespace
