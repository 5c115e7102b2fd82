// nn::ops::cuda::gemm: row-major SGEMM through cuBLAS.
#include <cublas_v2.h>

#include <climits>

#include "nn/error.hpp"
#include "launch.cuh"
#include "ops_cuda.hpp"

namespace nn::ops::cuda {

namespace {

int as_int(int64_t v, const char* what) {
  NN_CHECK(v >= 0 && v <= INT_MAX, "cuda gemm: expected ", what, " in [0, ", INT_MAX, "] (cuBLAS's int), found ", v);
  return static_cast<int>(v);
}

}  // namespace

void gemm(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  // Row-major C (M, N) is column-major C^T (N, M) with leading dimension ldc, and likewise for A
  // and B; so C^T = op(B)^T op(A)^T is one column-major SGEMM with the operands swapped.
  const cublasOperation_t opb = tb == Trans::Yes ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t opa = ta == Trans::Yes ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int m = as_int(N, "N"), n = as_int(M, "M"), k = as_int(K, "K");
  // cuBLAS wants leading dimensions >= 1 even for an empty operand.
  const int ldb_i = std::max(1, as_int(ldb, "ldb")), lda_i = std::max(1, as_int(lda, "lda"));
  const int ldc_i = std::max(1, as_int(ldc, "ldc"));
  // CUBLAS_COMPUTE_32F with CUBLAS_GEMM_DEFAULT: full float32 arithmetic, never TF32 (the handle
  // keeps cuBLAS's default math mode), so the GPU matches the CPU within rounding.
  const cublasStatus_t status =
      cublasGemmEx(nn::cuda::detail::cublas(), opb, opa, m, n, k, &alpha, B, CUDA_R_32F, ldb_i, A, CUDA_R_32F,
                   lda_i, &beta, C, CUDA_R_32F, ldc_i, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  NN_CHECK(status == CUBLAS_STATUS_SUCCESS, "cublasGemmEx (", M, "x", K, " by ", K, "x", N,
           ") failed: ", cublasGetStatusString(status));
}

}  // namespace nn::ops::cuda
