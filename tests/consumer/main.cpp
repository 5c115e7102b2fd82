// A program that uses nn as an installed library: trains XOR (Linear, Tanh, MSE, SGD), saves the
// model, reloads it and checks that the reloaded model gives the same four outputs, rounding to
// 0, 1, 1, 0. Exits 1 otherwise. Usage: nn_consumer MODEL_PATH
#include <cmath>
#include <cstdio>

#include "nn/nn.hpp"
#include "nn/version.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: nn_consumer MODEL_PATH\n");
    return 2;
  }
  std::printf("%s (compiled against %s)\n", nn::version_line().c_str(), NN_VERSION_STRING);
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
  }
  model.eval();
  nn::io::save(model, argv[1]);
  nn::io::LoadedModel loaded = nn::io::load_model(argv[1]);

  bool ok = error < 1e-3;
  for (int i = 0; i < 4; ++i) {
    x[0] = inputs[i][0];
    x[1] = inputs[i][1];
    const float trained = model(x)[0];
    const float reloaded = (*loaded.model)(x)[0];
    std::printf("[%g, %g] -> %.4f, reloaded %.4f\n", inputs[i][0], inputs[i][1], trained, reloaded);
    ok = ok && trained == reloaded && std::lround(reloaded) == std::lround(targets[i]);
  }
  std::printf("%s: final error %.6f (want < 1e-3), reloaded model %s\n", ok ? "OK" : "FAILED", error,
              ok ? "equal and rounding to 0, 1, 1, 0" : "differs or does not round to 0, 1, 1, 0");
  return ok ? 0 : 1;
}
