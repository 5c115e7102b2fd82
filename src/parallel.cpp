#include "nn/parallel.hpp"

#include <omp.h>

#include <algorithm>

namespace nn {

int threads_for(int64_t work) { return threads_for(work, kMinWorkPerThread); }

int threads_for(int64_t work, int64_t min_per_thread) {
  const int64_t wanted = work / min_per_thread;
  if (wanted < 2) return 1;
  return static_cast<int>(std::min<int64_t>(wanted, omp_get_max_threads()));
}

}  // namespace nn
