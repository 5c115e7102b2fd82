// Linear 784 -> 128 forward and backward at batch 64 and 256, in GFLOP/s. Also counts heap
// allocations per training step of the layer (it must be 0 in steady state).
#include <benchmark/benchmark.h>

#include "nn/nn.hpp"

namespace {

void fill(nn::Tensor& t, uint64_t seed) {
  nn::Rng rng(seed);
  for (float& v : t.span()) v = static_cast<float>(rng.uniform(-1.0, 1.0));
}

void BM_LinearForward(benchmark::State& state) {
  const int64_t batch = state.range(0), in = 784, out = 128;
  nn::manual_seed(1);
  nn::Linear layer(in, out);
  nn::Tensor x(nn::Shape{batch, in});
  fill(x, 2);
  for (auto _ : state) benchmark::DoNotOptimize(layer.forward(x).data());
  const double flops = 2.0 * batch * in * out;
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

void BM_LinearBackward(benchmark::State& state) {
  const int64_t batch = state.range(0), in = 784, out = 128;
  nn::manual_seed(1);
  nn::Linear layer(in, out);
  nn::Tensor x(nn::Shape{batch, in}), dy(nn::Shape{batch, out});
  fill(x, 2);
  fill(dy, 3);
  layer.forward(x);
  for (auto _ : state) benchmark::DoNotOptimize(layer.backward(dy).data());
  // dW (2 B I O), dX (2 B I O), db (B O)
  const double flops = 4.0 * batch * in * out + static_cast<double>(batch) * out;
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

}  // namespace

BENCHMARK(BM_LinearForward)->Arg(64)->Arg(256);
BENCHMARK(BM_LinearBackward)->Arg(64)->Arg(256);
BENCHMARK_MAIN();
