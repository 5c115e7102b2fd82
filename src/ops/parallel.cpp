#include "nn/ops/parallel.hpp"

#include <omp.h>

#include <algorithm>

namespace nn::ops {

int threads_for(int64_t work) {
  const int64_t wanted = work / kMinWorkPerThread;
  if (wanted < 2) return 1;
  return static_cast<int>(std::min<int64_t>(wanted, omp_get_max_threads()));
}

}  // namespace nn::ops
