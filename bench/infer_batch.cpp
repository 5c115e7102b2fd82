// Batch inference throughput of the main job's MLP (784-128-32-10, ReLU) with nn, in evaluation
// mode: the 10,000 Fashion-MNIST test images, preloaded as float32 in [0, 1] and cut into batches
// of --batch rows before the clock starts (the last partial batch is left out), are run through the
// forward pass --passes times. The weights are the initial ones of seed 1 (the speed does not
// depend on their values); --onnx PATH writes the same model as ONNX (nn::io::export_onnx) and
// --weights PATH its Linear weights and biases as raw little-endian float32, layer by layer
// (weight [out, in] then bias [out]), so that onnxruntime and PyTorch run it with the same weights
// (bench/infer_batch.py). Prints one JSON object. bench/compare.py runs it next to
// bench/infer_batch.py.
//
//   infer_batch [--batch 256] [--passes 100] [--warmup 10] [--threads 1] [--layers 128,32]
//               [--onnx PATH] [--weights PATH] [--data-dir DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "nn/nn.hpp"

int main(int argc, char** argv) {
  std::string layers = "128,32", data_dir = "/usr/share/datasets/fashion-mnist", onnx_path, weights_path;
  int64_t batch = 256, passes = 100, warmup = 10;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--batch") batch = std::stoll(v);
    else if (k == "--passes") passes = std::stoll(v);
    else if (k == "--warmup") warmup = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--layers") layers = v;
    else if (k == "--onnx") onnx_path = v;
    else if (k == "--weights") weights_path = v;
    else if (k == "--data-dir") data_dir = v;
    else {
      std::fprintf(stderr, "infer_batch: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (batch <= 0 || passes < 0 || warmup < 0) {
    std::fprintf(stderr, "infer_batch: expected --batch > 0, --passes >= 0 and --warmup >= 0\n");
    return 2;
  }
  try {
    nn::set_num_threads(threads);
    nn::manual_seed(1);
    nn::data::Dataset test = nn::data::load_mnist_dir(data_dir, "test");
    test.to_float();
    const nn::Tensor& images = test.features();
    const int64_t d = test.sample_numel(), batches = test.size() / batch;
    if (batches == 0) throw std::runtime_error("--batch is larger than the test set");
    std::vector<nn::Tensor> xs;
    for (int64_t b = 0; b < batches; ++b)
      xs.emplace_back(nn::Shape{batch, d},
                      std::span<const float>(images.data() + b * batch * d, static_cast<size_t>(batch * d)));

    std::string spec;
    for (size_t start = 0; start <= layers.size();) {
      size_t end = layers.find(',', start);
      if (end == std::string::npos) end = layers.size();
      spec += "linear:" + layers.substr(start, end - start) + ",relu,";
      start = end + 1;
    }
    spec += "linear:10";
    auto model = nn::io::build_model(nn::io::parse_model_spec(spec));
    model->eval();
    model->forward(xs[0]);  // sizes the weights
    if (!onnx_path.empty()) nn::io::export_onnx(*model, {d}, onnx_path);
    if (!weights_path.empty()) {
      std::ofstream out(weights_path, std::ios::binary);
      for (const nn::Parameter* p : std::as_const(*model).parameters())
        out.write(reinterpret_cast<const char*>(p->data.data()), static_cast<std::streamsize>(p->data.numel() * 4));
      if (!out) throw std::runtime_error("could not write " + weights_path);
    }

    float sink = 0.0f;
    const auto pass = [&] {
      for (const nn::Tensor& x : xs) sink += model->forward(x).data()[0];
    };
    for (int64_t p = 0; p < warmup; ++p) pass();
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t p = 0; p < passes; ++p) pass();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double samples = static_cast<double>(passes * batches * batch);
    std::printf("{\"impl\": \"nn\", \"layers\": \"%s\", \"batch\": %lld, \"threads\": %d, \"samples\": %.0f, "
                "\"seconds\": %.4f, \"samples_per_second\": %.1f, \"checksum\": %.6g}\n",
                layers.c_str(), static_cast<long long>(batch), threads, samples, seconds,
                seconds > 0 ? samples / seconds : 0.0, static_cast<double>(sink));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "infer_batch: %s\n", e.what());
    return 1;
  }
  return 0;
}
