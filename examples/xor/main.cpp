// Seed 004's XOR: Linear(2, 3), Tanh, Linear(3, 1), Tanh trained with MSE and plain SGD, one sample
// per step, 1000 epochs. Prints the error every 100 epochs and the four outputs; exits 1 unless the
// final mean error is below 1e-3 and the outputs round to 0, 1, 1, 0.
#include <cmath>
#include <cstdio>

#include "nn/nn.hpp"

int main() {
  nn::manual_seed(42);
  nn::Sequential model(nn::Linear(2, 3), nn::Tanh(), nn::Linear(3, 1), nn::Tanh());
  nn::MSELoss loss;
  nn::SGD optimizer(model.parameters(), {.lr = 0.1f});

  const float inputs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const float targets[4] = {0, 1, 1, 0};
  nn::Tensor x(nn::Shape{1, 2}), y(nn::Shape{1, 1});

  double error = 0.0;
  for (int epoch = 1; epoch <= 1000; ++epoch) {
    error = 0.0;
    for (int i = 0; i < 4; ++i) {
      x[0] = inputs[i][0];
      x[1] = inputs[i][1];
      y[0] = targets[i];
      error += loss(model(x), y);
      model.backward(loss.backward());
      optimizer.step();
      optimizer.zero_grad();
    }
    error /= 4;
    if (epoch % 100 == 0) std::printf("%d/1000 error=%.5f\n", epoch, error);
  }

  bool rounds = true;
  for (int i = 0; i < 4; ++i) {
    x[0] = inputs[i][0];
    x[1] = inputs[i][1];
    const float out = model(x)[0];
    std::printf("[%g, %g] -> %.4f\n", inputs[i][0], inputs[i][1], out);
    rounds = rounds && std::lround(out) == std::lround(targets[i]);
  }
  const bool ok = error < 1e-3 && rounds;
  std::printf("%s: final error %.6f (want < 1e-3), outputs %s 0, 1, 1, 0\n", ok ? "OK" : "FAILED", error,
              rounds ? "round to" : "do not round to");
  return ok ? 0 : 1;
}
