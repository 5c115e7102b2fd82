// Seed 003's pipeline: a composite model MyModel (fc1, relu1, fc2, relu2, fc3) for 784-128-32-10
// with fused softmax cross-entropy and SGD (lr 0.01), trained on random "images" with random class indices
// in batches of 10. Memorising 100 random samples is the check that every part of the pipeline
// works end to end: exits 1 unless the loss falls below a fifth of its first value and the
// training accuracy reaches 100%.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "nn/nn.hpp"

// Children are registered by name, so parameters() and named_parameters() find fc1.weight and the
// rest without listing them by hand.
class MyModel : public nn::Module {
 public:
  MyModel()
      : fc1(register_module("fc1", nn::Linear(784, 128, {.init = nn::Init::he}))),
        relu1(register_module("relu1", nn::ReLU())),
        fc2(register_module("fc2", nn::Linear(32, {.init = nn::Init::he}))),  // input size inferred
        relu2(register_module("relu2", nn::ReLU())),
        fc3(register_module("fc3", nn::Linear(10))) {}

  const nn::Tensor& forward(const nn::Tensor& x) override {
    return fc3(relu2(fc2(relu1(fc1(x)))));
  }
  const nn::Tensor& backward(const nn::Tensor& grad) override {
    return fc1.backward(relu1.backward(fc2.backward(relu2.backward(fc3.backward(grad)))));
  }
  std::string type_name() const override { return "MyModel"; }

  nn::Linear& fc1;
  nn::ReLU& relu1;
  nn::Linear& fc2;
  nn::ReLU& relu2;
  nn::Linear& fc3;
};

int main() {
  nn::manual_seed(0);
  nn::Rng rng(7);
  const int64_t n = 100, batch = 10, classes = 10;
  nn::Tensor images(nn::Shape{n, 784});
  for (float& v : images.span()) v = static_cast<float>(rng.uniform());
  std::vector<int32_t> labels(static_cast<size_t>(n));
  for (auto& l : labels) l = static_cast<int32_t>(rng.below(classes));

  MyModel model;
  nn::SoftmaxCrossEntropyLoss loss_fn;
  nn::SGD optimizer(model.parameters(), {.lr = 0.01f});
  std::printf("%s\n", model.repr().c_str());

  nn::Tensor x(nn::Shape{batch, 784});
  float first = 0.0f, last = 0.0f;
  for (int epoch = 0; epoch < 60; ++epoch) {
    double total = 0.0;
    for (int64_t start = 0; start < n; start += batch) {
      std::copy_n(images.data() + start * 784, batch * 784, x.data());
      const nn::Labels y(labels.data() + start, static_cast<size_t>(batch));
      total += loss_fn(model(x), y);
      model.backward(loss_fn.backward());
      optimizer.step();
      optimizer.zero_grad();
    }
    last = static_cast<float>(total / (n / batch));
    if (epoch == 0) first = last;
    if (epoch % 5 == 0 || epoch == 59) std::printf("epoch %2d  loss %.4f\n", epoch, last);
  }

  model.eval();
  const nn::Tensor& logits = model(images);
  std::vector<int64_t> predicted(static_cast<size_t>(n));
  nn::ops::argmax_rows(logits.data(), predicted.data(), n, classes);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) correct += predicted[static_cast<size_t>(i)] == labels[static_cast<size_t>(i)];
  std::printf("parameters: %lld (fc1.weight is %s)\n", static_cast<long long>(nn::parameter_count(model)),
              model.named_parameters()[0].second->data.shape().str().c_str());
  const bool ok = last < first / 5 && correct == n;
  std::printf("%s: loss %.4f -> %.4f, training accuracy %lld/%lld\n", ok ? "OK" : "FAILED", first, last,
              static_cast<long long>(correct), static_cast<long long>(n));
  return ok ? 0 : 1;
}
