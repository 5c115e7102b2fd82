// GEMM providers on exactly the products nn's workloads run, one thread: OpenBLAS through CBLAS
// (what nn calls), BLIS (its own typed API and its CBLAS), libxsmm (libxsmm_sgemm; JIT kernels
// where libxsmm_smmdispatch gives one, otherwise it falls back to the BLAS), oneDNN (dnnl_sgemm),
// and nn::ops::gemm itself (OpenBLAS plus nn's own small-product and GEMV paths). Each provider is
// compiled in when CMake finds it. OpenBLAS is linked first, so the Fortran-style sgemm_ that
// BLIS's CBLAS layer and libxsmm's fallback call resolves to OpenBLAS's: those two columns measure
// OpenBLAS's kernels behind the other library's interface.
//
// The shapes come from the code: this program defines cblas_sgemm itself, so every call nn's
// static library makes lands here first (the definition in the executable takes precedence over
// the shared OpenBLAS); one training step of each workload (one inference pass for infer-b256) is
// run at one thread with the calls recorded, and each call is passed on to OpenBLAS.
//
// Without --child it runs itself twice, under the libraries' own CPU dispatch and under their AVX2
// settings (OPENBLAS_CORETYPE=Haswell, BLIS_ARCH_TYPE=3 (haswell), ONEDNN_MAX_CPU_ISA=AVX2,
// LIBXSMM_TARGET=hsw), and prints per shape GFLOP/s, and per workload the GEMM time of one step
// and its share of the one-core FMA peak (bench/fma_peak next to this program).
//
//   gemm_providers [--seconds 0.2] [--only WORKLOAD...]   (--seconds: per product and provider)
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nn/nn.hpp"

#include "gemm_providers.hpp"

namespace {

}  // namespace

namespace gp {
CblasSgemm openblas_sgemm() {
  static CblasSgemm f = [] {
    void* h = dlopen(NN_GP_OPENBLAS_PATH, RTLD_NOW | RTLD_NOLOAD);
    if (!h) h = dlopen(NN_GP_OPENBLAS_PATH, RTLD_NOW);
    void* s = h ? dlsym(h, "cblas_sgemm") : nullptr;
    if (!s) {
      std::fprintf(stderr, "gemm_providers: no cblas_sgemm in %s\n", NN_GP_OPENBLAS_PATH);
      std::exit(1);
    }
    return reinterpret_cast<CblasSgemm>(s);
  }();
  return f;
}
}  // namespace gp

namespace {
using namespace gp;

std::map<Shape, int>* g_record = nullptr;  // the calls of the step being recorded

}  // namespace

// nn's calls to the CBLAS land here (see the top of the file).
extern "C" void cblas_sgemm(int order, int ta, int tb, int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc) {
  if (g_record && order == gp::kRowMajor) ++(*g_record)[gp::Shape{ta == gp::kTrans, tb == kTrans, M, N, K, lda, ldb, ldc}];
  gp::openblas_sgemm()(order, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

namespace {

struct Workload {
  std::string name, spec;
  int64_t batch;
  bool train;
};

const std::vector<Workload> kWorkloads = {
    {"mlp-b64", "linear:128,relu,linear:32,relu,linear:10", 64, true},
    {"mlp-b256", "linear:128,relu,linear:32,relu,linear:10", 256, true},
    {"mlp-wide", "linear:512,relu,linear:256,relu,linear:10", 128, true},
    {"cnn", "conv:8:3:1:1,relu,maxpool:2,conv:16:3:1:1,relu,maxpool:2,flatten,linear:10", 64, true},
    {"cnn-strong",
     "conv:32:3:1:1,batchnorm,relu,maxpool:2,conv:64:3:1:1,batchnorm,relu,maxpool:2,flatten,dropout:0.3,"
     "linear:128,relu,dropout:0.3,linear:10",
     64, true},
    {"infer-b256", "linear:128,relu,linear:32,relu,linear:10", 256, false},
};

// The BLAS calls of one step of `w` (the second step: the first one sizes the buffers).
std::map<Shape, int> record(const Workload& w) {
  nn::manual_seed(1);
  const auto parsed = nn::io::parse_model_spec(w.spec);
  const bool images = nn::io::expects_images(parsed);
  auto model = nn::io::build_model(parsed);
  model->set_input_grad(false);
  nn::Tensor x(images ? nn::Shape{w.batch, 1, 28, 28} : nn::Shape{w.batch, 784}, 0.5f);
  std::vector<int32_t> labels(static_cast<size_t>(w.batch));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % 10);
  nn::SoftmaxCrossEntropyLoss loss;
  nn::SGD opt(model->parameters(), {.lr = 0.01f, .momentum = 0.9f});
  if (!w.train) model->eval();
  std::map<Shape, int> calls;
  for (int step = 0; step < 2; ++step) {
    if (step == 1) g_record = &calls;
    if (w.train) {
      loss(model->forward(x), labels);
      opt.zero_grad();
      model->backward(loss.backward());
      opt.step();
    } else {
      model->forward(x);
    }
    g_record = nullptr;
  }
  return calls;
}

// Seconds per call of each provider: calls of one provider after another, in 30 short rounds, each
// provider's calls filling about seconds / 30 per round; the best round of each (other work on a
// shared machine only slows a round down, and short rounds find its quiet moments).
std::vector<double> time_calls(const std::vector<std::pair<std::string, Call>>& provs, const Shape& s,
                               double seconds) {
  const size_t a_rows = s.ta ? s.K : s.M, b_rows = s.tb ? s.N : s.K;
  std::vector<float> A(a_rows * s.lda, 0.25f), B(b_rows * s.ldb, 0.5f), C(static_cast<size_t>(s.M) * s.ldc);
  using clock = std::chrono::steady_clock;
  constexpr int kRounds = 30;
  std::vector<int64_t> reps(provs.size(), 1);
  std::vector<double> best(provs.size(), 1e30);
  for (size_t p = 0; p < provs.size(); ++p) {
    const Call& f = provs[p].second;
    f(s, A.data(), B.data(), C.data());
    for (;;) {  // calls per round
      const auto t0 = clock::now();
      for (int64_t i = 0; i < reps[p]; ++i) f(s, A.data(), B.data(), C.data());
      if (std::chrono::duration<double>(clock::now() - t0).count() > seconds / kRounds / 2 || reps[p] > (1 << 24))
        break;
      reps[p] *= 2;
    }
  }
  for (int r = 0; r < kRounds; ++r)
    for (size_t p = 0; p < provs.size(); ++p) {
      const auto t0 = clock::now();
      for (int64_t i = 0; i < reps[p]; ++i) provs[p].second(s, A.data(), B.data(), C.data());
      best[p] = std::min(best[p], std::chrono::duration<double>(clock::now() - t0).count() / static_cast<double>(reps[p]));
    }
  return best;
}

// One set of measurements under the environment as is: JSON lines on stdout.
int child(double seconds, const std::vector<std::string>& only) {
  nn::set_num_threads(1);
  init_providers();
  const auto provs = providers();
  std::printf("{\"kernels\": \"%s\"}\n", kernels().c_str());
  std::map<Shape, std::vector<double>> timed;
  for (const Workload& w : kWorkloads) {
    if (!only.empty() && std::find(only.begin(), only.end(), w.name) == only.end()) continue;
    for (const auto& [s, count] : record(w)) {
      auto& t = timed[s];
      if (t.empty()) t = time_calls(provs, s, seconds);
      std::printf("{\"workload\": \"%s\", \"op\": \"%c%c\", \"M\": %d, \"N\": %d, \"K\": %d, \"calls\": %d, \"seconds\": [",
                  w.name.c_str(), s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', s.M, s.N, s.K, count);
      for (size_t i = 0; i < t.size(); ++i) std::printf("%s%.9f", i ? ", " : "", t[i]);
      std::printf("]}\n");
    }
  }
  std::printf("{\"providers\": [");
  for (size_t i = 0; i < provs.size(); ++i) std::printf("%s\"%s\"", i ? ", " : "", provs[i].first.c_str());
  std::printf("]}\n");
  return 0;
}

}  // namespace

int gemm_providers_report(const char* self, double seconds, const std::vector<std::string>& only);

int main(int argc, char** argv) {
  double seconds = 0.2;
  bool is_child = false;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--child") is_child = true;
    else if (k == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (k == "--only") {
      while (i + 1 < argc && argv[i + 1][0] != '-') only.emplace_back(argv[++i]);
    } else {
      std::fprintf(stderr, "gemm_providers: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    if (is_child) return child(seconds, only);
    return gemm_providers_report(argv[0], seconds, only);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gemm_providers: %s\n", e.what());
    return 1;
  }
}
