// How fast one core reads data that stays in its caches: a loop of vector loads (and adds into
// independent accumulators) over an array of each size, swept again and again, the best sweep kept
// (other work on the machine only slows a sweep down). It is the floor of a matrix-vector product,
// which must read its whole matrix once per call: one-image inference of the main job's MLP reads
// its 784x128 weights (392 KiB) at every call. With AVX2 (8 lanes) and, when the CPU has it,
// AVX-512 (16 lanes); the kernels carry their own target attributes, so the program runs on any
// x86-64 CPU and skips what the CPU lacks. Prints one JSON object per size.
//
//   read_rate [--sweeps 2000] [--kib 16,200,392,800,4096]
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

__attribute__((target("avx2"))) float sweep_avx2(const float* a, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (int64_t i = 0; i < n; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_load_ps(a + i));
    s1 = _mm256_add_ps(s1, _mm256_load_ps(a + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_load_ps(a + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_load_ps(a + i + 24));
  }
  alignas(32) float out[8];
  _mm256_store_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  return out[0] + out[7];
}

__attribute__((target("avx512f"))) float sweep_avx512(const float* a, int64_t n) {
  __m512 s0 = _mm512_set1_ps(0.0f), s1 = s0, s2 = s0, s3 = s0;
  for (int64_t i = 0; i < n; i += 64) {
    s0 = _mm512_add_ps(s0, _mm512_load_ps(a + i));
    s1 = _mm512_add_ps(s1, _mm512_load_ps(a + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_load_ps(a + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_load_ps(a + i + 48));
  }
  alignas(64) float out[16];
  _mm512_store_ps(out, _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  return out[0] + out[15];
}

volatile float g_sink;  // keeps the sweeps from being optimised away

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

}  // namespace

int main(int argc, char** argv) {
  int64_t sweeps = 2000;
  std::vector<int64_t> sizes{16, 200, 392, 800, 4096};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--sweeps") {
      sweeps = std::stoll(v);
    } else if (k == "--kib") {
      sizes.clear();
      for (size_t start = 0; start <= v.size();) {
        size_t end = v.find(',', start);
        if (end == std::string::npos) end = v.size();
        sizes.push_back(std::stoll(v.substr(start, end - start)));
        start = end + 1;
      }
    } else {
      std::fprintf(stderr, "read_rate: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (sweeps <= 0 || std::any_of(sizes.begin(), sizes.end(), [](int64_t s) { return s <= 0 || s > (1 << 20); })) {
    std::fprintf(stderr, "read_rate: expected --sweeps > 0 and sizes from 1 to 1048576 KiB\n");
    return 2;
  }
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2"), avx512 = __builtin_cpu_supports("avx512f");
  float sink = 0.0f;
  for (const int64_t kib : sizes) {
    const int64_t n = kib * 256;  // floats; a multiple of 64, as the kernels read 64 at a time
    std::unique_ptr<float, FreeDeleter> a(static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(n) * 4)));
    if (!a) {
      std::fprintf(stderr, "read_rate: out of memory for %lld KiB\n", static_cast<long long>(kib));
      return 1;
    }
    std::fill_n(a.get(), n, 1.0f);
    std::string line = "{\"kib\": " + std::to_string(kib);
    for (int isa = 0; isa < 2; ++isa) {
      if (isa == 0 ? !avx2 : !avx512) continue;
      double best = 1e30;
      for (int64_t r = 0; r < sweeps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        sink += isa == 0 ? sweep_avx2(a.get(), n) : sweep_avx512(a.get(), n);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      char buf[128];
      std::snprintf(buf, sizeof buf, ", \"%s_us\": %.3f, \"%s_gb_per_s\": %.1f", isa == 0 ? "avx2" : "avx512",
                    best * 1e6, isa == 0 ? "avx2" : "avx512", static_cast<double>(n) * 4 / best / 1e9);
      line += buf;
    }
    std::printf("%s}\n", line.c_str());
  }
  g_sink = sink;
  return 0;
}
