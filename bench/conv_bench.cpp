// The small CNN of the MNIST examples, one training step (forward, loss, backward, SGD step) at
// batch 64, in samples/s:
//   conv 1->8 3x3 pad 1, relu, maxpool 2, conv 8->16 3x3 pad 1, relu, maxpool 2, flatten,
//   linear 784->10, softmax cross-entropy.
// Also the two convolutions alone, forward and backward (dW, db and dx), in GFLOP/s, with each
// algorithm (algo 1: im2col + GEMM per image, 2: direct), and a wider layer (automatic choice).
// Rates are per wall-clock second (UseRealTime), since the work runs on several threads.
#include <benchmark/benchmark.h>

#include <vector>

#include "nn/layers/activation.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/pool.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/random.hpp"

namespace {

void fill(nn::Tensor& t, uint64_t seed) {
  nn::Rng rng(seed);
  for (float& v : t.span()) v = static_cast<float>(rng.uniform(0.0, 1.0));
}

void BM_SmallCnnTrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0);
  nn::manual_seed(1);
  nn::Sequential model(nn::Conv2D(1, 8, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2D(2),
                       nn::Conv2D(8, 16, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2D(2), nn::Flatten(),
                       nn::Linear(784, 10));
  model.set_input_grad(false);  // as in training: no gradient for the images
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD sgd(model.parameters(), {.lr = 0.01f, .momentum = 0.9f});
  nn::Tensor x(nn::Shape{batch, 1, 28, 28});
  fill(x, 2);
  std::vector<int32_t> y(static_cast<size_t>(batch));
  nn::Rng rng(3);
  for (auto& v : y) v = static_cast<int32_t>(rng.below(10));
  for (auto _ : state) {
    loss(model(x), nn::Labels(y));
    sgd.zero_grad();
    model.backward(loss.backward());
    sgd.step();
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

// args: batch, in_c, out_c, size (square input), backward?, algorithm (0 automatic, 1 gemm, 2 direct)
void BM_Conv3x3(benchmark::State& state) {
  const int64_t batch = state.range(0), in = state.range(1), out = state.range(2), hw = state.range(3);
  const bool backward = state.range(4) != 0;
  const auto algorithm = static_cast<nn::ConvAlgorithm>(state.range(5));
  nn::manual_seed(1);
  nn::Conv2D conv(in, out, 3, {.padding = 1, .algorithm = algorithm});
  nn::Tensor x(nn::Shape{batch, in, hw, hw}), dy(nn::Shape{batch, out, hw, hw});
  fill(x, 2);
  fill(dy, 3);
  conv.forward(x);
  for (auto _ : state) {
    if (backward)
      benchmark::DoNotOptimize(conv.backward(dy).data());
    else
      benchmark::DoNotOptimize(conv.forward(x).data());
  }
  const double flops = 2.0 * static_cast<double>(batch * out * hw * hw * in * 9) * (backward ? 2.0 : 1.0);
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

}  // namespace

BENCHMARK(BM_SmallCnnTrainStep)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv3x3)
    ->ArgNames({"batch", "in", "out", "hw", "bwd", "algo"})
    ->Args({64, 1, 8, 28, 0, 2})
    ->Args({64, 1, 8, 28, 1, 2})
    ->Args({64, 8, 16, 14, 0, 2})
    ->Args({64, 8, 16, 14, 1, 2})
    ->Args({64, 1, 8, 28, 0, 1})
    ->Args({64, 1, 8, 28, 1, 1})
    ->Args({64, 8, 16, 14, 0, 1})
    ->Args({64, 8, 16, 14, 1, 1})
    ->Args({64, 32, 64, 14, 0, 0})
    ->Args({64, 32, 64, 14, 1, 0})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_MAIN();
