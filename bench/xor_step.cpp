// Microseconds per training step of seed 004's XOR network with nn's public API: Linear(2, 3),
// Tanh, Linear(3, 1), Tanh, MSE loss, plain SGD, one sample per step. A step is what seed 004's
// training loop does for one sample: forward, the loss value (added to the epoch's error),
// backward, SGD step, zero_grad. The four XOR samples are cycled; the first --warmup steps are not
// timed. Prints one JSON object. bench/compare.py runs it next to bench/torch_xor_step.py.
//
//   xor_step [--steps 400000] [--warmup 40000] [--threads 1]
#include <chrono>
#include <cstdio>
#include <string>

#include "nn/nn.hpp"

int main(int argc, char** argv) {
  int64_t steps = 400000, warmup = 40000;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--steps") steps = std::stoll(v);
    else if (k == "--warmup") warmup = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else {
      std::fprintf(stderr, "xor_step: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (steps <= 0 || warmup < 0) {
    std::fprintf(stderr, "xor_step: expected --steps > 0 and --warmup >= 0\n");
    return 2;
  }
  try {
    nn::set_num_threads(threads);
    nn::manual_seed(42);
    nn::Sequential model(nn::Linear(2, 3), nn::Tanh(), nn::Linear(3, 1), nn::Tanh());
    nn::MSELoss loss;
    nn::SGD optimizer(model.parameters(), {.lr = 0.1f});
    const float inputs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const float targets[4] = {0, 1, 1, 0};
    nn::Tensor x(nn::Shape{1, 2}), y(nn::Shape{1, 1});

    double error = 0.0;
    auto step = [&](int64_t s) {
      const int i = static_cast<int>(s & 3);
      x[0] = inputs[i][0];
      x[1] = inputs[i][1];
      y[0] = targets[i];
      error += loss(model(x), y);
      model.backward(loss.backward());
      optimizer.step();
      optimizer.zero_grad();
    };
    for (int64_t s = 0; s < warmup; ++s) step(s);
    error = 0.0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < steps; ++s) step(s);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"impl\": \"nn\", \"threads\": %d, \"steps\": %lld, \"seconds\": %.4f, \"us_per_step\": %.4f, "
                "\"mean_error\": %.6g}\n",
                threads, static_cast<long long>(steps), seconds, seconds * 1e6 / static_cast<double>(steps),
                error / static_cast<double>(steps));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xor_step: %s\n", e.what());
    return 1;
  }
  return 0;
}
