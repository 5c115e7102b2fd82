// The tutorials' "Running in GPU": the same model and data on a CUDA GPU when one is available,
// else on the CPU. A 2-16-3 MLP on three Gaussian blobs, moved to nn::default_device() with its
// optimizer's state, trained with the Trainer (which copies the batches to the model's device),
// saved, and loaded back on the CPU: the file is the same from either device. Exits 1 unless the
// validation accuracy reaches 95% and the model loaded on the CPU predicts what the trained one does.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/data/split.hpp"
#include "nn/data/synthetic.hpp"
#include "nn/nn.hpp"
#include "nn/train/predict.hpp"

int main() {
  nn::manual_seed(1);
  const nn::Device device = nn::default_device();
  std::printf("device: %s (%s)\n", device.str().c_str(),
              nn::cuda::is_available() ? "a CUDA GPU"
              : nn::cuda::built()      ? "built with CUDA, no GPU here: the CPU"
                                       : "built without CUDA: the CPU");
  nn::data::Dataset all = nn::data::make_blobs({.n_samples = 600, .centers = 3, .seed = 4});
  auto [train, val] = nn::data::train_test_split(all, 0.2, 7);

  nn::Sequential model(nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, 3));
  nn::SoftmaxCrossEntropyLoss loss;
  nn::Adam optimizer(model.parameters(), {.lr = 0.01f});
  model.to(device);      // weights and gradients
  optimizer.to(device);  // its state (none yet: sized on the first step, on the parameters' device)

  nn::train::Trainer trainer;
  const nn::train::History h = trainer.fit(model, loss, optimizer, train, &val, {.epochs = 20, .batch_size = 32});
  std::printf("trained on %s: validation accuracy %.1f%%, steps: %s\n", device.str().c_str(),
              100.0 * h.back().val_accuracy, trainer.step_mode().c_str());

  const std::filesystem::path file = std::filesystem::temp_directory_path() / "nn-example-device.safetensors";
  nn::io::save(model, file);
  nn::io::LoadedModel back = nn::io::load_model(file);  // on the CPU
  std::filesystem::remove(file);
  nn::Tensor on_device, on_cpu;
  nn::train::predict(model, val.features(), on_device);
  nn::train::predict(*back.model, val.features(), on_cpu);
  double worst = 0.0;
  const std::vector<float> a = on_device.to_vector(), b = on_cpu.to_vector();
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
  const bool ok = h.back().val_accuracy >= 0.95 && a.size() == b.size() && worst <= 1e-4;
  std::printf("%s: the model loaded on the CPU predicts within %.2g of the trained one (want <= 1e-4)\n",
              ok ? "OK" : "FAILED", worst);
  return ok ? 0 : 1;
}
