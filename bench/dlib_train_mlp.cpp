// Training throughput of the 784-128-32-10 MLP in dlib (Debian's 19.24, its BLAS calls through
// OpenBLAS) on Fashion-MNIST: the same model, loss, optimizer (SGD, momentum 0.9, lr 0.01) and
// batch size as bench/train_mlp.cpp, data preloaded as float in [0, 1], the training loop alone
// timed; prints one JSON object for bench/compare.py.
//
//   dlib_train_mlp [--batch 64] [--epochs 1] [--data-dir DIR]
// Threads: OpenBLAS's own (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS), set by the caller.
#include <dlib/dnn.h>
#include <dlib/revision.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// An IDX file (gzip), unsigned bytes; returns the payload after the header of `ndims` extents.
std::vector<unsigned char> read_idx_gz(const std::string& path, int ndims) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<unsigned char> all;
  unsigned char buf[1 << 16];
  int r;
  while ((r = gzread(f, buf, sizeof buf)) > 0) all.insert(all.end(), buf, buf + r);
  gzclose(f);
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  if (all.size() < header) throw std::runtime_error(path + ": truncated");
  return {all.begin() + static_cast<long>(header), all.end()};
}

using net_type = dlib::loss_multiclass_log<
    dlib::fc<10, dlib::relu<dlib::fc<32, dlib::relu<dlib::fc<128, dlib::input<dlib::matrix<float>>>>>>>>;

}  // namespace

int main(int argc, char** argv) {
  long batch = 64, epochs = 1;
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--batch") batch = std::stol(v);
    else if (k == "--epochs") epochs = std::stol(v);
    else if (k == "--data-dir") data_dir = v;
    else {
      std::fprintf(stderr, "dlib_train_mlp: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const auto pixels = read_idx_gz(data_dir + "/train-images-idx3-ubyte.gz", 3);
    const auto label_bytes = read_idx_gz(data_dir + "/train-labels-idx1-ubyte.gz", 1);
    const size_t n = label_bytes.size();
    std::vector<dlib::matrix<float>> train(n);
    std::vector<unsigned long> labels(label_bytes.begin(), label_bytes.end());
    for (size_t i = 0; i < n; ++i) {
      train[i].set_size(28, 28);
      for (long p = 0; p < 784; ++p) train[i](p / 28, p % 28) = pixels[i * 784 + static_cast<size_t>(p)] / 255.0f;
    }

    net_type net;
    std::vector<dlib::sgd> solvers(net_type::num_computational_layers, dlib::sgd(0.0f, 0.9f));
    std::mt19937 gen(1);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::vector<dlib::matrix<float>> xb;
    std::vector<unsigned long> yb;
    dlib::resizable_tensor x;
    double seconds = 0.0, last_loss = 0.0;
    long samples = 0;
    for (long e = 0; e < epochs; ++e) {
      std::shuffle(order.begin(), order.end(), gen);
      const auto t0 = std::chrono::steady_clock::now();
      for (size_t start = 0; start < n; start += static_cast<size_t>(batch)) {
        const size_t end = std::min(n, start + static_cast<size_t>(batch));
        xb.clear();
        yb.clear();
        for (size_t k = start; k < end; ++k) {
          xb.push_back(train[order[k]]);
          yb.push_back(labels[order[k]]);
        }
        net.to_tensor(xb.begin(), xb.end(), x);
        last_loss = net.compute_parameter_gradients(x, yb.begin());
        net.update_parameters(dlib::make_sstack(solvers), 0.01);
        samples += static_cast<long>(end - start);
      }
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    std::printf("{\"impl\": \"dlib %d.%d\", \"batch\": %ld, \"seconds\": %.4f, \"samples_per_second\": %.1f, "
                "\"last_loss\": %.4f}\n",
                DLIB_MAJOR_VERSION, DLIB_MINOR_VERSION, batch, seconds, static_cast<double>(samples) / seconds,
                last_loss);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dlib_train_mlp: %s\n", e.what());
    return 1;
  }
  return 0;
}
