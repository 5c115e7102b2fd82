#include "nn/threads.hpp"

#include <omp.h>

#ifdef NN_HAVE_CBLAS
#include <cblas.h>
#endif

namespace nn {

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
#if defined(NN_HAVE_CBLAS) && defined(OPENBLAS_VERSION)
  // OpenBLAS's own threads stay off: its threaded GEMM splits even small products and its threads
  // wait for each other's packed panels by spinning (sched_yield), so a thread that another process
  // deschedules stalls the rest. nn::ops::gemm splits the products big enough to pay itself.
  // This holds a pthreads build of OpenBLAS to one thread; the OpenMP build follows OpenMP's count
  // of the calling thread at each call, which ops::gemm sets to 1 around the call. (The OpenMP
  // build sets OpenMP's thread count here too, so nn's budget is set after it.)
  openblas_set_num_threads(1);
#endif
  omp_set_num_threads(n);
}

#if defined(NN_HAVE_CBLAS) && defined(OPENBLAS_VERSION)
namespace {
// Also for programs that never call set_num_threads (OpenBLAS starts with one thread per core).
// OpenBLAS's OpenMP build also sets OpenMP's thread count: OpenMP's own default is kept.
const bool openblas_one_thread = [] {
  const int omp_threads = omp_get_max_threads();
  openblas_set_num_threads(1);
  omp_set_num_threads(omp_threads);
  return true;
}();
}  // namespace
#endif

int num_threads() { return omp_get_max_threads(); }

}  // namespace nn
