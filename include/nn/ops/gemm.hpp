/// @file
/// nn::ops::gemm: the matrix product C = alpha * op(A) * op(B) + beta * C, row-major, float32, that
/// Linear and Conv2D are built on. It goes through CBLAS when the build found one, else through
/// gemm_portable.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>

namespace nn::ops {

/// Whether gemm takes a matrix as stored or transposed.
enum class Trans {
  No,  ///< op(X) = X
  Yes  ///< op(X) = X^T
};

/// C = alpha * op(A) * op(B) + beta * C, row-major, float32.
/// op(A) is (M, K), op(B) is (K, N), C is (M, N); lda/ldb/ldc are row strides of the stored
/// matrices. beta == 0 overwrites C (its old contents may be garbage, even NaN). No argument is
/// checked; C must not overlap A or B. The BLAS may use several threads (see nn::set_num_threads).
/// @code
/// // y (N, out) = x (N, in) * W^T, with W stored (out, in)
/// nn::ops::gemm(nn::ops::Trans::No, nn::ops::Trans::Yes, n, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
/// @endcode
NN_API void gemm(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

/// The blocked C++ kernel used when no BLAS is present; always built, so tests compare the two.
NN_API void gemm_portable(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

/// The backend in use: "cblas" or "portable".
NN_API const char* gemm_backend();

/// The BLAS library and the kernels it chose, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY
/// Cooperlake MAX_THREADS=64 (Cooperlake kernels)". OpenBLAS picks its kernels when it loads, from
/// the CPU or from the OPENBLAS_CORETYPE environment variable when that is set.
NN_API std::string blas_info();

}  // namespace nn::ops
