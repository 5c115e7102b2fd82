// The allocation counter of nn_alloc_test (alloc_counter.cpp): every allocation the process makes,
// through malloc and its kin or operator new in any form, is counted, the BLAS library's apart.
#pragma once

namespace nn::test::alloc {

// Allocations counted so far, by all threads, except those made by the BLAS library.
long allocations();
// Allocations counted so far that the BLAS library made (its threaded GEMM driver's job tables).
long blas_allocations();

}  // namespace nn::test::alloc
