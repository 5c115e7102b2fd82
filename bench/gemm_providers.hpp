// The providers bench/gemm_providers measures (bench/gemm_providers_libs.cpp) and the shape of a
// product as nn calls it. A header of the benchmark only; the libraries' headers stay in their file.
#pragma once
#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace gp {

enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*,
                            int);

// A row-major product C (M x N) = op(A) op(B) as nn passes it to cblas_sgemm.
struct Shape {
  bool ta, tb;
  int M, N, K, lda, ldb, ldc;
  bool operator<(const Shape& o) const {
    return std::tie(ta, tb, M, N, K, lda, ldb, ldc) < std::tie(o.ta, o.tb, o.M, o.N, o.K, o.lda, o.ldb, o.ldc);
  }
};

using Call = std::function<void(const Shape&, const float*, const float*, float*)>;

// OpenBLAS's own cblas_sgemm (not the one this program puts in front of it).
CblasSgemm openblas_sgemm();
// One thread for every library; libxsmm_init.
void init_providers();
// The providers compiled in, by name.
std::vector<std::pair<std::string, Call>> providers();
// The kernels each library chose ("OpenBLAS Haswell, BLIS haswell, ...").
std::string kernels();

}  // namespace gp
