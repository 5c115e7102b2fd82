// A steady-state training step allocates nothing: this binary replaces the global operator new with
// a counting one and checks that steps after the first do not call it, including a smaller last
// batch that reuses the buffers sized by the first.
#include <gtest/gtest.h>

#include <atomic>
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

namespace {
std::atomic<long> g_allocations{0};
}

// GCC pairs the inlined std::allocator calls of this file with the free() below and warns of a
// mismatch; the replacements are matched by design (new -> malloc, delete -> free).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

// Steps on a batch of 64 and a last batch of 17 samples of shape `sample`.
template <class Optim, class LossT>
long allocations_in_steady_state(Optim& optimizer, nn::Sequential& model, LossT& loss,
                                 const nn::Shape& sample = nn::Shape{784}) {
  nn::Tensor full(sample.batched(64)), last(sample.batched(17));
  nn::Rng rng(3);
  for (float& v : full.span()) v = static_cast<float>(rng.uniform());
  for (float& v : last.span()) v = static_cast<float>(rng.uniform());
  std::vector<int32_t> y_full(64), y_last(17);
  for (auto& y : y_full) y = static_cast<int32_t>(rng.below(10));
  for (auto& y : y_last) y = static_cast<int32_t>(rng.below(10));

  auto step = [&](const nn::Tensor& x, const std::vector<int32_t>& y) {
    loss(model(x), nn::Labels(y));
    optimizer.zero_grad();
    model.backward(loss.backward());
    optimizer.step();
  };
  step(full, y_full);  // sizes every buffer and optimizer state
  step(last, y_last);
  const long before = g_allocations.load();
  for (int i = 0; i < 5; ++i) {
    step(full, y_full);
    step(last, y_last);
  }
  return g_allocations.load() - before;
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
    const long now = g_allocations.load();
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

TEST(SteadyState, CounterSeesAllocations) {
  const long before = g_allocations.load();
  static int* volatile sink = nullptr;
  sink = new int(3);  // stored through a volatile, so the allocation cannot be elided
  delete sink;
  EXPECT_EQ(g_allocations.load() - before, 1);
}

}  // namespace
