// Seed 000's binary classifier: 100 points with 2 features in two linearly separable classes
// (make_classification), a Linear(2, 1) layer with xavier weights, Sigmoid, BCE, and SGD with
// lr 0.01 and momentum 0.9 on the whole batch. Exits 1 unless the loss falls in each of the first
// 10 epochs and the training accuracy reaches at least 95%.
#include <cstdio>

#include "nn/data/synthetic.hpp"
#include "nn/nn.hpp"

int main() {
  nn::manual_seed(1);
  nn::data::Dataset data = nn::data::make_classification();  // seed 000's defaults
  const nn::Tensor& x = data.features();
  nn::Tensor target(nn::Shape{data.size(), 1});
  for (int64_t i = 0; i < data.size(); ++i) target[i] = static_cast<float>(data.labels()[static_cast<size_t>(i)]);

  nn::Linear model(2, 1, {.init = nn::Init::xavier});
  nn::Sigmoid activation;
  nn::BCELoss bce;
  nn::SGD optimizer(model.parameters(), {.lr = 0.01f, .momentum = 0.9f});

  const int epochs = 200;
  bool falling = true;
  float previous = 0.0f, loss = 0.0f;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    const nn::Tensor& y_pred = activation(model(x));
    loss = bce(y_pred, target);
    optimizer.zero_grad();
    model.backward(activation.backward(bce.backward()));
    optimizer.step();
    if (epoch < 10 || epoch % 20 == 19) std::printf("Epoch %d, Loss: %.4f\n", epoch, loss);
    if (epoch > 0 && epoch < 10 && !(loss < previous)) falling = false;
    previous = loss;
  }

  const nn::Tensor& p = activation(model(x));
  int64_t correct = 0;
  for (int64_t i = 0; i < data.size(); ++i) correct += (p[i] > 0.5f) == (data.labels()[static_cast<size_t>(i)] == 1);
  const double accuracy = static_cast<double>(correct) / static_cast<double>(data.size());
  const bool ok = falling && accuracy >= 0.95;
  std::printf("%s: loss %s over the first 10 epochs, final loss %.4f, training accuracy %.1f%% (want >= 95%%)\n",
              ok ? "OK" : "FAILED", falling ? "fell every epoch" : "did NOT fall every epoch", loss,
              100.0 * accuracy);
  return ok ? 0 : 1;
}
