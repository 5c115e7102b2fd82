// Microseconds per single-image inference of the main job's MLP (784-128-32-10, ReLU) with nn, in
// evaluation mode: each call copies one Fashion-MNIST test image (preloaded as float32 in [0, 1])
// into the [1, 784] input and runs the forward pass; the 10,000 test images are cycled. The
// weights are the initial ones (the speed does not depend on their values). The first --warmup
// calls are not timed. Prints one JSON object. bench/compare.py runs it next to
// bench/torch_infer_one.py.
//
//   infer_one [--calls 200000] [--warmup 20000] [--threads 1] [--layers 128,32] [--data-dir DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "nn/nn.hpp"

int main(int argc, char** argv) {
  std::string layers = "128,32", data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t calls = 200000, warmup = 20000;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--calls") calls = std::stoll(v);
    else if (k == "--warmup") warmup = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--layers") layers = v;
    else if (k == "--data-dir") data_dir = v;
    else {
      std::fprintf(stderr, "infer_one: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (calls <= 0 || warmup < 0) {
    std::fprintf(stderr, "infer_one: expected --calls > 0 and --warmup >= 0\n");
    return 2;
  }
  try {
    nn::set_num_threads(threads);
    nn::manual_seed(1);
    nn::data::Dataset test = nn::data::load_mnist_dir(data_dir, "test");
    test.to_float();
    const nn::Tensor& images = test.features();
    const int64_t n = test.size(), d = test.sample_numel();

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
    nn::Tensor x(nn::Shape{1, d});

    float sink = 0.0f;
    auto call = [&](int64_t c) {
      const float* image = images.data() + (c % n) * d;
      std::copy(image, image + d, x.data());
      sink += model->forward(x).data()[0];
    };
    for (int64_t c = 0; c < warmup; ++c) call(c);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t c = 0; c < calls; ++c) call(c);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"impl\": \"nn\", \"layers\": \"%s\", \"threads\": %d, \"calls\": %lld, \"seconds\": %.4f, "
                "\"us_per_call\": %.4f, \"checksum\": %.6g}\n",
                layers.c_str(), threads, static_cast<long long>(calls), seconds,
                seconds * 1e6 / static_cast<double>(calls), static_cast<double>(sink));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "infer_one: %s\n", e.what());
    return 1;
  }
  return 0;
}
