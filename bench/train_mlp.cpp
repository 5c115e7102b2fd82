// Training throughput of an MLP on Fashion-MNIST with nn: the training loop only (data loaded
// before the clock starts), printed as one JSON object with the BLAS in use. bench/compare.py
// (through bench/compare_pytorch.sh) runs it next to the same loop in PyTorch.
//
//   train_mlp [--layers 128,32 | --model SPEC] [--batch 64] [--epochs 1] [--optimizer sgd|adam]
//             [--threads N] [--max-batches N] [--data-dir DIR]
// --model takes any model spec (a CNN gets the images as [N, 1, 28, 28]). --max-batches stops each
// epoch early (short warm-up runs).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "nn/nn.hpp"

int main(int argc, char** argv) {
  std::string layers = "128,32", model_spec, optimizer = "sgd", data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t batch = 64, epochs = 1, max_batches = 0;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--layers") layers = v;
    else if (k == "--model") model_spec = v;
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--epochs") epochs = std::stoll(v);
    else if (k == "--optimizer") optimizer = v;
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--max-batches") max_batches = std::stoll(v);
    else if (k == "--data-dir") data_dir = v;
    else {
      std::fprintf(stderr, "train_mlp: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    nn::set_num_threads(threads);
    nn::manual_seed(1);
    nn::data::Dataset train = nn::data::load_mnist_dir(data_dir, "train");
    std::string spec;
    for (size_t start = 0; start <= layers.size();) {
      size_t end = layers.find(',', start);
      if (end == std::string::npos) end = layers.size();
      spec += "linear:" + layers.substr(start, end - start) + ",relu,";
      start = end + 1;
    }
    spec += "linear:10";
    if (!model_spec.empty()) spec = model_spec;
    const auto parsed = nn::io::parse_model_spec(spec);
    if (nn::io::expects_images(parsed)) train.reshape_samples(nn::Shape{1, 28, 28});
    auto model = nn::io::build_model(parsed);
    model->set_input_grad(false);
    nn::SoftmaxCrossEntropyLoss loss;
    std::unique_ptr<nn::Optimizer> opt;
    if (optimizer == "adam")
      opt = std::make_unique<nn::Adam>(model->parameters(), nn::AdamOptions{.lr = model_spec.empty() ? 1e-3f : 2e-3f});
    else
      opt = std::make_unique<nn::SGD>(model->parameters(), nn::SGDOptions{.lr = 0.01f, .momentum = 0.9f});
    nn::data::DataLoader loader(train, {.batch_size = batch, .shuffle = true, .seed = 1});
    // As the Trainer does: the step zeroes the gradients it reads (one pass instead of two).
    const bool zero_in_step = opt->set_zero_grad_in_step(true);
    opt->zero_grad();

    double seconds = 0.0;
    int64_t samples = 0;
    for (int64_t e = 0; e < epochs; ++e) {
      loader.set_epoch(e);
      const auto t0 = std::chrono::steady_clock::now();
      const int64_t batches = max_batches > 0 ? std::min(max_batches, loader.num_batches()) : loader.num_batches();
      for (int64_t b = 0; b < batches; ++b) {
        auto batch_data = loader.batch(b);
        loss(model->forward(batch_data.x), batch_data.labels);
        if (!zero_in_step) opt->zero_grad();
        model->backward(loss.backward());
        opt->step();
        samples += batch_data.size;
      }
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    std::printf("{\"impl\": \"nn\", \"layers\": \"%s\", \"batch\": %lld, \"optimizer\": \"%s\", \"threads\": %d, "
                "\"seconds\": %.4f, \"samples_per_second\": %.1f, \"blas\": \"%s\"}\n",
                (model_spec.empty() ? layers : model_spec).c_str(), static_cast<long long>(batch), optimizer.c_str(), threads, seconds,
                static_cast<double>(samples) / seconds, nn::ops::blas_info().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_mlp: %s\n", e.what());
    return 1;
  }
  return 0;
}
