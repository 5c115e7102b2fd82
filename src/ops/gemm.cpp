#include "nn/ops/gemm.hpp"

#include <algorithm>
#include <string>

#include "nn/parallel.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef NN_HAVE_CBLAS
#include <cblas.h>
#endif

namespace nn::ops {

namespace {
// Element (i, j) of op(X) for a row-major X with row stride ld.
inline float elem(const float* X, int64_t ld, Trans t, int64_t i, int64_t j) {
  return t == Trans::No ? X[i * ld + j] : X[j * ld + i];
}

// C = beta * C; beta == 0 overwrites (C's old contents may be NaN).
void scale(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f)
      std::fill_n(c, N, 0.0f);
    else if (beta != 1.0f)
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
}
}  // namespace

void gemm_portable(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  // C rows are scaled first, then op(A) x op(B) is accumulated in blocks of K so that a row of
  // op(B) stays in cache; the inner loop over j is contiguous in C and (for Trans::No) in B.
  scale(M, N, beta, C, ldc);
  if (M == 0 || N == 0 || K == 0 || alpha == 0.0f) return;
  constexpr int64_t kBlock = 256;
  for (int64_t k0 = 0; k0 < K; k0 += kBlock) {
    const int64_t k1 = std::min(K, k0 + kBlock);
    for (int64_t i = 0; i < M; ++i) {
      float* c = C + i * ldc;
      for (int64_t k = k0; k < k1; ++k) {
        const float a = alpha * elem(A, lda, ta, i, k);
        if (a == 0.0f) continue;
        if (tb == Trans::No) {
          const float* b = B + k * ldb;
          for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
        } else {
          for (int64_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
        }
      }
    }
  }
}

namespace {

// Below this many multiply-adds a call into the BLAS costs more than the arithmetic: a plain loop
// wins (measured with OpenBLAS 0.3.21: 13 ns against 53 ns at 1x3x2, 108 against 162 ns at
// 1x10x32, and it loses from about 8x8x8 on). XOR-sized layers and the last layer of a classifier
// at batch 1 take this path.
constexpr int64_t kSmallGemm = 384;

void gemm_small(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const int64_t a_i = ta == Trans::No ? lda : 1, a_k = ta == Trans::No ? 1 : lda;
  const int64_t b_k = tb == Trans::No ? ldb : 1, b_j = tb == Trans::No ? 1 : ldb;
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) {
      float s = 0.0f;
      for (int64_t k = 0; k < K; ++k) s += A[i * a_i + k * a_k] * B[k * b_k + j * b_j];
      c[j] = beta == 0.0f ? alpha * s : alpha * s + beta * c[j];
    }
  }
}

// Sets OpenMP's thread count of the calling thread to 1 for a scope, and back after it.
class OneBlasThread {
 public:
  OneBlasThread() {
#ifdef _OPENMP
    saved_ = omp_get_max_threads();
    if (saved_ != 1) omp_set_num_threads(1);
#endif
  }
  ~OneBlasThread() {
#ifdef _OPENMP
    if (saved_ != 1) omp_set_num_threads(saved_);
#endif
  }
  OneBlasThread(const OneBlasThread&) = delete;
  OneBlasThread& operator=(const OneBlasThread&) = delete;

 private:
  [[maybe_unused]] int saved_ = 1;
};

}  // namespace

void gemm(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) return scale(M, N, beta, C, ldc);
  if (M * N * K <= kSmallGemm) return gemm_small(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#ifdef NN_HAVE_CBLAS
  // Every BLAS call runs on one thread (nn splits big products below): OpenBLAS's OpenMP build
  // takes its thread count from OpenMP's, at every call, so it is 1 for the call's duration.
  int threads = threads_for(M * N * K, kMinGemmPerThread);  // read before the guard below
  const OneBlasThread one_blas_thread;
  const auto i32 = [](int64_t v) { return static_cast<int>(v); };
  // A single row or column is a matrix-vector product: GEMV streams the matrix once, where GEMM
  // would pack it first (at 1x128x784, 6 us against 44 us).
  if (M == 1 || N == 1) {
    // GEMV scales y by beta, and 0 * NaN is NaN: with beta 0, C's old contents must not count.
    if (beta == 0.0f) scale(M, N, 0.0f, C, ldc);
  }
  if (M == 1) {
    // c (N) = alpha * op(B)^T (N, K) a (K) + beta c; a is row 0 of op(A).
    const int64_t inc_a = ta == Trans::No ? 1 : lda;
    if (tb == Trans::Yes)  // B stored (N, K)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, i32(N), i32(K), alpha, B, i32(ldb), A, i32(inc_a), beta, C, 1);
    else  // B stored (K, N)
      cblas_sgemv(CblasRowMajor, CblasTrans, i32(K), i32(N), alpha, B, i32(ldb), A, i32(inc_a), beta, C, 1);
    return;
  }
  if (N == 1) {
    // c (M) = alpha * op(A) (M, K) b (K) + beta c; b is column 0 of op(B), c column 0 of C.
    const int64_t inc_b = tb == Trans::No ? ldb : 1;
    if (ta == Trans::No)  // A stored (M, K)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, i32(M), i32(K), alpha, A, i32(lda), B, i32(inc_b), beta, C, i32(ldc));
    else  // A stored (K, M)
      cblas_sgemv(CblasRowMajor, CblasTrans, i32(K), i32(M), alpha, A, i32(lda), B, i32(inc_b), beta, C, i32(ldc));
    return;
  }
  const auto sgemm = [&](int64_t m, int64_t n, const float* a, const float* b, float* c) {
    const OneBlasThread one_thread_here;  // on a worker too: its OpenMP count is the default
    cblas_sgemm(CblasRowMajor, ta == Trans::Yes ? CblasTrans : CblasNoTrans,
                tb == Trans::Yes ? CblasTrans : CblasNoTrans, i32(m), i32(n), i32(K), alpha, a, i32(lda), b,
                i32(ldb), beta, c, i32(ldc));
  };
  // The BLAS runs on one thread; nn splits a product itself, and only one big enough for every
  // thread to get kMinGemmPerThread multiply-adds (see docs/performance.md, "Busy machines"). Each
  // block of C is an independent one-thread GEMM over the whole K, and the blocks depend only on
  // the shape and the thread count: a fixed thread count gives the same bits. Another thread count
  // may move the last bits, since OpenBLAS's kernels and blocking depend on the block's size
  // (docs/performance.md, "Threads").
  constexpr int64_t kAlign = 16;  // blocks of whole register tiles
  const bool by_rows = M >= N;
  const int64_t len = by_rows ? M : N;
  threads = static_cast<int>(std::min<int64_t>(threads, len / kAlign));
  if (threads <= 1) return sgemm(M, N, A, B, C);
  const int64_t per = (len / kAlign + threads - 1) / threads * kAlign;
  parallel_for(threads, threads, [&](int64_t t) {
    const int64_t lo = std::min(len, t * per), hi = t == threads - 1 ? len : std::min(len, lo + per);
    if (lo >= hi) return;
    if (by_rows)
      sgemm(hi - lo, N, A + (ta == Trans::No ? lo * lda : lo), B, C + lo * ldc);
    else
      sgemm(M, hi - lo, A, B + (tb == Trans::No ? lo : lo * ldb), C + lo);
  });
#else
  gemm_portable(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

const char* gemm_backend() {
#ifdef NN_HAVE_CBLAS
  return "cblas";
#else
  return "portable";
#endif
}

std::string blas_info() {
#if defined(NN_HAVE_CBLAS) && defined(OPENBLAS_VERSION)
  std::string config = openblas_get_config();
  while (!config.empty() && config.back() == ' ') config.pop_back();
  return config + " (" + openblas_get_corename() + " kernels)";
#elif defined(NN_HAVE_CBLAS)
  return "CBLAS";
#else
  return "none (portable C++ GEMM)";
#endif
}

}  // namespace nn::ops
