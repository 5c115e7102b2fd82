// Training throughput of nn on a GPU (bench/gpu.sh runs it next to PyTorch CUDA): a model spec
// trained with nn::train::Trainer on synthetic data of Fashion-MNIST's shape (60000 samples of
// 784 features, or [1, 28, 28] for a CNN; 10 classes; the values do not change the speed), one
// warm-up epoch and one timed epoch, printed as one JSON object with the step mode (CUDA graphs
// or plain launches, and why).
//
//   gpu_train --model SPEC [--batch 64] [--device cuda:0] [--optimizer sgd|adam] [--graphs 1]
//             [--samples 60000]
#include <cstdio>
#include <string>
#include <vector>

#include "nn/nn.hpp"

int main(int argc, char** argv) {
  std::string model_spec = "linear:128,relu,linear:32,relu,linear:10", device_text = "cuda:0", optimizer = "sgd";
  int64_t batch = 64, samples = 60000;
  bool graphs = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model_spec = v;
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--device") device_text = v;
    else if (k == "--optimizer") optimizer = v;
    else if (k == "--graphs") graphs = v != "0";
    else if (k == "--samples") samples = std::stoll(v);
    else {
      std::fprintf(stderr, "gpu_train: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const nn::Device device = device_text == "auto" ? nn::default_device() : nn::Device::parse(device_text);
    nn::manual_seed(1);
    const auto parsed = nn::io::parse_model_spec(model_spec);
    const nn::Shape sample = nn::io::expects_images(parsed) ? nn::Shape{1, 28, 28} : nn::Shape{784};
    nn::Tensor x(sample.batched(samples));
    nn::Rng rng(3);
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(rng.uniform());
    std::vector<int32_t> labels(static_cast<size_t>(samples));
    for (auto& y : labels) y = static_cast<int32_t>(rng.below(10));
    const nn::data::Dataset train = nn::data::Dataset::classification(std::move(x), std::move(labels), 10);

    auto model = nn::io::build_model(parsed);
    model->build(sample);
    model->to(device);
    nn::SoftmaxCrossEntropyLoss loss;
    std::unique_ptr<nn::Optimizer> opt;
    if (optimizer == "adam")
      opt = std::make_unique<nn::Adam>(model->parameters(), nn::AdamOptions{.lr = 1e-3f});
    else
      opt = std::make_unique<nn::SGD>(model->parameters(), nn::SGDOptions{.lr = 0.01f, .momentum = 0.9f});
    opt->to(device);
    nn::train::Trainer trainer;
    const nn::train::History h = trainer.fit(*model, loss, *opt, train, nullptr,
                                             {.epochs = 2, .batch_size = batch, .seed = 1, .cuda_graphs = graphs});
    std::printf("{\"model\": \"%s\", \"batch\": %lld, \"device\": \"%s\", \"optimizer\": \"%s\", "
                "\"samples_per_second\": %.1f, \"epoch_seconds\": %.4f, \"final_loss\": %.5f, \"steps\": \"%s\"}\n",
                model_spec.c_str(), static_cast<long long>(batch), device.str().c_str(), optimizer.c_str(),
                h.back().samples_per_second, h.back().seconds, h.back().train_loss, trainer.step_mode().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_train: %s\n", e.what());
    return 1;
  }
}
