// The thread budget: one number for OpenMP (nn's own parallel loops) and the BLAS library, so the
// two never oversubscribe the machine.
#pragma once

#include "nn/export.hpp"

namespace nn {

/// Sets the number of threads nn's kernels and the BLAS use; n <= 0 means all cores.
NN_API void set_num_threads(int n);
NN_API int num_threads();

}  // namespace nn
