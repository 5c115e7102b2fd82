// A steady-state training step allocates nothing: this binary counts every allocation the process
// makes, whatever path it takes (malloc, calloc, realloc, aligned_alloc, posix_memalign, memalign,
// valloc, pvalloc, and operator new in all its forms, which allocate through them), and checks that
// steps after the first make none, including a smaller last batch that reuses the buffers sized by
// the first. Tensors take their storage from aligned_alloc, so a Tensor made per step is caught.
//
// The C allocation functions are defined here, ahead of the C library's (and of a sanitizer's
// interceptors) in symbol lookup; each counts and calls the next definition, found with
// dlsym(RTLD_NEXT). dlsym may itself allocate while it resolves them: those few blocks come from
// a static arena, and free() ignores them.
//
// An allocation made by the BLAS library itself is counted apart: OpenBLAS's threaded GEMM
// driver mallocs its job table on every call it splits over threads. That is the BLAS's doing, not
// nn's, and nn cannot avoid it short of running the BLAS on one thread; the tests below require
// zero allocations by everything else and record the BLAS's count as the property
// "blas_allocations".
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "nn/data/synthetic.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/pool.hpp"
#include "nn/nn.hpp"
#include "nn/train/trainer.hpp"

#include "support/support.hpp"

// The wrappers run before a sanitizer's runtime has set itself up (it allocates while it starts),
// so they are not instrumented.
#define NN_NOT_SANITIZED __attribute__((no_sanitize("address", "undefined")))

namespace {

// A count shared by all threads (GCC's atomic builtins: std::atomic's inline members would be
// instrumented).
struct Counter {
  long n = 0;
  NN_NOT_SANITIZED void add() { __atomic_fetch_add(&n, 1, __ATOMIC_RELAXED); }
  long load() const { return __atomic_load_n(&n, __ATOMIC_SEQ_CST); }
};
Counter g_allocations, g_blas_allocations;

using MallocFn = void* (*)(size_t);
using CallocFn = void* (*)(size_t, size_t);
using ReallocFn = void* (*)(void*, size_t);
using AlignedFn = void* (*)(size_t, size_t);
using PosixMemalignFn = int (*)(void**, size_t, size_t);
using FreeFn = void (*)(void*);

struct NextAllocator {
  MallocFn malloc = nullptr;
  CallocFn calloc = nullptr;
  ReallocFn realloc = nullptr;
  AlignedFn aligned_alloc = nullptr;
  AlignedFn memalign = nullptr;
  PosixMemalignFn posix_memalign = nullptr;
  MallocFn valloc = nullptr;
  MallocFn pvalloc = nullptr;
  FreeFn free = nullptr;
};
NextAllocator g_next;
bool g_resolving = false;

// What dlsym allocates while the functions are being looked up.
alignas(64) char g_arena[16384];
size_t g_arena_used = 0;

NN_NOT_SANITIZED void* arena_alloc(size_t size) {
  const size_t at = (g_arena_used + 63) / 64 * 64;
  if (at + size > sizeof g_arena) return nullptr;
  g_arena_used = at + size;
  return g_arena + at;
}
NN_NOT_SANITIZED bool from_arena(const void* p) {
  return static_cast<const char*>(p) >= g_arena && static_cast<const char*>(p) < g_arena + sizeof g_arena;
}

// Whether the code at `caller` belongs to a BLAS library (by its file name).
NN_NOT_SANITIZED bool in_blas(void* caller) {
  Dl_info info;
  return dladdr(caller, &info) != 0 && info.dli_fname != nullptr && std::strstr(info.dli_fname, "blas") != nullptr;
}

// Counts one allocation made from `caller` (the return address of the allocation function).
NN_NOT_SANITIZED void count(void* caller) {
  if (in_blas(caller))
    g_blas_allocations.add();
  else
    g_allocations.add();
}

template <class F>
NN_NOT_SANITIZED F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

NN_NOT_SANITIZED const NextAllocator& resolved() {
  if (g_next.free == nullptr && !g_resolving) {
    g_resolving = true;
    NextAllocator n;
    n.malloc = next<MallocFn>("malloc");
    n.calloc = next<CallocFn>("calloc");
    n.realloc = next<ReallocFn>("realloc");
    n.aligned_alloc = next<AlignedFn>("aligned_alloc");
    n.memalign = next<AlignedFn>("memalign");
    n.posix_memalign = next<PosixMemalignFn>("posix_memalign");
    n.valloc = next<MallocFn>("valloc");
    n.pvalloc = next<MallocFn>("pvalloc");
    n.free = next<FreeFn>("free");
    if (n.malloc == nullptr || n.calloc == nullptr || n.realloc == nullptr || n.aligned_alloc == nullptr ||
        n.memalign == nullptr || n.posix_memalign == nullptr || n.free == nullptr)
      std::abort();  // nothing can be counted (or allocated) without them
    g_next = n;
    g_resolving = false;
  }
  return g_next;
}

}  // namespace

extern "C" {

NN_NOT_SANITIZED void* malloc(size_t size) noexcept {
  if (g_resolving) return arena_alloc(size);
  count(__builtin_return_address(0));
  return resolved().malloc(size);
}

NN_NOT_SANITIZED void* calloc(size_t n, size_t size) noexcept {
  if (g_resolving) return arena_alloc(n * size);  // the arena is zero: static storage, never reused
  count(__builtin_return_address(0));
  return resolved().calloc(n, size);
}

NN_NOT_SANITIZED void* realloc(void* p, size_t size) noexcept {
  count(__builtin_return_address(0));
  if (from_arena(p)) {  // never happens in practice; move the block out of the arena
    void* q = resolved().malloc(size);
    if (q != nullptr) __builtin_memcpy(q, p, size);
    return q;
  }
  return resolved().realloc(p, size);
}

NN_NOT_SANITIZED void* aligned_alloc(size_t alignment, size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().aligned_alloc(alignment, size);
}

NN_NOT_SANITIZED void* memalign(size_t alignment, size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().memalign(alignment, size);
}

NN_NOT_SANITIZED int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().posix_memalign(out, alignment, size);
}

NN_NOT_SANITIZED void* valloc(size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().valloc(size);
}

NN_NOT_SANITIZED void* pvalloc(size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().pvalloc(size);
}

NN_NOT_SANITIZED void free(void* p) noexcept {
  if (p == nullptr || from_arena(p)) return;
  resolved().free(p);
}

}  // extern "C"

// operator new in every form allocates through the counted functions above (one count each).
// GCC pairs the inlined std::allocator calls of this file with the free() below and warns of a
// mismatch; the replacements are matched by design (new -> malloc, delete -> free).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
void* counted_new(std::size_t size) {
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* counted_new(std::size_t size, std::align_val_t alignment) {
  const auto a = static_cast<std::size_t>(alignment);
  void* p = nullptr;
  if (posix_memalign(&p, a < sizeof(void*) ? sizeof(void*) : a, size ? size : 1) == 0) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void* operator new(std::size_t size, std::align_val_t a) { return counted_new(size, a); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_new(size, a); }
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size, a);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t& tag) noexcept {
  return operator new(size, a, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

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
  const long before = g_allocations.load(), blas_before = g_blas_allocations.load();
  for (int i = 0; i < 5; ++i) {
    step(full, y_full);
    step(last, y_last);
  }
  const long made = g_allocations.load() - before, by_blas = g_blas_allocations.load() - blas_before;
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

// Pointers stored through volatile, so that no allocation below can be elided.
void* volatile g_sink = nullptr;
void* keep(void* p) {
  g_sink = p;
  return p;
}

template <class F>
long allocations_of(F&& f) {
  const long before = g_allocations.load();
  f();
  return g_allocations.load() - before;
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
