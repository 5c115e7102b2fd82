/// @file
/// The thread budget: one number for OpenMP (nn's own parallel loops) and the BLAS library, so the
/// two never oversubscribe the machine.
#pragma once

#include "nn/export.hpp"

namespace nn {

/// Sets the number of threads nn's kernels and the BLAS use; n <= 0 means all cores. It sets
/// OpenMP's default team size for the calling thread (omp_set_num_threads), and OpenBLAS's
/// thread count when nn is built with OpenBLAS; call it from the thread that trains, before
/// training.
NN_API void set_num_threads(int n);
/// The thread budget in force on the calling thread (omp_get_max_threads()).
NN_API int num_threads();

}  // namespace nn
