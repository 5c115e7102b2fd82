#include "nn/threads.hpp"

#include <omp.h>

#ifdef NN_HAVE_CBLAS
#include <cblas.h>
#endif

namespace nn {

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
#if defined(NN_HAVE_CBLAS) && defined(OPENBLAS_VERSION)
  openblas_set_num_threads(n);
#endif
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace nn
