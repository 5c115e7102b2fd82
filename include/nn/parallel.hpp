/// @file
/// When nn's loops use OpenMP: the kernels, the optimizers' updates, batch gathering. A loop over
/// independent items (images, planes, channels) runs in parallel only when each thread gets enough
/// work to pay for the parallel region: below that, the region costs more than it saves, and its
/// threads compete with the BLAS library's own. Every item's result is computed by one thread in a
/// fixed order, so results do not depend on the number of threads. The budget is the one
/// nn::set_num_threads sets.
// (It sits with the thread budget, below every layer of the library.)
#pragma once

#include "nn/export.hpp"

#include <algorithm>
#include <cstdint>

namespace nn {

/// Elements (floats touched) a thread should get before a loop is split: 1 MiB of floats.
constexpr int64_t kMinWorkPerThread = int64_t{1} << 18;

/// The number of threads for a loop over `work` elements: 1 (run serially) below
/// 2 * kMinWorkPerThread, otherwise one per kMinWorkPerThread, at most omp_get_max_threads() (the
/// budget nn::set_num_threads sets).
NN_API int threads_for(int64_t work);
/// The same with another grain: `min_per_thread` elements per thread.
NN_API int threads_for(int64_t work, int64_t min_per_thread);

/// Elements a thread should get in a loop that only streams through memory (an optimizer's update,
/// zeroing gradients, gathering a batch): such a loop is memory-bound, so it pays to split it
/// sooner; 128 KiB of floats takes a few microseconds, several times a warm parallel region's cost.
constexpr int64_t kMinStreamPerThread = int64_t{1} << 15;

/// Runs body(i) for every i in [0, n) on `threads` threads (OpenMP's static schedule: contiguous
/// runs of i per thread). With one thread, or in a program built without OpenMP, it runs on the
/// calling thread and opens no parallel region. `body` is called concurrently from several
/// threads: each call must touch only its own item's output. It must not throw when threads > 1
/// (an exception cannot leave an OpenMP region).
// No region for one thread: libgomp allocates a team for every region of one thread, which in a
// training step would be an allocation per step.
template <class F>
void parallel_for(int64_t n, int threads, F&& body) {
  if (threads <= 1) {
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
#ifdef _OPENMP  // a program built without OpenMP runs the loop on the calling thread
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
  for (int64_t i = 0; i < n; ++i) body(i);
}

/// Runs f(lo, hi) over items [0, n) split into one contiguous chunk per thread, for a loop where
/// each item is computed on its own (so the result does not depend on the split).
/// `floats_per_item` is the memory one item touches (5 for an update reading 3 arrays and writing
/// 2; a row's length for a loop over rows), which decides whether splitting pays (see
/// kMinStreamPerThread). `f` is called concurrently from several threads, never with an empty
/// range, and must not throw when it runs on more than one.
template <class F>
void parallel_chunks(int64_t n, int64_t floats_per_item, F&& f) {
  const int threads = threads_for(n * floats_per_item, kMinStreamPerThread);
  if (threads == 1) {
    f(int64_t{0}, n);
    return;
  }
  const int64_t chunk = (n + threads - 1) / threads;
#ifdef _OPENMP  // a program built without OpenMP runs the loop on the calling thread
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
  for (int t = 0; t < threads; ++t) {
    const int64_t lo = std::min(n, t * chunk), hi = std::min(n, lo + chunk);
    if (lo < hi) f(lo, hi);
  }
}

}  // namespace nn
