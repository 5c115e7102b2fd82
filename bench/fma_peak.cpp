// The FP32 peak of this CPU: a loop of independent fused multiply-adds in registers, with AVX2
// (8 lanes) and, when the CPU has it, AVX-512 (16 lanes), on --threads threads at once. Prints the
// GFLOP/s per core and in total (2 flops per lane per FMA) as one JSON object. Only the kernels
// below are compiled for those instruction sets (function target attributes), so the program runs
// on any x86-64 CPU and skips what the CPU lacks. bench/compare.py uses it as the ceiling of the
// GEMM rates it reports.
//
//   fma_peak [--threads 1] [--seconds 0.5]
#include <immintrin.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kAcc = 12;  // independent chains: more than FMA latency x FMA ports (4 x 2)

__attribute__((target("avx2,fma"))) float fma_avx2(int64_t iters) {
  __m256 acc[kAcc];
  for (int j = 0; j < kAcc; ++j) acc[j] = _mm256_set1_ps(0.001f * static_cast<float>(j));
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
  for (int64_t i = 0; i < iters; ++i)
    for (int j = 0; j < kAcc; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  __m256 s = acc[0];
  for (int j = 1; j < kAcc; ++j) s = _mm256_add_ps(s, acc[j]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  return out[0];
}

__attribute__((target("avx512f"))) float fma_avx512(int64_t iters) {
  __m512 acc[kAcc];
  for (int j = 0; j < kAcc; ++j) acc[j] = _mm512_set1_ps(0.001f * static_cast<float>(j));
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
  for (int64_t i = 0; i < iters; ++i)
    for (int j = 0; j < kAcc; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  __m512 s = acc[0];
  for (int j = 1; j < kAcc; ++j) s = _mm512_add_ps(s, acc[j]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  return out[0];
}

// GFLOP/s of `kernel` run on `threads` threads at once, `iters` iterations each.
double rate(float (*kernel)(int64_t), int lanes, int threads, int64_t iters) {
  std::vector<std::thread> pool;
  std::vector<float> sink(static_cast<size_t>(threads));
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { sink[static_cast<size_t>(t)] = kernel(iters); });
  for (auto& th : pool) th.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  float total = 0.0f;
  for (float v : sink) total += v;
  if (total != total) std::fprintf(stderr, "fma_peak: NaN\n");
  return 2.0 * lanes * kAcc * static_cast<double>(iters) * threads / seconds * 1e-9;
}

// Sizes the run to about `seconds`, then keeps the best of three.
double peak(float (*kernel)(int64_t), int lanes, int threads, double seconds) {
  int64_t iters = 1 << 20;
  double r = rate(kernel, lanes, 1, iters);
  iters = static_cast<int64_t>(seconds * r * 1e9 / (2.0 * lanes * kAcc));
  double best = 0.0;
  for (int i = 0; i < 3; ++i) {
    r = rate(kernel, lanes, threads, iters);
    if (r > best) best = r;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double seconds = 0.5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") threads = std::stoi(v);
    else if (k == "--seconds") seconds = std::stod(v);
    else {
      std::fprintf(stderr, "fma_peak: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (threads < 1 || seconds <= 0.0) {
    std::fprintf(stderr, "fma_peak: expected --threads >= 1 and --seconds > 0\n");
    return 2;
  }
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const double r2 = avx2 ? peak(fma_avx2, 8, threads, seconds) : 0.0;
  const double r512 = avx512 ? peak(fma_avx512, 16, threads, seconds) : 0.0;
  std::printf("{\"threads\": %d, \"avx2\": %s, \"avx512\": %s, \"avx2_gflops\": %.2f, \"avx2_gflops_per_core\": %.2f, "
              "\"avx512_gflops\": %.2f, \"avx512_gflops_per_core\": %.2f}\n",
              threads, avx2 ? "true" : "false", avx512 ? "true" : "false", r2, r2 / threads, r512, r512 / threads);
  return 0;
}
