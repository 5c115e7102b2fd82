/// @file
/// When nn's loops run in parallel: the kernels, the optimizers' updates, batch gathering. A loop over
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
#include <type_traits>

namespace nn {

/// Elements (floats touched) a thread should get before a loop is split: 1 MiB of floats.
constexpr int64_t kMinWorkPerThread = int64_t{1} << 18;

/// The number of threads for a loop over `work` elements: 1 (run serially) below
/// 2 * kMinWorkPerThread, otherwise one per kMinWorkPerThread, at most omp_get_max_threads() (the
/// budget nn::set_num_threads sets).
NN_API int threads_for(int64_t work);
/// The same with another grain: `min_per_thread` elements per thread.
NN_API int threads_for(int64_t work, int64_t min_per_thread);

/// Multiply-adds a thread should get before nn::ops::gemm splits a product over threads (about
/// 0.1 ms of work): smaller products run on one thread, since two threads that wait for each other
/// lose more than they gain, and far more when another process takes one of the cores.
constexpr int64_t kMinGemmPerThread = int64_t{1} << 20;

/// Elements a thread should get in a loop that only streams through memory (an optimizer's update,
/// zeroing gradients, gathering a batch): such a loop is memory-bound, so it pays to split it
/// sooner; 128 KiB of floats takes a few microseconds, several times a warm parallel region's cost.
constexpr int64_t kMinStreamPerThread = int64_t{1} << 15;

namespace detail {
/// Runs fn(ctx, i) for every i in [0, n) on the calling thread and up to threads - 1 of nn's
/// workers. Items are claimed one at a time, so a worker that the system has not scheduled yet
/// takes nothing: the call returns once every item is done, without waiting for it. Nested calls
/// (from inside an item) and calls while another thread's loop runs execute serially.
NN_API void run_parallel(int64_t n, int threads, void (*fn)(void*, int64_t), void* ctx);
}  // namespace detail

/// Runs body(i) for every i in [0, n) on up to `threads` threads: the calling thread and nn's
/// workers claim items one at a time (see detail::run_parallel). With one thread it runs on the
/// calling thread. `body` is called concurrently from several
/// threads: each call must touch only its own item's output. It must not throw when threads > 1
/// (an exception cannot leave a worker thread).
template <class F>
void parallel_for(int64_t n, int threads, F&& body) {
  if (threads <= 1 || n <= 1) {
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
  using Body = std::remove_reference_t<F>;
  detail::run_parallel(n, threads, [](void* ctx, int64_t i) { (*static_cast<Body*>(ctx))(i); },
                       const_cast<void*>(static_cast<const void*>(&body)));
}

/// Runs f(lo, hi) over items [0, n) split into contiguous chunks (four per thread), for a loop where
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
  // Several chunks per thread, so that a running thread takes the share of one that is not.
  const int64_t chunks = std::min<int64_t>(n, int64_t{4} * threads);
  const int64_t chunk = (n + chunks - 1) / chunks;
  parallel_for(chunks, threads, [&](int64_t t) {
    const int64_t lo = std::min(n, t * chunk), hi = std::min(n, lo + chunk);
    if (lo < hi) f(lo, hi);
  });
}

}  // namespace nn
