// The allocation counter of nn_alloc_test: alloc_counter.cpp replaces malloc, calloc, realloc,
// aligned_alloc, posix_memalign, memalign, valloc, pvalloc and every form of operator new with
// versions that count each call, process-wide and from every thread. Allocations made by the BLAS
// library itself (by the file its caller's code lies in) are counted apart.
#pragma once

// Allocations so far, the BLAS library's excepted.
long nn_test_allocations();
// Allocations the BLAS library has made itself so far.
long nn_test_blas_allocations();
