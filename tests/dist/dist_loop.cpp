// A training loop written by hand with the library's all-reduce (nn::dist::GradientAllReduce)
// against the Trainer with the same all-reduce, on every rank of `mpirun -np N nn_dist_loop` (or in
// one process): both must end with the same weights. Also counts the C++ allocations (operator new)
// of each one's second epoch, which must be none: the buckets are sized on the first step.
// Prints "same weights ..." on rank 0 and exits 0 when all is well, 1 otherwise.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "nn/data/loader.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/dist/dist.hpp"
#include "nn/dist/grad_allreduce.hpp"
#include "nn/io/model_spec.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/random.hpp"
#include "nn/threads.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/trainer.hpp"

namespace {
std::atomic<long> g_news{0};
}  // namespace

void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main() {
  using namespace nn;
  try {
    dist::init();
    set_num_threads(1);
    const data::Dataset train = data::make_spiral(150, 3, 0.2, 4);  // 150 samples: batches of 16, the last of 6
    constexpr int64_t kBatch = 16, kEpochs = 3;
    constexpr uint64_t kSeed = 11;
    const io::ModelSpec spec = io::parse_model_spec("linear:24,relu,linear:16,relu,linear:3");

    manual_seed(kSeed);
    auto a = io::build_model(spec);
    a->build(train.sample_shape());
    auto b = io::build_model(spec);
    b->build(train.sample_shape());
    const auto pa = a->parameters(), pb = b->parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i]->data.copy_from(pa[i]->data);
    dist::GradientAllReduce::broadcast_parameters(*a);
    dist::GradientAllReduce::broadcast_parameters(*b);
    const SGDOptions so{.lr = 0.05f, .momentum = 0.9f};

    // The Trainer.
    SGD opt_a(a->parameters(), so);
    SoftmaxCrossEntropyLoss loss_a;
    dist::GradientAllReduce sync_a(a->parameters());
    // Counts the operator new calls of the Trainer's second epoch.
    struct EpochAllocations : train::Callback {
      long before = 0, during = -1;
      void on_epoch_begin(int64_t epoch) override {
        if (epoch == 1) before = g_news.load();
      }
      void on_epoch_end(int64_t epoch, const train::EpochRecord&) override {
        if (epoch == 1) during = g_news.load() - before;
      }
    } trainer_news;
    train::Trainer trainer;
    trainer.add_callback(trainer_news);
    trainer.set_gradient_sync(&sync_a);
    trainer.fit(*a, loss_a, opt_a, train, nullptr, {.epochs = kEpochs, .batch_size = kBatch, .seed = kSeed});

    // The same by hand: this rank's share of every global batch, the all-reduce, the step.
    SGD opt_b(b->parameters(), so);
    SoftmaxCrossEntropyLoss loss_b;
    dist::GradientAllReduce sync_b(b->parameters());
    b->train(true);
    b->set_input_grad(false);
    data::DataLoader loader(train, {.batch_size = kBatch, .shuffle = true, .seed = kSeed});
    long news_in_epoch_2 = -1;
    for (int64_t epoch = 0; epoch < kEpochs; ++epoch) {
      loader.set_epoch(epoch);
      const long before = g_news.load();
      for (int64_t i = 0; i < loader.num_batches(); ++i) {
        const auto batch = loader.batch(i, dist::rank(), dist::size());
        opt_b.zero_grad();
        if (batch.size > 0) {
          loss_b.forward(b->forward(batch.x), batch.labels);
          b->backward(loss_b.backward());
        }
        sync_b.all_reduce(batch.size, loader.batch_samples(i));
        opt_b.step();
      }
      if (epoch == 1) news_in_epoch_2 = g_news.load() - before;
    }

    double diff = 0.0;
    for (size_t i = 0; i < pa.size(); ++i)
      for (int64_t k = 0; k < pa[i]->data.numel(); ++k)
        diff = std::max(diff, static_cast<double>(std::fabs(pa[i]->data.data()[k] - pb[i]->data.data()[k])));
    const bool ok = diff == 0.0 && news_in_epoch_2 == 0 && trainer_news.during == 0;
    if (dist::rank() == 0) {
      std::printf("%s on %d rank(s): largest difference %.3g; operator new calls in the second epoch: %ld (hand loop), "
                  "%ld (Trainer); all-reduce time %.3f ms over %lld calls\n",
                  diff == 0.0 ? "same weights" : "DIFFERENT weights", dist::size(), diff, news_in_epoch_2,
                  trainer_news.during,
                  1e3 * sync_b.seconds(), static_cast<long long>(sync_b.calls()));
    }
    dist::finalize();
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nn_dist_loop: rank %d: %s\n", nn::dist::rank(), e.what());
    nn::dist::abort(1);
  }
}
