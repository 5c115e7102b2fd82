// cuBLAS's SGEMM rate on the GEMMs of one training step of an MLP (bench/gpu.sh): for each Linear
// (in -> out) at batch B, the forward product (B x in) * (in x out), the weight gradient
// (out x B) * (B x in) and, but for the first layer, the input gradient (B x out) * (out x in);
// FP32 with default math (no TF32), as nn uses cuBLAS. The whole sequence is timed with CUDA events
// over many repeats; the rate is the FLOPs of the sequence over its time. One JSON line.
//
//   cublas_sgemm [--layers 784,512,256,10] [--batch 1024] [--repeats 200]
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "cublas_sgemm: %s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "cublas_sgemm: %s: cuBLAS status %d\n", what, static_cast<int>(s));
    std::exit(1);
  }
}

struct Gemm {
  cublasOperation_t ta, tb;
  int m, n, k;
};

}  // namespace

int main(int argc, char** argv) {
  std::string layers_text = "784,512,256,10";
  int batch = 1024, repeats = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--layers") layers_text = v;
    else if (k == "--batch") batch = std::atoi(v.c_str());
    else if (k == "--repeats") repeats = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "cublas_sgemm: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::vector<int> sizes;
  for (size_t start = 0; start < layers_text.size();) {
    size_t end = layers_text.find(',', start);
    if (end == std::string::npos) end = layers_text.size();
    sizes.push_back(std::atoi(layers_text.substr(start, end - start).c_str()));
    start = end + 1;
  }
  if (sizes.size() < 2 || batch <= 0 || repeats <= 0) {
    std::fprintf(stderr, "cublas_sgemm: expected --layers IN,...,OUT and positive --batch, --repeats\n");
    return 2;
  }
  // Row-major products as nn computes them, in cuBLAS's column-major terms (C^T = B^T A^T).
  std::vector<Gemm> gemms;
  double flops = 0;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    const int in = sizes[l], out = sizes[l + 1];
    gemms.push_back({CUBLAS_OP_T, CUBLAS_OP_N, out, batch, in});  // y = x W^T      [B, out]
    gemms.push_back({CUBLAS_OP_N, CUBLAS_OP_T, in, out, batch});  // dW = dy^T x    [out, in]
    flops += 2.0 * 2.0 * batch * in * out;
    if (l > 0) {
      gemms.push_back({CUBLAS_OP_N, CUBLAS_OP_N, in, batch, out});  // dx = dy W    [B, in]
      flops += 2.0 * batch * in * out;
    }
  }
  size_t largest = 0;
  for (const Gemm& g : gemms) {
    largest = std::max(largest, static_cast<size_t>(g.m) * g.k);
    largest = std::max(largest, static_cast<size_t>(g.k) * g.n);
    largest = std::max(largest, static_cast<size_t>(g.m) * g.n);
  }
  float *a = nullptr, *b = nullptr, *c = nullptr;
  check(cudaMalloc(&a, largest * sizeof(float)), "cudaMalloc");
  check(cudaMalloc(&b, largest * sizeof(float)), "cudaMalloc");
  check(cudaMalloc(&c, largest * sizeof(float)), "cudaMalloc");
  check(cudaMemset(a, 0, largest * sizeof(float)), "cudaMemset");
  check(cudaMemset(b, 0, largest * sizeof(float)), "cudaMemset");
  cublasHandle_t h = nullptr;
  check(cublasCreate(&h), "cublasCreate");
  check(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  const float one = 1.0f, zero = 0.0f;
  auto run_all = [&] {
    for (const Gemm& g : gemms) {
      const int lda = g.ta == CUBLAS_OP_N ? g.m : g.k;
      const int ldb = g.tb == CUBLAS_OP_N ? g.k : g.n;
      check(cublasSgemm(h, g.ta, g.tb, g.m, g.n, g.k, &one, a, lda, b, ldb, &zero, c, g.m), "cublasSgemm");
    }
  };
  for (int i = 0; i < 20; ++i) run_all();  // warm-up: kernel selection, clocks
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  check(cudaEventRecord(start), "cudaEventRecord");
  for (int i = 0; i < repeats; ++i) run_all();
  check(cudaEventRecord(stop), "cudaEventRecord");
  check(cudaEventSynchronize(stop), "cudaEventSynchronize");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  const double seconds_per_step = ms / 1000.0 / repeats;
  std::printf("{\"layers\": \"%s\", \"batch\": %d, \"gemms_per_step\": %zu, \"flops_per_step\": %.0f, "
              "\"seconds_per_step\": %.8f, \"gflops\": %.1f}\n",
              layers_text.c_str(), batch, gemms.size(), flops, seconds_per_step, flops / seconds_per_step / 1e9);
  cublasDestroy(h);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return 0;
}
