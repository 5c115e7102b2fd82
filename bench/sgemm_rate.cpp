// The SGEMM rate the BLAS reaches on the matrix products of one MLP training step, called through
// nn::ops::gemm with the shapes and transposes nn's Linear layer uses (row-major):
//   forward, each layer:             Y (B, out)  = X (B, in) * W^T              gemm(No, Yes)
//   dW, each layer:                  dW (out, in) += dY^T (out, B) * X (B, in)   gemm(Yes, No), beta 1
//   dX, each layer but the first:    dX (B, in)  = dY (B, out) * W (out, in)     gemm(No, No)
// 2 * M * N * K flops each. The whole sequence is repeated for at least --seconds and reported as
// GFLOP/s with the BLAS in use, one JSON object. bench/compare.py sets it against the GFLOP/s that
// a training step of nn reaches.
//
//   sgemm_rate [--layers 128,32] [--batch 64] [--threads 1] [--seconds 1]
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "nn/nn.hpp"

namespace {

struct Layer {
  int64_t in, out;
  nn::Tensor w, dw, x, dy, dx;
};

void fill(nn::Tensor& t, nn::Rng& rng) {
  for (float& v : t.span()) v = static_cast<float>(rng.uniform(-0.1, 0.1));
}

}  // namespace

int main(int argc, char** argv) {
  std::string layers_arg = "128,32";
  int64_t batch = 64;
  int threads = 1;
  double min_seconds = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--layers") layers_arg = v;
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--seconds") min_seconds = std::stod(v);
    else {
      std::fprintf(stderr, "sgemm_rate: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    nn::set_num_threads(threads);
    std::vector<int64_t> sizes{784};
    for (size_t start = 0; start <= layers_arg.size();) {
      size_t end = layers_arg.find(',', start);
      if (end == std::string::npos) end = layers_arg.size();
      sizes.push_back(std::stoll(layers_arg.substr(start, end - start)));
      start = end + 1;
    }
    sizes.push_back(10);
    nn::Rng rng(1);
    std::vector<Layer> net;
    for (size_t l = 0; l + 1 < sizes.size(); ++l) {
      const int64_t in = sizes[l], out = sizes[l + 1];
      Layer layer{in, out, nn::Tensor(nn::Shape{out, in}), nn::Tensor(nn::Shape{out, in}), nn::Tensor(nn::Shape{batch, in}),
                  nn::Tensor(nn::Shape{batch, out}), nn::Tensor(nn::Shape{batch, in})};
      fill(layer.w, rng);
      fill(layer.dw, rng);
      fill(layer.x, rng);
      fill(layer.dy, rng);
      net.push_back(std::move(layer));
    }
    // Each layer's output buffer is the next layer's input (as in a forward pass); the last layer
    // writes into its dY buffer, as the loss gradient would. W never changes, so values stay bounded.
    using nn::ops::Trans;
    double step_flops = 0.0;
    for (size_t l = 0; l < net.size(); ++l)
      step_flops += 2.0 * static_cast<double>(batch * net[l].in * net[l].out) * (l == 0 ? 2.0 : 3.0);
    auto step = [&] {
      for (size_t l = 0; l < net.size(); ++l) {
        Layer& L = net[l];
        float* y = l + 1 < net.size() ? net[l + 1].x.data() : L.dy.data();
        nn::ops::gemm(Trans::No, Trans::Yes, batch, L.out, L.in, 1.0f, L.x.data(), L.in, L.w.data(), L.in, 0.0f, y, L.out);
      }
      for (size_t l = net.size(); l-- > 0;) {
        Layer& L = net[l];
        nn::ops::gemm(Trans::Yes, Trans::No, L.out, L.in, batch, 1.0f, L.dy.data(), L.out, L.x.data(), L.in, 1.0f,
                      L.dw.data(), L.in);
        if (l > 0)
          nn::ops::gemm(Trans::No, Trans::No, batch, L.in, L.out, 1.0f, L.dy.data(), L.out, L.w.data(), L.in, 0.0f,
                        L.dx.data(), L.in);
      }
    };
    for (int i = 0; i < 10; ++i) step();
    int64_t reps = 0;
    double seconds = 0.0;
    const auto t0 = std::chrono::steady_clock::now();
    do {
      for (int i = 0; i < 10; ++i) step();
      reps += 10;
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (seconds < min_seconds);
    std::printf("{\"layers\": \"%s\", \"batch\": %lld, \"threads\": %d, \"steps\": %lld, \"flops_per_step\": %.0f, "
                "\"gflops\": %.3f, \"blas\": \"%s\"}\n",
                layers_arg.c_str(), static_cast<long long>(batch), threads, static_cast<long long>(reps), step_flops,
                step_flops * static_cast<double>(reps) / seconds * 1e-9, nn::ops::blas_info().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sgemm_rate: %s\n", e.what());
    return 1;
  }
  return 0;
}
