// When the kernels use OpenMP. A loop over independent items (images, planes, channels) runs in
// parallel only when each thread gets enough work to pay for the parallel region: below that, the
// region costs more than it saves, and its threads compete with the BLAS library's own. Every
// item's result is computed by one thread in a fixed order, so results do not depend on the
// number of threads.
#pragma once

#include <cstdint>

namespace nn::ops {

// Elements (floats touched) a thread should get before a loop is split: 1 MiB of floats.
constexpr int64_t kMinWorkPerThread = int64_t{1} << 18;

// The number of threads for a loop over `work` elements: 1 (run serially) below
// 2 * kMinWorkPerThread, otherwise one per kMinWorkPerThread, at most omp_get_max_threads() (the
// budget nn::set_num_threads sets).
int threads_for(int64_t work);

}  // namespace nn::ops
