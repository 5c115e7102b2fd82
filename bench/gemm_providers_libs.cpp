// The libraries bench/gemm_providers measures, each behind the same call: a row-major product as
// nn passes it to cblas_sgemm (gemm_providers.hpp), alpha 1, beta 0.
#include <dlfcn.h>

#include <cstdlib>

#include "gemm_providers.hpp"
#include "nn/ops/gemm.hpp"

#ifdef NN_GP_BLIS
#include <blis.h>
#endif
#ifdef NN_GP_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif
#ifdef NN_GP_XSMM
#include <libxsmm.h>
#endif

namespace gp {

void init_providers() {
#ifdef NN_GP_BLIS
  bli_thread_set_num_threads(1);
#endif
#ifdef NN_GP_XSMM
  libxsmm_init();
#endif
}

using Call = std::function<void(const Shape&, const float*, const float*, float*)>;

std::vector<std::pair<std::string, Call>> providers() {
  std::vector<std::pair<std::string, Call>> p;
  p.emplace_back("nn::ops::gemm", [](const Shape& s, const float* A, const float* B, float* C) {
    nn::ops::gemm(s.ta ? nn::ops::Trans::Yes : nn::ops::Trans::No, s.tb ? nn::ops::Trans::Yes : nn::ops::Trans::No,
                  s.M, s.N, s.K, 1.0f, A, s.lda, B, s.ldb, 0.0f, C, s.ldc);
  });
  p.emplace_back("OpenBLAS (CBLAS)", [](const Shape& s, const float* A, const float* B, float* C) {
    openblas_sgemm()(kRowMajor, s.ta ? kTrans : kNoTrans, s.tb ? kTrans : kNoTrans, s.M, s.N, s.K, 1.0f, A, s.lda, B,
                     s.ldb, 0.0f, C, s.ldc);
  });
#ifdef NN_GP_BLIS
  p.emplace_back("BLIS (bli_sgemm)", [](const Shape& s, const float* A, const float* B, float* C) {
    float one = 1.0f, zero = 0.0f;
    bli_sgemm(s.ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s.tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s.M, s.N, s.K,
              &one, const_cast<float*>(A), s.lda, 1, const_cast<float*>(B), s.ldb, 1, &zero, C, s.ldc, 1);
  });
  static CblasSgemm blis_cblas = [] {
    void* h = dlopen(NN_GP_BLIS_PATH, RTLD_NOW | RTLD_NOLOAD);
    return h ? reinterpret_cast<CblasSgemm>(dlsym(h, "cblas_sgemm")) : nullptr;
  }();
  if (blis_cblas)
    p.emplace_back("BLIS (CBLAS)", [](const Shape& s, const float* A, const float* B, float* C) {
      blis_cblas(kRowMajor, s.ta ? kTrans : kNoTrans, s.tb ? kTrans : kNoTrans, s.M, s.N, s.K, 1.0f, A, s.lda, B,
                 s.ldb, 0.0f, C, s.ldc);
    });
#endif
#ifdef NN_GP_XSMM
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
  p.emplace_back("libxsmm (libxsmm_sgemm)", [](const Shape& s, const float* A, const float* B, float* C) {
    const char ta = s.tb ? 'T' : 'N', tb = s.ta ? 'T' : 'N';
    const libxsmm_blasint m = s.N, n = s.M, k = s.K, lda = s.ldb, ldb = s.lda, ldc = s.ldc;
    const float one = 1.0f, zero = 0.0f;
    libxsmm_sgemm(&ta, &tb, &m, &n, &k, &one, B, &lda, A, &ldb, &zero, C, &ldc);
  });
#endif
#ifdef NN_GP_DNNL
  p.emplace_back("oneDNN (dnnl_sgemm)", [](const Shape& s, const float* A, const float* B, float* C) {
    dnnl_sgemm(s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', s.M, s.N, s.K, 1.0f, A, s.lda, B, s.ldb, 0.0f, C, s.ldc);
  });
#endif
  return p;
}

std::string kernels() {
  std::string out;
  void* h = dlopen(NN_GP_OPENBLAS_PATH, RTLD_NOW | RTLD_NOLOAD);
  if (auto core = h ? reinterpret_cast<char* (*)()>(dlsym(h, "openblas_get_corename")) : nullptr)
    out += std::string("OpenBLAS ") + core();
#ifdef NN_GP_BLIS
  out += std::string(", BLIS ") + bli_arch_string(bli_arch_query_id());
#endif
#ifdef NN_GP_XSMM
  out += std::string(", libxsmm ") + libxsmm_get_target_arch();
#endif
#ifdef NN_GP_DNNL
  if (const char* isa = std::getenv("ONEDNN_MAX_CPU_ISA")) out += std::string(", oneDNN max ISA ") + isa;
  else out += ", oneDNN max ISA auto";
#endif
  return out;
}

}  // namespace gp
