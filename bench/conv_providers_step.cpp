// The stronger CNN's whole training step (bench/conv_providers.cpp, --step): Conv2D's automatic
// choice against a choice given per layer, on the same model, weights and batch, interleaved.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "nn/nn.hpp"

namespace cp {

namespace {

struct Net {
  nn::Sequential model;
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd;
  Net(nn::ConvAlgorithm first, nn::ConvAlgorithm second)
      : model(nn::Conv2D(1, 32, 3, {.padding = 1, .algorithm = first}), nn::BatchNorm2d(32),
              nn::ReLU(), nn::MaxPool2D(2), nn::Conv2D(32, 64, 3, {.padding = 1, .algorithm = second}),
              nn::BatchNorm2d(64), nn::ReLU(), nn::MaxPool2D(2), nn::Flatten(), nn::Dropout(0.3f),
              nn::Linear(3136, 128), nn::ReLU(), nn::Dropout(0.3f), nn::Linear(128, 10)),
        sgd(model.parameters(), {.lr = 0.01f, .momentum = 0.9f}) {
    model.set_input_grad(false);  // as in training: no gradient for the images
  }
  void step(const nn::Tensor& x, const std::vector<int32_t>& y) {
    loss(model(x), nn::Labels(y));
    sgd.zero_grad();
    model.backward(loss.backward());
    sgd.step();
  }
};

// The calling thread's CPU time, s: at one thread it leaves out the time other processes hold the
// core, which a wall clock on a shared machine counts.
double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

// Prints one Markdown table: ms per step (best of `rounds` interleaved rounds of `steps` steps).
void stronger_cnn_steps(int rounds, int steps) {
  constexpr int64_t batch = 64;
  nn::Tensor x(nn::Shape{batch, 1, 28, 28});
  nn::Rng rng(5);
  for (float& v : x.span()) v = static_cast<float>(rng.uniform(0.0, 1.0));
  std::vector<int32_t> y(static_cast<size_t>(batch));
  for (auto& v : y) v = static_cast<int32_t>(rng.below(10));
  using A = nn::ConvAlgorithm;
  struct Variant {
    const char* name;
    A first, second;
  };
  const Variant variants[] = {{"automatic", A::automatic, A::automatic},
                              {"direct, im2col", A::direct, A::gemm},
                              {"im2col, direct", A::gemm, A::direct},
                              {"im2col, im2col", A::gemm, A::gemm},
                              {"direct, direct", A::direct, A::direct}};
  std::printf("The stronger CNN's training step at batch 64 (SGD with momentum), ms, best of %d interleaved rounds "
              "of %d steps; the algorithm of conv 1->32 and of conv 32->64; at one thread also the thread's CPU time\n\n"
              "| threads | algorithms | ms per step (wall) | ms per step (CPU, one thread) |\n|---|---|---|---|\n",
              rounds, steps);
  for (int threads : {1, 2}) {
    nn::set_num_threads(threads);
    std::vector<std::unique_ptr<Net>> nets;
    for (const Variant& v : variants) {
      nn::manual_seed(1);  // weights and dropout masks from the same stream (the values do not change the work)
      nets.push_back(std::make_unique<Net>(v.first, v.second));
      nets.back()->step(x, y);
    }
    std::vector<double> best(nets.size(), 1e30), best_cpu(nets.size(), 1e30);
    for (int r = 0; r < rounds; ++r)
      for (size_t i = 0; i < nets.size(); ++i) {
        nets[i]->step(x, y);  // untimed
        const double c0 = thread_cpu();
        const auto t0 = std::chrono::steady_clock::now();
        for (int s = 0; s < steps; ++s) nets[i]->step(x, y);
        best[i] = std::min(best[i], std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / steps);
        best_cpu[i] = std::min(best_cpu[i], (thread_cpu() - c0) / steps);
      }
    for (size_t i = 0; i < nets.size(); ++i)
      if (threads == 1)
        std::printf("| %d | %s | %.2f | %.2f |\n", threads, variants[i].name, best[i] * 1e3, best_cpu[i] * 1e3);
      else
        std::printf("| %d | %s | %.2f | |\n", threads, variants[i].name, best[i] * 1e3);
  }
}

}  // namespace cp
