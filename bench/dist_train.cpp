// Data-parallel training throughput on Fashion-MNIST: the training loop of the Trainer with
// nn::dist's gradient all-reduce, run under `mpirun -np N dist_train ...` (or alone: one rank).
// Prints one JSON object (rank 0): ranks, threads per rank, global batch, samples/s, and per step
// the time in the gradient all-reduce (packing, messages and waiting for the slower rank), and the
// all-reduce alone (the median of 50 calls started together, the ranks' mean). bench/dist_bench.sh runs the side-by-side table.
//
//   dist_train [--model SPEC] [--batch 64] [--threads N] [--max-batches N] [--optimizer sgd|adam]
//              [--data-dir DIR]
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "nn/nn.hpp"

int main(int argc, char** argv) {
  std::string spec = "linear:128,relu,linear:32,relu,linear:10", optimizer = "adam";
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t batch = 64, max_batches = 0;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") spec = v;
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--max-batches") max_batches = std::stoll(v);
    else if (k == "--optimizer") optimizer = v;
    else if (k == "--data-dir") data_dir = v;
    else {
      std::fprintf(stderr, "dist_train: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    nn::dist::init();
    nn::set_num_threads(threads);
    nn::manual_seed(1);
    nn::data::Dataset train = nn::data::load_mnist_dir(data_dir, "train");
    if (max_batches > 0) {
      std::vector<int64_t> keep(static_cast<size_t>(std::min(train.size(), max_batches * batch)));
      for (size_t i = 0; i < keep.size(); ++i) keep[i] = static_cast<int64_t>(i);
      train = train.subset(keep);
    }
    const auto parsed = nn::io::parse_model_spec(spec);
    if (nn::io::expects_images(parsed)) train.reshape_samples(nn::Shape{1, 28, 28});
    auto model = nn::io::build_model(parsed);
    model->build(train.sample_shape());
    nn::SoftmaxCrossEntropyLoss loss;
    std::unique_ptr<nn::Optimizer> opt;
    if (optimizer == "adam")
      opt = std::make_unique<nn::Adam>(model->parameters(), nn::AdamOptions{.lr = 1e-3f});
    else
      opt = std::make_unique<nn::SGD>(model->parameters(), nn::SGDOptions{.lr = 0.01f, .momentum = 0.9f});
    nn::dist::GradientAllReduce sync(model->parameters());
    sync.broadcast_parameters(*model);
    nn::train::Trainer trainer;
    if (nn::dist::size() > 1) trainer.set_gradient_sync(&sync);
    // A warm-up epoch of a few batches (buffers sized, caches warm), then the measured epoch.
    const nn::data::Dataset warm = train.subset(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
    trainer.fit(*model, loss, *opt, warm, nullptr, {.epochs = 1, .batch_size = std::min<int64_t>(batch, 16), .seed = 1});
    const double comm0 = sync.seconds() + nn::dist::communication_seconds();
    const int64_t calls0 = sync.calls();
    const auto t0 = std::chrono::steady_clock::now();
    const auto h = trainer.fit(*model, loss, *opt, train, nullptr, {.epochs = 1, .batch_size = batch, .seed = 1});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double comm = sync.seconds() + nn::dist::communication_seconds() - comm0;
    const int64_t steps = (train.size() + batch - 1) / batch;
    const int64_t calls = sync.calls() - calls0;
    std::array<double, 1> slowest{comm};
    nn::dist::sum(slowest);  // the mean over ranks
    // The all-reduce alone: each call starts together on every rank (after a small collective),
    // so it measures the messages and the additions, not waiting for a slower rank. The median of 50.
    std::vector<double> alone;
    for (int i = 0; i < 50; ++i) {
      nn::dist::any(false);
      const auto a0 = std::chrono::steady_clock::now();
      sync.all_reduce(batch / nn::dist::size(), batch);
      alone.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a0).count());
    }
    std::sort(alone.begin(), alone.end());
    std::array<double, 1> median{alone[alone.size() / 2]};
    nn::dist::sum(median);
    if (nn::dist::rank() == 0) {
      std::printf("{\"model\": \"%s\", \"ranks\": %d, \"threads_per_rank\": %d, \"batch\": %lld, \"samples\": %lld, "
                  "\"seconds\": %.4f, \"samples_per_second\": %.1f, \"ms_per_step\": %.4f, "
                  "\"comm_ms_per_step\": %.4f, \"allreduce_alone_ms\": %.4f, \"grad_floats\": %lld, \"allreduce_calls\": %lld, "
                  "\"train_loss\": %.4f}\n",
                  spec.c_str(), nn::dist::size(), threads, static_cast<long long>(batch),
                  static_cast<long long>(train.size()), seconds, static_cast<double>(train.size()) / seconds,
                  1e3 * seconds / static_cast<double>(steps),
                  1e3 * slowest[0] / nn::dist::size() / static_cast<double>(steps), 1e3 * median[0] / nn::dist::size(),
                  static_cast<long long>(nn::parameter_count(*model)), static_cast<long long>(calls),
                  h.back().train_loss);
    }
    nn::dist::finalize();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dist_train: rank %d: %s\n", nn::dist::rank(), e.what());
    nn::dist::abort(1);
  }
  return 0;
}
