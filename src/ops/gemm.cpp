#include "nn/ops/gemm.hpp"

#include <algorithm>
#include <string>

#ifdef NN_HAVE_CBLAS
#include <cblas.h>
#endif

namespace nn::ops {

namespace {
// Element (i, j) of op(X) for a row-major X with row stride ld.
inline float elem(const float* X, int64_t ld, Trans t, int64_t i, int64_t j) {
  return t == Trans::No ? X[i * ld + j] : X[j * ld + i];
}
}  // namespace

void gemm_portable(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  // C rows are scaled first, then op(A) x op(B) is accumulated in blocks of K so that a row of
  // op(B) stays in cache; the inner loop over j is contiguous in C and (for Trans::No) in B.
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f)
      std::fill_n(c, N, 0.0f);
    else if (beta != 1.0f)
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
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

void gemm(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
#ifdef NN_HAVE_CBLAS
  if (M == 0 || N == 0) return;
  cblas_sgemm(CblasRowMajor, ta == Trans::Yes ? CblasTrans : CblasNoTrans,
              tb == Trans::Yes ? CblasTrans : CblasNoTrans, static_cast<int>(M), static_cast<int>(N),
              static_cast<int>(K), alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb), beta, C,
              static_cast<int>(ldc));
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
